// Co-simulation speed: one b1.58 GEMM (T=16, K=1024, N=256 on the default 16x32 tile, free
// DRAM so the tile sets the pace) three ways, side by side: the SystemC model with its own
// timed tile (baseline), the same model clocking the Verilated RTL tile (Verilator --sc), and
// the RTL tile alone under the C++ harness (Verilator --cc, no SystemC kernel). Counters:
// tile cycles simulated per second; the ratio of two runs' times is the cost of fidelity.
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "sim/cosim/rtl_cosim.h"
#include "sim/systemc/systemc_model.h"
#include "sim/verilator/rtl_tile.h"

using namespace abacus;

namespace {

constexpr int64_t kT = 16, kK = 1024, kN = 256;

struct Operands {
  std::vector<int8_t> x, w;
  Operands() : x(size_t(kT * kK)), w(size_t(kN * kK)) {
    std::mt19937 rng(3);
    for (auto& v : x) v = int8_t(int(rng() % 256) - 128);
    for (auto& v : w) v = int8_t(int(rng() % 3) - 1);
  }
};

sim::AccelConfig config() {
  sim::AccelConfig c;
  c.dram_gbps = 1e6;
  c.dram_latency_ns = 0;
  return c;
}

void BM_Gemm(benchmark::State& state, sim::TileImpl impl) {
  cosim::attach_rtl_tiles();
  const Operands op;
  const sim::AccelConfig c = config();
  std::vector<int32_t> acc(size_t(kT * kN));
  int64_t tile_cycles = 0;
  for (auto _ : state) {
    const sim::SimCounters s =
        sim::systemc_gemm(c, sim::GemmCommand{"g", kT, kK, kN, 0}, op.x.data(), op.w.data(), acc.data(), impl);
    tile_cycles += s.tile_cycles + s.tile_overhead_cycles + s.pipeline_cycles;
  }
  state.counters["tile_cycles_per_s"] = benchmark::Counter(double(tile_cycles), benchmark::Counter::kIsRate);
}

void BM_RtlHarness(benchmark::State& state) {
  const Operands op;
  const rtl::RtlTile tile(config());
  int64_t tile_cycles = 0;
  for (auto _ : state) tile_cycles += int64_t(tile.run(op.x.data(), op.w.data(), kT, kK, kN).cycles);
  state.counters["tile_cycles_per_s"] = benchmark::Counter(double(tile_cycles), benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK_CAPTURE(BM_Gemm, systemc_tile_model, sim::TileImpl::model)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_Gemm, systemc_with_rtl_tile, sim::TileImpl::rtl)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RtlHarness)->Unit(benchmark::kMillisecond);
BENCHMARK_MAIN();
