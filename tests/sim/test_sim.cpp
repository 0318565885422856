// The SystemC model against the cycle formula, the DRAM model, the integer reference and the
// analytic fast path.
#include <catch2/catch.hpp>

#include <random>
#include <vector>

#include "sim/accel_config.h"
#include "sim/systemc/analytic_model.h"
#include "sim/systemc/machine.h"
#include "sim/systemc/systemc_model.h"
#include "sim/systemc/workload.h"
#include "src/quant/int_gemm.h"
#include "src/util/error.h"

using namespace abacus;
using namespace abacus::sim;

namespace {
AccelConfig fast_dram() {
  AccelConfig c;
  c.dram_gbps = 1e6;       // effectively free bandwidth
  c.dram_latency_ns = 0;
  return c;
}
}  // namespace

TEST_CASE("compute-bound GEMM takes the tile cycle formula plus fill/drain", "[sim]") {
  for (int n_t : {4, 16}) {
    for (int k_t : {8, 32}) {
      AccelConfig c = fast_dram();
      c.n_t = n_t;
      c.k_t = k_t;
      const GemmCommand g{"g", 5, 100, 37, 0};
      const SimCounters s = systemc_run(c, [&] { Workload w; w.add_gemm("g", g.T, g.K, g.N); return w; }());
      const int64_t formula = ceil_div(37, n_t) * 5 * ceil_div(100, k_t);
      CHECK(s.tile_cycles == formula);
      // rtl/README.md: + ceil(N/N_T) * (ceil(K/K_T) + 2*chunks) fill/command cycles (one chunk
      // here) + 1 + PIPE + 2 drain, PIPE = 1 + ceil(log2(K_T)/2).
      CHECK(s.tile_overhead_cycles == ceil_div(37, n_t) * (ceil_div(100, k_t) + 2));
      const int64_t pipe = 1 + (k_t == 8 ? 2 : 3);  // ceil(3/2) = 2, ceil(5/2) = 3
      CHECK(s.pipeline_cycles == 1 + pipe + 2);
      // Free DRAM: every transfer takes ceil(bytes / bytes-per-cycle) = 1 cycle. The first unit's
      // load (weights + the activation tile) and the writeback are the only non-overlapped transfers.
      CHECK(s.cycles == formula + s.tile_overhead_cycles + s.pipeline_cycles + s.writeback_cycles +
                            s.stall_tile_wait_dram);
      CHECK(s.stall_tile_wait_dram == 1);
      CHECK(s.writeback_cycles == 1);
    }
  }
}

TEST_CASE("DRAM-bound job takes bytes / bandwidth + latency", "[sim]") {
  AccelConfig c;
  c.clock_mhz = 1000;
  c.dram_gbps = 1.0;           // 1 byte per cycle
  c.dram_latency_ns = 50;      // 50 cycles
  c.dram_beat_bytes = 64;
  c.weight_buffer_kib = 1;     // tiny slots: many weight units
  // Decode-like GEMM: T = 1 so compute is negligible next to weight traffic.
  Workload w;
  w.add_gemm("g", 1, 1024, 256);
  const SimCounters s = systemc_run(c, w);
  const GemmPlan p = plan_gemm(c, w.commands[0].gemm);
  int64_t expect_weights = 0;
  for (int64_t j = 0; j < p.units(); ++j) {
    const int64_t b = p.unit(c, j).dma_bytes;
    expect_weights += 50 + ceil_div(b, 64) * 64;
  }
  CHECK(s.dram_read_bytes == 1024 * 256 * 2 / 8 + 1024);
  CHECK(s.writeback_cycles == 50 + 256);  // 256 bytes = 4 beats of 64 B at 1 B/cycle
  // The DMA is never idle once started (the first unit brings the activations too), so the run
  // is the sum of all transfers + the last unit's compute + fill/drain.
  const Unit last = p.unit(c, p.units() - 1);
  CHECK(s.cycles == expect_weights + last.step_cycles + s.pipeline_cycles + s.writeback_cycles);
}

