// The same tile job through the SystemC model and the Verilated RTL tile: identical int32
// accumulators and identical tile cycles (compute + weight fill/commands + drain). DRAM is
// made free and the weight buffer large, so the SystemC job is pure tile work, as the RTL
// harness drives it (the harness feeds the tile every cycle it is ready). Every Verilated tile
// takes part: b1.58, b1, LUT (its own pipeline depth), narrow wrapping/saturating accumulators.
#include <catch2/catch.hpp>

#include <random>
#include <vector>

#include "sim/accel_config.h"
#include "sim/systemc/machine.h"
#include "sim/systemc/systemc_model.h"
#include "sim/verilator/rtl_tile.h"

using namespace abacus;

TEST_CASE("SystemC tile and RTL tile agree on results and cycles", "[sim][rtl]") {
  std::mt19937 rng(7);
  int jobs = 0;
  for (const rtl::TileShape& shape : rtl::built_tiles()) {
    if (shape.arch == rtl::TileArch::mac) continue;  // the SystemC model has no MAC tile
    sim::AccelConfig c;
    c.n_t = shape.n_t;
    c.k_t = shape.k_t;
    c.weights = shape.arch == rtl::TileArch::binary ? sim::WeightMode::binary : sim::WeightMode::ternary;
    if (shape.arch == rtl::TileArch::lut) {
      c.pe = sim::PeStyle::lut;
      c.lut_group = shape.lut_group;
    }
    c.acc_bits = shape.acc_bits;
    c.acc_overflow = shape.saturate ? sim::AccOverflow::saturate : sim::AccOverflow::wrap;
    c.dram_gbps = 1e6;
    c.dram_latency_ns = 0;
    c.weight_buffer_kib = 1024;
    c.act_buffer_kib = 1024;
    c.out_buffer_kib = 1024;
    const rtl::RtlTile tile(c);
    for (auto [T, K, N] : {std::tuple<int64_t, int64_t, int64_t>{1, 8, 4}, {3, 37, 9}, {5, 100, 37}, {2, 300, 20}}) {
      // A wrapping accumulator narrower than K can need is refused by the config check.
      if (!shape.saturate && 128 * K > sim::acc_max(shape.acc_bits)) {
        CHECK_THROWS_WITH(sim::systemc_gemm(c, sim::GemmCommand{"g", T, K, N, 0}, nullptr, nullptr, nullptr),
                          Catch::Contains("acc_bits"));
        continue;
      }
      std::vector<int8_t> x(size_t(T * K)), w(size_t(N * K));
      for (auto& v : x) v = int8_t(int(rng() % 256) - 128);
      for (auto& v : w)
        v = c.weights == sim::WeightMode::binary ? int8_t(rng() % 2 ? 1 : -1) : int8_t(int(rng() % 3) - 1);
      std::vector<int32_t> acc(size_t(T * N));
      const sim::SimCounters s = sim::systemc_gemm(c, sim::GemmCommand{"g", T, K, N, 0}, x.data(), w.data(), acc.data());
      const rtl::GemmRun r = tile.run(x.data(), w.data(), T, K, N);
      INFO(rtl::tile_name(shape) << " T=" << T << " K=" << K << " N=" << N);
      CHECK(acc == r.acc);
      CHECK(uint64_t(s.tile_cycles + s.tile_overhead_cycles + s.pipeline_cycles) == r.cycles);
      ++jobs;
    }
  }
  CHECK(jobs >= 8);
}
