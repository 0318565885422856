// Co-simulation: the SystemC model with the Verilated RTL tile (Verilator --sc) clocked as its
// tile, against the same model with its own tile. Every GEMM's accumulators must equal the
// integer reference in both, and every counter (cycles, stalls, traffic) must be identical, on
// configurations that exercise DRAM stalls, k-chunking, streamed activations and a slow PPU.
#include <catch2/catch.hpp>

#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "sim/accel_config.h"
#include "sim/cosim/rtl_cosim.h"
#include "sim/systemc/machine.h"
#include "sim/systemc/systemc_model.h"
#include "sim/systemc/workload.h"
#include "src/quant/int_gemm.h"
#include "src/util/error.h"

using namespace abacus;

namespace {

sim::AccelConfig config_for(const rtl::TileShape& s) {
  sim::AccelConfig c;
  c.n_t = s.n_t;
  c.k_t = s.k_t;
  c.weights = s.arch == rtl::TileArch::binary ? sim::WeightMode::binary : sim::WeightMode::ternary;
  if (s.arch == rtl::TileArch::lut) {  // the LUT tile: its own pipeline depth, same unit protocol
    c.pe = sim::PeStyle::lut;
    c.lut_group = s.lut_group;
  }
  return c;
}

// Memory systems that make the tile wait, chunk K and stream activations, and a PPU slower
// than the tile, beside a free one where the tile alone sets the pace.
std::vector<std::pair<std::string, sim::AccelConfig>> variants(const rtl::TileShape& s) {
  std::vector<std::pair<std::string, sim::AccelConfig>> v;
  sim::AccelConfig free_mem = config_for(s);
  free_mem.dram_gbps = 1e6;
  free_mem.dram_latency_ns = 0;
  v.push_back({"free DRAM", free_mem});
  sim::AccelConfig tight = config_for(s);  // default DRAM; 2 k-tiles per weight slot; 1 KiB of activations
  tight.weight_buffer_kib = double(2 * s.n_t * s.k_t * 2 * 2) / 8.0 / 1024.0;
  tight.act_buffer_kib = 1;
  tight.ppu_lanes = 1;
  v.push_back({"tight buffers, slow PPU", tight});
  sim::AccelConfig single = tight;
  single.double_buffer = false;
  single.weight_buffer_kib *= 3;
  v.push_back({"single-buffered", single});
  return v;
}

std::vector<int8_t> random_weights(std::mt19937& rng, size_t n, bool binary) {
  std::vector<int8_t> w(n);
  for (auto& v : w) v = binary ? int8_t(rng() % 2 ? 1 : -1) : int8_t(int(rng() % 3) - 1);
  return w;
}

std::vector<int8_t> random_acts(std::mt19937& rng, size_t n) {
  std::vector<int8_t> x(n);
  for (auto& v : x) v = int8_t(int(rng() % 256) - 128);
  return x;
}

}  // namespace

TEST_CASE("co-simulated RTL tile equals the SystemC tile model: results and every counter", "[cosim]") {
  cosim::attach_rtl_tiles();
  std::mt19937 rng(11);
  int jobs = 0;
  int64_t chunked = 0, streamed = 0, ppu_stalls = 0, dram_waits = 0;
  for (const rtl::TileShape& shape : cosim::cosim_tiles()) {
    for (const auto& [label, c] : variants(shape)) {
      const bool binary = c.weights == sim::WeightMode::binary;
      for (auto [T, K, N] : {std::tuple<int64_t, int64_t, int64_t>{1, 8, 4}, {3, 37, 9}, {5, 100, 37}, {2, 300, 20}}) {
        const std::vector<int8_t> x = random_acts(rng, size_t(T * K)), w = random_weights(rng, size_t(N * K), binary);
        std::vector<int32_t> expected(size_t(T * N));
        quant::int8_gemm_ref(x.data(), w.data(), expected.data(), T, K, N);
        sim::Workload wl;
        wl.add_gemm("g", T, K, N);
        const cosim::CosimRun r = cosim::cosim_compare(c, wl, {{x.data(), w.data()}});
        INFO(rtl::tile_name(shape) << ", " << label << ": T=" << T << " K=" << K << " N=" << N);
        CAPTURE(r.counter_differences);
        CHECK(r.counter_differences.empty());
        CHECK(r.rtl_acc[0] == expected);
        CHECK(r.model_acc[0] == expected);
        const sim::GemmPlan p = sim::plan_gemm(c, wl.commands[0].gemm);
        chunked += p.chunks > 1;
        streamed += p.stream_acts || p.row_blocks > 1 || p.act_chunks > 1;  // activations in more than one tile
        ppu_stalls += r.rtl.stall_ppu > 0;
        dram_waits += r.rtl.stall_tile_wait_dram > 0;
        ++jobs;
      }
    }
  }
  CHECK(jobs == int(cosim::cosim_tiles().size()) * 3 * 4);
  // The variants really exercised the paths the co-simulation has to get right.
  CHECK(chunked > 0);
  CHECK(streamed > 0);
  CHECK(ppu_stalls > 0);
  CHECK(dram_waits > 0);
}

