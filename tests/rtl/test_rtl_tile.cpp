// The Verilated tile against quant::int8_gemm_ref: random shapes, corner operands, b1.58, b1
// and MAC tiles, LUT tiles (g = 2..5), narrow wrapping / saturating accumulators (against
// sim::acc_gemm_ref), cycle counts against the documented formula, random output backpressure,
// the illegal-command flag, and random initial register values (--x-initial unique seeds).
#include <catch2/catch.hpp>

#include <cstdint>
#include <random>
#include <vector>

#include "sim/acc_arith.h"
#include "sim/verilator/rtl_tile.h"
#include "src/quant/int_gemm.h"
#include "src/util/error.h"

using namespace abacus;
using rtl::TileArch;
using rtl::TileShape;

namespace {

struct Operands {
  std::vector<int8_t> x, w;
};

Operands random_operands(std::mt19937_64& rng, int64_t T, int64_t K, int64_t N, TileArch arch) {
  Operands o;
  o.x.resize(size_t(T * K));
  o.w.resize(size_t(N * K));
  std::uniform_int_distribution<int> a(-128, 127), t(-1, 1), b(0, 1);
  for (auto& v : o.x) v = int8_t(a(rng));
  for (auto& v : o.w) v = int8_t(arch == TileArch::binary ? (b(rng) ? 1 : -1) : arch == TileArch::mac ? a(rng) : t(rng));
  return o;
}

void require_exact(const rtl::RtlTile& tile, const Operands& o, int64_t T, int64_t K, int64_t N,
                   const rtl::GemmRunOptions& opt = {}) {
  const rtl::GemmCheck c = rtl::check_gemm(tile, o.x.data(), o.w.data(), T, K, N, opt);
  INFO(rtl::tile_name(tile.shape()) << " T=" << T << " K=" << K << " N=" << N << " bp=" << opt.backpressure
                                    << " first mismatch " << c.first_index << " expected " << c.first_expected
                                    << " got " << c.first_got);
  REQUIRE(c.mismatches == 0);
  if (opt.backpressure == 0) REQUIRE(c.run.cycles == rtl::predicted_cycles(tile.shape(), T, K, N));
}

}  // namespace

TEST_CASE("rtl tile: built configurations include the documented set", "[rtl]") {
  std::vector<std::string> names;
  for (const TileShape& s : rtl::built_tiles()) names.push_back(rtl::tile_name(s));
  for (const char* want : {"ternary-4x8", "ternary-8x16", "ternary-16x32", "binary-8x16", "mac-4x8", "lut-4x8-g2",
                           "lut-4x8-g3", "lut-4x8-g4", "lut-4x8-g5", "ternary-4x8-acc16-sat", "lut-4x8-g3-acc16-wrap"})
    REQUIRE(std::find(names.begin(), names.end(), want) != names.end());
}

TEST_CASE("rtl tile: unsupported configuration is an error naming the built ones", "[rtl]") {
  sim::AccelConfig c;
  c.n_t = 5;
  c.k_t = 7;
  try {
    rtl::RtlTile t(c);
    FAIL("expected an error");
  } catch (const Error& e) {
    REQUIRE(std::string(e.what()).find("ternary-8x16") != std::string::npos);
  }
  c.n_t = 8;
  c.k_t = 16;
  c.acc_bits = 24;
  REQUIRE_THROWS_AS(rtl::RtlTile(c), Error);
  c.acc_bits = 32;
  c.pe = sim::PeStyle::lut;
  c.n_t = 4;
  c.k_t = 8;
  c.lut_group = 4;
  REQUIRE(rtl::RtlTile(c).shape().arch == TileArch::lut);
  c.n_t = 8;
  c.k_t = 16;
  REQUIRE_THROWS_AS(rtl::RtlTile(c), Error);  // no lut-8x16-g4 in the harness
}

