// sim/dse --trace adapter: the sim workload of a trace runs the traced GEMM shapes (one
// command per record) plus the model's vector work, and the analytic model counts exactly the
// traced multiply-adds on the tile.
#include <catch2/catch.hpp>

#include <algorithm>
#include <vector>

#include "sim/acc_arith.h"
#include "sim/systemc/pe_model.h"
#include "src/trace/sim_workload.h"
#include "tests/trace/trace_fixture.h"

using namespace abacus;

TEST_CASE("a trace becomes a sim workload", "[trace][sim]") {
  const ModelConfig c = test::tiny_config(Quant::b158);
  const std::string path = std::string(ABACUS_BINARY_DIR) + "/tests/trace/sim.safetensors";
  test::make_trace(c, path, 2);
  const trace::TraceFile t = trace::TraceFile::open(path);
  const trace::TraceWorkload w = trace::extract_workload(t);
  const sim::Workload s = trace::sim_workload(t, w);
  CHECK(s.tokens == 9);
  CHECK(s.weight_zero_fraction == Approx(w.zero_weight_mac_fraction));
  double traced_macs = 0;
  int64_t traced = 0, vectors = 0, heads = 0, attention = 0;
  for (const auto& cmd : s.commands) {
    if (cmd.kind == sim::Command::Kind::vector) {
      ++vectors;
      continue;
    }
    if (cmd.gemm.name == "lm_head") {
      ++heads;
      continue;
    }
    if (cmd.gemm.role == sim::GemmRole::attn_scores || cmd.gemm.role == sim::GemmRole::attn_values) {
      ++attention;  // QK^T and AV from the model workload (the trace records BitLinear GEMMs only)
      continue;
    }
    ++traced;
    CHECK(cmd.repeat == 1);
    traced_macs += double(cmd.gemm.T) * double(cmd.gemm.K) * double(cmd.gemm.N);
  }
  CHECK(traced == int64_t(t.records().size()));
  CHECK(traced_macs == w.macs);
  CHECK(heads == 3);  // one LM head per step
  CHECK(attention == 2 * 3);  // QK^T and AV per step
  CHECK(vectors > 0);
  // The commands of step 0 come first, in call order.
  CHECK(s.commands.front().kind == sim::Command::Kind::gemm);
  CHECK(s.commands.front().gemm.name == "step0.layers.0.attn.q");
}

TEST_CASE("accumulator overflows are counted on a trace's operands (issue 14)", "[trace][sim]") {
  const ModelConfig c = test::tiny_config(Quant::b158);
  const std::string path = std::string(ABACUS_BINARY_DIR) + "/tests/trace/acc.safetensors";
  test::make_trace(c, path, 1);
  const trace::TraceFile t = trace::TraceFile::open(path);
  sim::AccelConfig wide;
  sim::AccelConfig narrow;
  narrow.acc_bits = 16;
  narrow.acc_overflow = sim::AccOverflow::saturate;
  for (const trace::TraceRecord& r : t.records()) {
    // A 32-bit wrapping accumulator reproduces the recorded int32 acc exactly.
    std::vector<int32_t> acc(size_t(r.T * r.N));
    CHECK(sim::acc_gemm_ref(r.x_q, r.w_q, acc.data(), r.T, r.K, r.N, wide.k_t, 32, sim::AccOverflow::wrap) == 0);
    CHECK(std::equal(acc.begin(), acc.end(), r.acc));
    const sim::AccOverflowCount w = sim::count_acc_overflows(wide, r.x_q, r.w_q, r.T, r.K, r.N);
    CHECK(w.overflows == 0);
    CHECK(w.chunk_adds == r.T * r.N * ((r.K + wide.k_t - 1) / wide.k_t));
    // 16 bits: whatever overflows, the count equals the reference's.
    const int64_t ref = sim::acc_gemm_ref(r.x_q, r.w_q, acc.data(), r.T, r.K, r.N, narrow.k_t, 16, narrow.acc_overflow);
    CHECK(sim::count_acc_overflows(narrow, r.x_q, r.w_q, r.T, r.K, r.N).overflows == ref);
  }
}
