// Simulator speed on models/b1.58-700M.json: analytic design points per second (workload
// compiled once, each iteration one configuration of the shipped sweep's shape, 288 points over
// tile, memory technology, DMA depth, buffer and PE: analytic run + roofline + mapping +
// energy/area report) and event-driven simulated cycles per second of the SystemC model.
#include <benchmark/benchmark.h>

#include <filesystem>
#include <string>

#include "sim/systemc/analytic_model.h"
#include "sim/systemc/report.h"
#include "sim/systemc/sweep.h"
#include "sim/systemc/systemc_model.h"
#include "sim/systemc/workload.h"

using namespace abacus;
using namespace abacus::sim;

namespace {

ModelConfig model_700m() {
  for (const char* name : {"b1.58-700M.json", "b1.58-700m.json"}) {
    const std::string p = std::string(ABACUS_SOURCE_DIR) + "/models/" + name;
    if (std::filesystem::exists(p)) return ModelConfig::load(p);
  }
  throw std::runtime_error("models/b1.58-700M.json not found");
}

const SweepSpace& space() {
  static const SweepSpace s = parse_sweep(
      R"({"n_t": [8, 16, 32, 64], "k_t": [16, 32, 64], "memory": ["ddr5", "lpddr5x", "hbm3"],
          "dram_max_outstanding": [1, 16], "weight_buffer_kib": [32, 128], "pe": ["adder-tree", "mac"]})",
      "bench sweep");
  return s;
}

void BM_AnalyticDesignPoints(benchmark::State& state, bool prefill) {
  const ModelConfig m = model_700m();
  const Workload w = prefill ? prefill_workload(m, 128) : decode_workload(m, 1, 512);
  const SweepSpace& s = space();
  std::vector<AccelConfig> configs;
  for (int64_t i = 0; i < s.point_count(); ++i) configs.push_back(s.point_config(AccelConfig{}, i));
  size_t i = 0;
  for (auto _ : state) {
    const AccelConfig& c = configs[i++ % configs.size()];
    const SimReport r = make_report(c, w, analytic_run(c, w), "analytic");
    benchmark::DoNotOptimize(r.energy_pj_total);
  }
  state.counters["points_per_s"] = benchmark::Counter(double(state.iterations()), benchmark::Counter::kIsRate);
}

void BM_SystemC(benchmark::State& state, bool prefill) {
  const ModelConfig m = model_700m();
  const Workload w = prefill ? prefill_workload(m, 128) : decode_workload(m, 1, 512);
  const AccelConfig c;
  int64_t cycles = 0;
  for (auto _ : state) cycles += systemc_run(c, w).cycles;
  state.counters["sim_cycles_per_s"] = benchmark::Counter(double(cycles), benchmark::Counter::kIsRate);
  state.counters["cycles_per_run"] = double(cycles) / double(state.iterations());
}

}  // namespace

BENCHMARK_CAPTURE(BM_AnalyticDesignPoints, decode_700M, false);
BENCHMARK_CAPTURE(BM_AnalyticDesignPoints, prefill128_700M, true);
BENCHMARK_CAPTURE(BM_SystemC, decode_700M, false)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_SystemC, prefill128_700M, true)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