TEST_CASE("rtl tile: random GEMMs are bit-exact in b1.58, b1 and MAC tiles with exact cycle counts", "[rtl]") {
  std::mt19937_64 rng(12345);
  for (const TileShape& s : rtl::built_tiles()) {
    rtl::RtlTile tile(s);
    // Small shapes keep thousands of GEMMs within seconds; larger tiles get fewer.
    const int count = s.n_t * s.k_t <= 32 ? 1500 : s.n_t * s.k_t <= 128 ? 500 : 100;
    for (int i = 0; i < count; ++i) {
      std::uniform_int_distribution<int64_t> dt(1, 4), dk(1, 3 * s.k_t), dn(1, 2 * s.n_t + 1);
      const int64_t T = dt(rng), K = dk(rng), N = dn(rng);
      require_exact(tile, random_operands(rng, T, K, N, s.arch), T, K, N);
    }
  }
}

TEST_CASE("rtl tile: corner operands", "[rtl]") {
  std::mt19937_64 rng(7);
  for (const TileShape& s : rtl::built_tiles()) {
    rtl::RtlTile tile(s);
    // K and N not multiples of the tile, and multiples.
    for (int64_t K : {int64_t(s.k_t), int64_t(s.k_t) * 2 + 3, int64_t(1)}) {
      for (int64_t N : {int64_t(s.n_t), int64_t(s.n_t) + 1}) {
        const int64_t T = 3;
        const int8_t wone = 1, wneg = -1;
        const int8_t wzero = s.arch == TileArch::binary ? wone : int8_t(0);
        struct Case {
          const char* name;
          int8_t xv;     // 0 = alternate +127 / -128
          int8_t wv;     // weight value, 2 = alternate +1 / -1
        };
        for (Case c : {Case{"all 127, +1", 127, wone}, Case{"all -128, +1", -128, wone}, Case{"all -128, -1", -128, wneg},
                       Case{"all 127, -1", 127, wneg}, Case{"zero acts", 0, wneg}, Case{"zero weights", 127, wzero},
                       Case{"all -1 acts", -1, wneg}, Case{"alternating signs", 0, 2}}) {
          Operands o;
          o.x.resize(size_t(T * K));
          o.w.resize(size_t(N * K));
          for (size_t i = 0; i < o.x.size(); ++i) o.x[i] = c.xv != 0 || c.wv != 2 ? c.xv : int8_t(i % 2 ? -128 : 127);
          for (size_t i = 0; i < o.w.size(); ++i) o.w[i] = c.wv == 2 ? int8_t(i % 2 ? -1 : 1) : c.wv;
          INFO(c.name);
          require_exact(tile, o, T, K, N);
        }
      }
    }
    // Ternary weights in the MAC tile too, and long K across several weight loads.
    if (s.n_t * s.k_t <= 32 && s.acc_bits == 32 && !s.saturate) {
      const int64_t T = 2, K = int64_t(rtl::max_ksteps()) * s.k_t + 5, N = s.n_t + 2;
      Operands o = random_operands(rng, T, K, N, s.arch);
      for (auto& v : o.x) v = -128;
      require_exact(tile, o, T, K, N);
    }
  }
}

TEST_CASE("rtl tile: random output backpressure keeps results exact and only adds cycles", "[rtl]") {
  std::mt19937_64 rng(99);
  for (const TileShape& s : rtl::built_tiles()) {
    if (s.n_t * s.k_t > 128) continue;
    rtl::RtlTile tile(s);
    for (double bp : {0.3, 0.7, 0.95}) {
      for (int i = 0; i < 40; ++i) {
        std::uniform_int_distribution<int64_t> dt(1, 24), dk(1, 2 * s.k_t), dn(1, 2 * s.n_t);
        const int64_t T = dt(rng), K = dk(rng), N = dn(rng);
        Operands o = random_operands(rng, T, K, N, s.arch);
        rtl::GemmRunOptions opt;
        opt.backpressure = bp;
        opt.seed = uint64_t(i + 1);
        require_exact(tile, o, T, K, N, opt);
        const rtl::GemmRun r = tile.run(o.x.data(), o.w.data(), T, K, N, opt);
        REQUIRE(r.cycles >= rtl::predicted_cycles(s, T, K, N));
      }
    }
  }
}

