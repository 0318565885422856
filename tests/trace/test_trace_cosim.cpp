// Co-simulation on a trace: the SystemC model with the Verilated RTL tile as its tile runs a
// model trace's workload (every traced GEMM on its recorded x_q and w_q, the model's vector
// work and LM head beside them) and gives the same accumulators as the trace recorded and the
// same cycles and counters as the SystemC tile model, on the default tile and a smaller one.
#include <catch2/catch.hpp>

#include "sim/cosim/rtl_cosim.h"
#include "src/trace/sim_workload.h"
#include "tests/trace/trace_fixture.h"

using namespace abacus;

TEST_CASE("co-simulating a trace gives the SystemC tile model's cycles and the trace's acc", "[trace][cosim]") {
  cosim::attach_rtl_tiles();
  const ModelConfig c = test::tiny_config(Quant::b158);
  const std::string path = std::string(ABACUS_BINARY_DIR) + "/tests/trace/cosim.safetensors";
  test::make_trace(c, path, 2);
  const trace::TraceFile t = trace::TraceFile::open(path);
  std::vector<int64_t> record_of;
  const sim::Workload w = trace::sim_workload(t, trace::extract_workload(t), &record_of);
  REQUIRE(record_of.size() == w.commands.size());
  std::vector<cosim::GemmInputs> inputs(w.commands.size());
  int64_t traced = 0;
  for (size_t i = 0; i < w.commands.size(); ++i)
    if (record_of[i] >= 0) {
      const trace::TraceRecord& r = t.records()[size_t(record_of[i])];
      CHECK(w.commands[i].gemm.name == r.name);
      inputs[i] = {r.x_q, r.w_q};
      ++traced;
    }
  CHECK(traced == int64_t(t.records().size()));
  sim::AccelConfig small;  // 4x8 with a small weight buffer: several units per GEMM
  small.n_t = 4;
  small.k_t = 8;
  small.weight_buffer_kib = 0.25;
  for (const sim::AccelConfig& cfg : {sim::AccelConfig{}, small}) {
    const cosim::CosimRun r = cosim::cosim_compare(cfg, w, inputs);
    INFO("tile " << cfg.n_t << "x" << cfg.k_t);
    CAPTURE(r.counter_differences);
    CHECK(r.identical());
    CHECK(r.rtl.cycles == r.model.cycles);
    CHECK(r.rtl.tile_cycles > 0);
    int64_t vs_trace = 0;
    for (size_t i = 0; i < w.commands.size(); ++i)
      if (record_of[i] >= 0) {
        const trace::TraceRecord& rec = t.records()[size_t(record_of[i])];
        for (int64_t j = 0; j < rec.T * rec.N; ++j) vs_trace += r.rtl_acc[i][size_t(j)] != rec.acc[j];
      }
    CHECK(vs_trace == 0);
  }
}