TEST_CASE("co-simulation of a workload: vector work, repeats and a timing-only GEMM", "[cosim]") {
  cosim::attach_rtl_tiles();
  std::mt19937 rng(5);
  sim::AccelConfig c;  // the default configuration: ternary 16x32
  sim::Workload wl;
  wl.add_vector("norm+quant", 4096);
  wl.add_gemm("q", 4, 128, 128);
  wl.add_gemm("up", 4, 128, 352, 2);       // repeated: both repeats compute on the same operands
  wl.add_vector("act+quant", 1408);
  wl.add_gemm("down", 4, 352, 128);
  wl.add_gemm("lm_head", 1, 128, 1000, 1, 8);  // 8-bit weights, no operands: timing only
  std::vector<std::vector<int8_t>> xs, ws;
  std::vector<cosim::GemmInputs> inputs(wl.commands.size());
  for (size_t i : {size_t(1), size_t(2), size_t(4)}) {
    const sim::GemmCommand& g = wl.commands[i].gemm;
    xs.push_back(random_acts(rng, size_t(g.T * g.K)));
    ws.push_back(random_weights(rng, size_t(g.N * g.K), false));
    inputs[i] = {xs.back().data(), ws.back().data()};
  }
  const cosim::CosimRun r = cosim::cosim_compare(c, wl, inputs);
  CAPTURE(r.counter_differences);
  CHECK(r.identical());
  CHECK(r.rtl.commands == 7);
  CHECK(r.rtl.vector_cycles > 0);
  size_t operand = 0;
  for (size_t i : {size_t(1), size_t(2), size_t(4)}) {
    const sim::GemmCommand& g = wl.commands[i].gemm;
    std::vector<int32_t> expected(size_t(g.T * g.N));
    quant::int8_gemm_ref(xs[operand].data(), ws[operand].data(), expected.data(), g.T, g.K, g.N);
    CHECK(r.rtl_acc[i] == expected);
    ++operand;
  }
  CHECK(r.rtl_acc[5].empty());  // the timing-only LM head has no results
}

TEST_CASE("co-simulation rejects what the RTL tile cannot run, naming the limit", "[cosim]") {
  cosim::attach_rtl_tiles();
  std::vector<int8_t> x(8 * 16, 1), w(8 * 16, 1);
  sim::Workload wl;
  wl.add_gemm("g", 8, 16, 8);
  sim::AccelConfig no_tile;
  no_tile.n_t = 5;
  CHECK_THROWS_WITH(cosim::cosim_compare(no_tile, wl, {{x.data(), w.data()}}),
                    Catch::Contains("no clocked tile") && Catch::Contains("rtl ternary-16x32"));
  sim::AccelConfig lut;
  lut.pe = sim::PeStyle::lut;
  CHECK_THROWS_WITH(cosim::cosim_compare(lut, wl, {{x.data(), w.data()}}), Catch::Contains("no clocked tile"));

  // A weight slot deeper than the RTL's MAX_KS.
  sim::AccelConfig deep;
  deep.n_t = 4;
  deep.k_t = 8;
  deep.weight_buffer_kib = 1024;
  const int64_t K = int64_t(cosim::cosim_max_ksteps() + 1) * 8;
  std::vector<int8_t> xd(size_t(K), 1), wd(size_t(4 * K), 1);
  sim::Workload deep_wl;
  deep_wl.add_gemm("deep", 1, K, 4);
  CHECK_THROWS_WITH(cosim::cosim_compare(deep, deep_wl, {{xd.data(), wd.data()}}),
                    Catch::Contains("deep") && Catch::Contains("MAX_KS"));

  // Weights outside the tile's alphabet are refused before the run, naming the GEMM.
  w[3] = 2;
  CHECK_THROWS_WITH(cosim::cosim_compare(sim::AccelConfig{}, wl, {{x.data(), w.data()}}), Catch::Contains("g.w_q"));

  // The kernel has run: no more tiles can be elaborated into it.
  CHECK_THROWS_WITH(sim::attach_clocked_tiles({}), Catch::Contains("before the first SystemC run"));
}