TEST_CASE("functional GEMM is bit-exact against int8_gemm_ref", "[sim]") {
  std::mt19937 rng(7);
  for (auto mode : {WeightMode::ternary, WeightMode::binary}) {
    for (double act_kib : {32.0, 0.25}) {  // resident activations, then streamed slices
      AccelConfig c;
      c.n_t = 8;
      c.k_t = 16;
      c.weights = mode;
      c.act_buffer_kib = act_kib;
      c.weight_buffer_kib = 0.125;  // forces k-chunking
      const int64_t T = 7, K = 150, N = 21;
      std::vector<int8_t> x(T * K), wq(N * K);
      for (auto& v : x) v = int8_t(int(rng() % 255) - 127);
      for (auto& v : wq) v = mode == WeightMode::binary ? int8_t(rng() % 2 ? 1 : -1) : int8_t(int(rng() % 3) - 1);
      std::vector<int32_t> ref(T * N), acc(T * N);
      quant::int8_gemm_ref(x.data(), wq.data(), ref.data(), T, K, N);
      const SimCounters s = systemc_gemm(c, {"g", T, K, N, 0}, x.data(), wq.data(), acc.data());
      CHECK(acc == ref);
      CHECK(s.tile_cycles == ceil_div(N, 8) * T * ceil_div(K, 16));
    }
  }
}

TEST_CASE("analytic model equals the SystemC model on a grid", "[sim]") {
  ModelConfig m;
  m.name = "grid";
  m.hidden_size = 96;
  m.intermediate_size = 200;
  m.num_hidden_layers = 2;
  m.num_attention_heads = 4;
  m.num_key_value_heads = 2;
  m.vocab_size = 300;
  const std::vector<Workload> works = {prefill_workload(m, 9), decode_workload(m, 3, 17)};
  int points = 0;
  for (int n_t : {4, 16})
    for (int k_t : {8, 32})
      for (double gbps : {0.5, 25.6})
        for (double wkib : {0.25, 64.0})
          for (bool db : {false, true})
            for (int ppu : {1, 16}) {
              AccelConfig c;
              c.n_t = n_t;
              c.k_t = k_t;
              c.dram_gbps = gbps;
              c.weight_buffer_kib = wkib;
              c.act_buffer_kib = wkib;
              c.double_buffer = db;
              c.ppu_lanes = ppu;
              for (const Workload& w : works) {
                const SimCounters a = analytic_run(c, w), e = systemc_run(c, w);
                INFO("n_t " << n_t << " k_t " << k_t << " gbps " << gbps << " kib " << wkib << " db " << db);
                CHECK(a.cycles == e.cycles);
                CHECK(a.stall_tile_wait_dram == e.stall_tile_wait_dram);
                CHECK(a.stall_dma_wait_buffer == e.stall_dma_wait_buffer);
                CHECK(a == e);
                ++points;
              }
            }
  CHECK(points == 128);
}

TEST_CASE("double buffering hides DRAM time behind compute", "[sim]") {
  AccelConfig c;
  Workload w;
  w.add_gemm("g", 64, 1024, 512);
  c.double_buffer = true;
  const SimCounters db = analytic_run(c, w);
  c.double_buffer = false;
  const SimCounters sb = analytic_run(c, w);
  CHECK(db.cycles < sb.cycles);
  CHECK(sb.stall_dma_wait_buffer > 0);
}

TEST_CASE("accelerator config errors name the field", "[sim]") {
  auto msg = [](const std::string& text) {
    try {
      AccelConfig::from_json_text(text, "cfg.json");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(msg(R"({"n_t": 0})"), Catch::Contains("n_t"));
  CHECK_THAT(msg(R"({"dram_gbps": -1})"), Catch::Contains("dram_gbps"));
  CHECK_THAT(msg(R"({"pe": "systolic"})"), Catch::Contains("pe"));
  CHECK_THAT(msg(R"({"nt": 16})"), Catch::Contains("nt"));
  CHECK_THAT(msg(R"({"double_buffer": 1})"), Catch::Contains("double_buffer"));
  CHECK(msg(R"({"n_t": 8, "k_t": 16})") == "no error");
}