TEST_CASE("rtl tile: cycle formula", "[rtl]") {
  const TileShape s{TileArch::ternary, 8, 16};
  // The compute part is the design.md formula ceil(N/N_T) * T * ceil(K/K_T).
  REQUIRE(rtl::compute_cycles(s, 5, 40, 17) == 3u * 5u * 3u);
  // ... and the whole run adds per block the two commands and the weight beats, then the drain.
  REQUIRE(rtl::predicted_cycles(s, 5, 40, 17) == 3u * (2u + 3u * 6u) + 1u + uint64_t(rtl::drain_latency(s)));
  REQUIRE(rtl::drain_latency(s) == 3 + 2);
  // LUT: table register + lookup register + ceil(log2(ceil(K_T/g))/2) tree registers.
  REQUIRE(rtl::drain_latency(TileShape{TileArch::lut, 4, 8, 2}) == 2 + 1 + 2);   // 4 groups
  REQUIRE(rtl::drain_latency(TileShape{TileArch::lut, 4, 8, 3}) == 2 + 1 + 2);   // 3 groups (padded to 4)
  REQUIRE(rtl::drain_latency(TileShape{TileArch::lut, 4, 8, 5}) == 2 + 1 + 2);   // 2 groups
  REQUIRE(rtl::drain_latency(TileShape{TileArch::lut, 8, 16, 4}) == 2 + 1 + 2);  // 4 groups
  REQUIRE(rtl::drain_latency(TileShape{TileArch::lut, 8, 32, 2}) == 2 + 2 + 2);  // 16 groups
}

TEST_CASE("rtl tile: narrow accumulators wrap or saturate after every K_T chunk, as sim::acc_gemm_ref", "[rtl]") {
  // acc_gemm_ref with 32 wrapping bits is int8_gemm_ref.
  std::mt19937_64 rng(5);
  {
    Operands o = random_operands(rng, 3, 70, 5, TileArch::ternary);
    std::vector<int32_t> a(15), b(15);
    quant::int8_gemm_ref(o.x.data(), o.w.data(), a.data(), 3, 70, 5);
    REQUIRE(sim::acc_gemm_ref(o.x.data(), o.w.data(), b.data(), 3, 70, 5, 8, 32, sim::AccOverflow::wrap) == 0);
    REQUIRE(a == b);
  }
  REQUIRE(sim::acc_add(32767, 1, 16, sim::AccOverflow::wrap) == -32768);
  REQUIRE(sim::acc_add(32767, 1, 16, sim::AccOverflow::saturate) == 32767);
  REQUIRE(sim::acc_add(-32768, -5, 16, sim::AccOverflow::saturate) == -32768);
  REQUIRE(sim::acc_add(-32768, 5, 16, sim::AccOverflow::saturate) == -32763);
  for (const TileShape& s : rtl::built_tiles()) {
    if (s.acc_bits == 32 && !s.saturate) continue;
    rtl::RtlTile tile(s);
    // 300 * 127 = 38100 > 32767: overflows a 16-bit accumulator; the sign flips back below 0.
    const int64_t T = 2, K = 600, N = s.n_t + 1;
    Operands o;
    o.x.assign(size_t(T * K), 127);
    o.w.assign(size_t(N * K), 1);
    for (int64_t k = 300; k < K; ++k) o.w[size_t(k)] = -1;  // column 0 goes up, then down
    for (int64_t k = 0; k < K; ++k) o.x[size_t(K + k)] = int8_t(k % 3 == 0 ? -128 : 127);
    std::vector<int32_t> want(size_t(T * N));
    const int64_t ovf = sim::acc_gemm_ref(o.x.data(), o.w.data(), want.data(), T, K, N, s.k_t, s.acc_bits,
                                          s.saturate ? sim::AccOverflow::saturate : sim::AccOverflow::wrap);
    REQUIRE(ovf > 0);
    const rtl::GemmRun r = tile.run(o.x.data(), o.w.data(), T, K, N);
    INFO(rtl::tile_name(s));
    REQUIRE(r.acc == want);
    if (s.saturate) {
      REQUIRE(want[1] == 32767);                // column 1: all +1, clamped
      // Up for 37 chunks of 8 (clamped at 32767), one chunk of +4 -4, then down 37 chunks exactly.
      if (s.k_t == 8) REQUIRE(want[0] == 32767 - 296 * 127);
    }
    // Too long for one weight load: refused (the host cannot continue a narrow/saturating sum).
    const int64_t K2 = int64_t(rtl::max_ksteps()) * s.k_t + 1;
    std::vector<int8_t> x2(size_t(K2), 1), w2(size_t(K2), 1);
    REQUIRE_THROWS_AS(tile.run(x2.data(), w2.data(), 1, K2, 1), Error);
  }
}

