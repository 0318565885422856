// Accumulator wrap against the RTL tile on the same operands: rtl/ternary_tile.v Verilated with
// a 14-bit accumulator (ACC_W = 14, N_T = 4, K_T = 8; the harness tiles are all 32-bit, where
// no GEMM the tile can hold overflows). The RTL adds each k-step's exact adder-tree sum into
// the ACC_W-bit register, wrapping: the accel model's "wrap" with k_t = K_T must match every
// output, including the ones that overflowed; with ACC_SAT = 1 the RTL clamps after each
// k-step add and must match the model's "saturate".
#include <catch2/catch.hpp>
#include <memory>
#include <random>
#include <vector>

#include "Vacc14_ternary_4x8.h"
#include "Vacc14s_ternary_4x8.h"
#include "src/accel/accel_arith.h"
#include "src/quant/int_gemm.h"
#include "verilated.h"

using namespace abacus;

namespace {

constexpr int kNT = 4, kKT = 8, kAccW = 14;

// One LOAD_W (KS k-steps of all N_T columns), one RUN of T tokens, then DRAIN; the
// handshakes are sampled before each rising edge (rtl/README.md protocol).
template <class Tile>
std::vector<int32_t> run_tile(const std::vector<int8_t>& x, const std::vector<int8_t>& w, int T, int K) {
  const int KS = K / kKT;
  auto ctx = std::make_unique<VerilatedContext>();
  auto m = std::make_unique<Tile>(ctx.get(), "tile");
  auto edge = [&] {
    m->clk = 1;
    m->eval();
    m->clk = 0;
    m->eval();
  };
  m->clk = 0;
  m->rst_n = 0;
  m->eval();
  edge();
  edge();
  m->rst_n = 1;
  enum { kLoad, kWeights, kRun, kActs, kDrain, kWait } ph = kLoad;
  int beat = 0;
  std::vector<int32_t> out;
  for (int cycle = 0; cycle < 100000; ++cycle) {
    m->cmd_valid = ph == kLoad || ph == kRun || ph == kDrain;
    m->cmd_op = ph == kLoad ? 0 : ph == kRun ? 1 : 2;
    m->cmd_tokens = uint16_t(T);
    m->cmd_ksteps = uint16_t(KS);
    m->w_valid = ph == kWeights;
    m->w_data = 0;
    if (ph == kWeights)
      for (int n = 0; n < kNT; ++n)
        for (int k = 0; k < kKT; ++k) {
          const int v = w[size_t(n * K + beat * kKT + k)];
          const uint64_t code = v == 1 ? 1u : v == -1 ? 3u : 0u;
          m->w_data |= code << ((n * kKT + k) * 2);
        }
    m->act_valid = ph == kActs;
    m->act_data = 0;
    if (ph == kActs) {
      const int t = beat / KS, ks = beat % KS;
      for (int k = 0; k < kKT; ++k) m->act_data |= uint64_t(uint8_t(x[size_t(t * K + ks * kKT + k)])) << (8 * k);
    }
    m->out_ready = 1;
    m->eval();
    const bool cmd_fire = m->cmd_valid && m->cmd_ready, w_fire = m->w_valid && m->w_ready;
    const bool act_fire = m->act_valid && m->act_ready;
    if (m->out_valid)
      for (int n = 0; n < kNT; ++n) {
        const uint64_t field = (uint64_t(m->out_data) >> (n * kAccW)) & ((uint64_t(1) << kAccW) - 1);
        out.push_back(int32_t(accel::wrap_to_bits(int64_t(field), kAccW)));  // sign-extend
      }
    if (ph == kWait && m->cmd_ready) break;
    edge();
    switch (ph) {
      case kLoad: if (cmd_fire) { ph = kWeights; beat = 0; } break;
      case kWeights: if (w_fire && ++beat == KS) ph = kRun; break;
      case kRun: if (cmd_fire) { ph = kActs; beat = 0; } break;
      case kActs: if (act_fire && ++beat == T * KS) ph = kDrain; break;
      case kDrain: if (cmd_fire) ph = kWait; break;
      default: break;
    }
  }
  m->final();
  return out;  // [T, N_T], tokens in order
}

}  // namespace

namespace {

// Mostly large positive activations and columns of mostly +1 / mostly -1 weights, so the
// running sums pass +-2^13 (the 14-bit range), some several times.
void overflowing_operands(std::vector<int8_t>& x, std::vector<int8_t>& w, int K, int N) {
  std::mt19937 rng(7);
  for (auto& v : x) v = int8_t(80 + int(rng() % 48));  // 80..127
  for (int n = 0; n < N; ++n)
    for (int k = 0; k < K; ++k) {
      const int r = int(rng() % 10);
      const int sign = n % 2 ? -1 : 1;
      w[size_t(n * K + k)] = int8_t(r < 8 ? sign : r < 9 ? 0 : -sign);
    }
}

template <class Tile>
void check_against_rtl(accel::Overflow mode) {
  const int T = 5, K = 128, N = kNT;
  std::vector<int8_t> x(size_t(T * K)), w(size_t(N * K));
  overflowing_operands(x, w, K, N);
  const std::vector<int32_t> rtl = run_tile<Tile>(x, w, T, K);
  REQUIRE(rtl.size() == size_t(T * N));
  accel::ArithConfig a;
  a.k_t = kKT;
  a.acc_bits = kAccW;
  a.acc_overflow = mode;
  std::vector<int32_t> model(size_t(T * N)), exact(size_t(T * N));
  accel::accel_gemm(x.data(), w.data(), model.data(), T, K, N, a);
  quant::int8_gemm_ref(x.data(), w.data(), exact.data(), T, K, N);
  CHECK(rtl == model);
  int overflowed = 0;
  for (size_t i = 0; i < exact.size(); ++i) overflowed += exact[i] != model[i];
  INFO("outputs whose exact sum left the 14-bit range: " << overflowed);
  CHECK(overflowed >= 4);  // the comparison exercises overflow, not just in-range sums
}

}  // namespace

TEST_CASE("accumulator wrap equals the RTL tile's ACC_W-bit accumulator", "[accel][rtl]") {
  check_against_rtl<Vacc14_ternary_4x8>(accel::Overflow::wrap);
}

TEST_CASE("accumulator saturate equals the RTL tile's saturating ACC_W-bit accumulator", "[accel][rtl]") {
  check_against_rtl<Vacc14s_ternary_4x8>(accel::Overflow::saturate);
}