TEST_CASE("rtl tile: illegal commands raise cmd_error and leave the tile idle", "[rtl]") {
  for (const TileShape& s : rtl::built_tiles()) {
    if (s.n_t * s.k_t > 128) continue;
    rtl::RtlTile tile(s);
    INFO(rtl::tile_name(s));
    const unsigned max_ks = unsigned(rtl::max_ksteps());
    struct Case {
      const char* what;
      unsigned op, tokens, ksteps, preload;
      bool illegal;
    };
    for (Case c : {Case{"bad op 3", 3, 1, 1, 0, true}, Case{"LOAD_W 0 k-steps", 0, 1, 0, 0, true},
                   Case{"LOAD_W > MAX_KS", 0, 1, max_ks + 1, 0, true}, Case{"RUN 0 tokens", 1, 0, 1, 1, true},
                   Case{"RUN 0 k-steps", 1, 1, 0, 1, true}, Case{"RUN > MAX_KS", 1, 1, max_ks + 1, 1, true},
                   Case{"RUN before any LOAD_W", 1, 1, 1, 0, true}, Case{"RUN more than loaded", 1, 1, 3, 2, true},
                   Case{"DRAIN", 2, 0, 0, 0, false}, Case{"LOAD_W MAX_KS", 0, 1, max_ks, 0, false}}) {
      INFO(c.what);
      const rtl::RtlTile::CommandProbe p = tile.probe_command(c.op, c.tokens, c.ksteps, c.preload);
      REQUIRE(p.error == c.illegal);
      if (c.illegal) REQUIRE(p.idle);
    }
  }
}

TEST_CASE("rtl tile: results do not depend on the initial register values (--x-initial unique seeds)", "[rtl]") {
  std::mt19937_64 rng(2024);
  for (const TileShape& s : rtl::built_tiles()) {
    if (s.n_t * s.k_t > 128) continue;
    rtl::RtlTile tile(s);
    for (uint64_t seed : {1u, 2u, 3u, 77u, 1234567u}) {
      std::uniform_int_distribution<int64_t> dt(1, 5), dk(1, 3 * s.k_t), dn(1, 2 * s.n_t + 1);
      const int64_t T = dt(rng), K = dk(rng), N = dn(rng);
      rtl::GemmRunOptions opt;
      opt.x_seed = seed;
      INFO("x seed " << seed);
      require_exact(tile, random_operands(rng, T, K, N, s.arch), T, K, N, opt);
    }
  }
}

TEST_CASE("rtl tile: operands outside the tile's weight set are rejected", "[rtl]") {
  rtl::RtlTile ternary(TileShape{TileArch::ternary, 4, 8});
  rtl::RtlTile binary(TileShape{TileArch::binary, 8, 16});
  std::vector<int8_t> x(8, 1), w2(8, 2), w0(8, 0);
  REQUIRE_THROWS_AS(ternary.run(x.data(), w2.data(), 1, 8, 1), Error);
  REQUIRE_THROWS_AS(binary.run(x.data(), w0.data(), 1, 8, 1), Error);
}

TEST_CASE("rtl tile: waveform is written when asked", "[rtl]") {
  rtl::RtlTile tile(TileShape{TileArch::ternary, 4, 8});
  std::vector<int8_t> x(8 * 2, 3), w(8 * 5, 1);
  rtl::GemmRunOptions opt;
  opt.wave_path = "rtl_tile_test.vcd";
  std::remove(opt.wave_path.c_str());
  const rtl::GemmRun r = tile.run(x.data(), w.data(), 2, 8, 5, opt);
  REQUIRE(r.wave_written == opt.wave_path);
  FILE* f = std::fopen(opt.wave_path.c_str(), "rb");
  REQUIRE(f != nullptr);
  std::fseek(f, 0, SEEK_END);
  REQUIRE(std::ftell(f) > 1000);
  std::fclose(f);
}
