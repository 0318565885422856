// Each arithmetic knob of src/accel against a hand-worked case, and the default configuration
// against the software reference (identical logits).
#include <catch2/catch.hpp>
#include <cmath>
#include <random>
#include <vector>

#include "src/accel/accel_arith.h"
#include "src/model/inference.h"
#include "src/model/lm.h"
#include "src/quant/act_quant.h"
#include "src/quant/int_gemm.h"
#include "src/util/error.h"
#include "tests/train/micro_config.h"

using namespace abacus;
using accel::ArithConfig;

TEST_CASE("accumulator wrap and saturate after each K_T chunk (hand-worked)", "[accel]") {
  // acc_bits 8 ([-128, 127]), K_T = 2: chunks (100 + 100) = 200, then (100 - 50) = 50.
  const std::vector<int8_t> x = {100, 100, 100, -50}, w = {1, 1, 1, 1};
  ArithConfig a;
  a.k_t = 2;
  a.acc_bits = 8;
  a.acc_overflow = accel::Overflow::wrap;
  CHECK(accel::accumulate_dot(x.data(), w.data(), 4, a) == -6);  // 200 -> -56, -56 + 50 = -6
  a.acc_overflow = accel::Overflow::saturate;
  CHECK(accel::accumulate_dot(x.data(), w.data(), 4, a) == 127);  // 200 -> 127, 127 + 50 -> 127
  // The chunk is summed exactly before the add: K_T = 4 sees one partial sum of 250 -> 127.
  a.k_t = 4;
  CHECK(accel::accumulate_dot(x.data(), w.data(), 4, a) == 127);
  a.acc_overflow = accel::Overflow::wrap;
  CHECK(accel::accumulate_dot(x.data(), w.data(), 4, a) == 250 - 256);
  // Negative saturation, and the 12-bit range.
  const std::vector<int8_t> xn = {-128, -128, -128, -128};
  a.k_t = 1;
  a.acc_overflow = accel::Overflow::saturate;
  CHECK(accel::accumulate_dot(xn.data(), w.data(), 4, a) == -128);
  CHECK(accel::wrap_to_bits(2048, 12) == -2048);
  CHECK(accel::wrap_to_bits(-2049, 12) == 2047);
  CHECK(accel::saturate_to_bits(5000, 12) == 2047);
  CHECK(accel::saturate_to_bits(-5000, 12) == -2048);
}

TEST_CASE("the default accumulator equals the integer reference", "[accel]") {
  std::mt19937 rng(3);
  const int64_t T = 3, K = 100, N = 7;
  std::vector<int8_t> x(T * K), w(N * K);
  for (auto& v : x) v = int8_t(int(rng() % 256) - 128);
  for (auto& v : w) v = int8_t(int(rng() % 3) - 1);
  std::vector<int32_t> ref(T * N), got(T * N);
  quant::int8_gemm_ref(x.data(), w.data(), ref.data(), T, K, N);
  ArithConfig a;
  accel::accel_gemm(x.data(), w.data(), got.data(), T, K, N, a);
  CHECK(got == ref);
  CHECK(accel::accumulation_is_exact(x.data(), T * K, K, a));
  a.acc_bits = 12;
  CHECK_FALSE(accel::accumulation_is_exact(x.data(), T * K, K, a));
}

TEST_CASE("a4.8 INT4 absmean and top-k INT8 quantizers (hand-worked)", "[accel]") {
  // beta = mean|x| = 2.875, s = sqrt(7) / 2.875 = 0.92027: x s = 0.46, -0.92, 1.84, 7.36.
  const std::vector<float> x = {0.5f, -1.f, 2.f, 8.f};
  std::vector<int8_t> q(4);
  float s = 0;
  accel::quantize_int4_absmean(x.data(), 4, q.data(), &s);
  CHECK(s == Approx(std::sqrt(7.0) / 2.875));
  CHECK(q == std::vector<int8_t>{0, -1, 2, 7});
  const std::vector<float> big = {-30.f, 1.f, 1.f, 1.f};  // clamps to -8
  accel::quantize_int4_absmean(big.data(), 4, q.data(), &s);
  CHECK(q[0] == -8);

  // Top 50% of 8 by magnitude: -3, 2, 1, 0.3 kept; absmax 3 -> s = 127/3.
  const std::vector<float> y = {0.1f, -3.f, 0.2f, 2.f, -0.05f, 1.f, 0.f, 0.3f};
  std::vector<int8_t> qy(8);
  accel::quantize_topk_int8(y.data(), 8, 0.5, qy.data(), &s);
  CHECK(s == Approx(127.0 / 3.0));
  CHECK(qy == std::vector<int8_t>{0, -127, 0, 85, 0, 42, 0, 13});

  // Roles under act_bits 4: q/k/v/gate/up INT4, o top-k INT8, down INT8 (as act_bits 8).
  ArithConfig a;
  a.act_bits = 4;
  std::vector<int8_t> r(8), ref(8);
  float rs = 0, refs = 0;
  accel::quantize_activations_for(a, accel::ProjRole::ffn_down, y.data(), 1, 8, r.data(), &rs);
  quant::quantize_activations(quant::ActScope::per_token, y.data(), 1, 8, 1, ref.data(), &refs);
  CHECK(r == ref);
  accel::quantize_activations_for(a, accel::role_of("layers.1.attn.o"), y.data(), 1, 8, r.data(), &rs);
  CHECK(r == qy);
  accel::quantize_activations_for(a, accel::role_of("layers.0.attn.q"), x.data(), 1, 4, r.data(), &rs);
  CHECK(std::vector<int8_t>(r.begin(), r.begin() + 4) == std::vector<int8_t>{0, -1, 2, 7});
}

TEST_CASE("Hadamard transform (hand-worked, orthonormal, blockwise)", "[accel]") {
  std::vector<float> x = {1.f, 2.f, 3.f, 4.f};
  accel::hadamard_rows(x.data(), 1, 4);  // H4 / 2
  CHECK(x == std::vector<float>{5.f, -1.f, -2.f, 0.f});
  accel::hadamard_rows(x.data(), 1, 4);  // H H = I
  CHECK(x == std::vector<float>{1.f, 2.f, 3.f, 4.f});
  CHECK(accel::hadamard_block(24) == 8);  // K = 24: three blocks of 8
  std::vector<float> z(24, 1.f);
  accel::hadamard_rows(z.data(), 1, 24);
  for (int b = 0; b < 3; ++b) {
    CHECK(z[size_t(8 * b)] == Approx(8 / std::sqrt(8.0)));
    for (int i = 1; i < 8; ++i) CHECK(z[size_t(8 * b + i)] == Approx(0).margin(1e-6));
  }
  ArithConfig a;
  CHECK_FALSE(accel::uses_hadamard(a, accel::ProjRole::attn_out));
  a.hadamard = true;
  CHECK(accel::uses_hadamard(a, accel::ProjRole::attn_out));
  CHECK(accel::uses_hadamard(a, accel::ProjRole::ffn_down));
  CHECK_FALSE(accel::uses_hadamard(a, accel::ProjRole::block_input));
}

TEST_CASE("PPU rescale precisions (hand-worked)", "[accel]") {
  ArithConfig a;  // acc 1000, x_scale 1, w_scale 3: y = 333.33...
  CHECK(accel::ppu_rescale(1000, 1.f, 3.f, a) == 1000.f / (1.f * 3.f));
  a.ppu_precision = accel::PpuPrecision::fp16;  // m = fp16(1/3) = 0.333251953125; 333.2519 -> 333.25
  CHECK(accel::round_to_fp16(1.f / 3.f) == 0.333251953125f);
  CHECK(accel::ppu_rescale(1000, 1.f, 3.f, a) == 333.25f);
  CHECK(accel::round_to_fp16(70000.f) == INFINITY);
  CHECK(accel::round_to_fp16(65519.f) == 65504.f);
  CHECK(accel::round_to_fp16(1e-7f) == std::ldexp(2.f, -24));  // subnormal grid 2^-24
  a.ppu_precision = accel::PpuPrecision::bf16;  // m = 0.333984375; 333.984375 -> 334 (ulp 2)
  CHECK(accel::round_to_bf16(1.f / 3.f) == 0.333984375f);
  CHECK(accel::ppu_rescale(1000, 1.f, 3.f, a) == 334.f);
  a.ppu_precision = accel::PpuPrecision::fixed;  // M = round(2^17 / 3) = 43691, shift 17, F = 16
  const accel::FixedMultiplier f = accel::fixed_multiplier(1.0 / 3.0, 16);
  CHECK(f.mult == 43691);
  CHECK(f.shift == 17);
  // (1000 * 43691 + 1) >> 1 = 21845500 -> 21845500 / 2^16
  CHECK(accel::ppu_rescale(1000, 1.f, 3.f, a) == float(21845500.0 / 65536.0));
  CHECK(accel::ppu_rescale(-1000, 1.f, 3.f, a) == float(-21845500.0 / 65536.0));  // -43691000 + 1 >> 1
  a.ppu_frac_bits = 0;  // integer output: (1000 * 43691 + 2^16) >> 17 = 333
  CHECK(accel::ppu_rescale(1000, 1.f, 3.f, a) == 333.f);
}

TEST_CASE("KV cache storage formats (hand-worked)", "[accel]") {
  std::vector<float> kv = {1.f, -0.5f, 0.25f, 2.f};
  accel::store_kv(kv.data(), 1, 1, 4, 8);  // s = 127 / 2 = 63.5: 63.5 -> 64, -31.75 -> -32, 15.875 -> 16, 127
  CHECK(kv == std::vector<float>{64 / 63.5f, -32 / 63.5f, 16 / 63.5f, 127 / 63.5f});
  kv = {1.f, -0.5f, 0.25f, 2.f};
  accel::store_kv(kv.data(), 1, 1, 4, 4);  // s = 3.5: 3.5 -> 4, -1.75 -> -2, 0.875 -> 1, 7
  CHECK(kv == std::vector<float>{4 / 3.5f, -2 / 3.5f, 1 / 3.5f, 7 / 3.5f});
  kv = {0.1f, 1.f};
  accel::store_kv(kv.data(), 1, 1, 2, 16);
  CHECK(kv[0] == 0.0999755859375f);
  kv = {0.1f, 3.f, 100.f, 0.001f};  // two heads of 2: scales per head
  accel::store_kv(kv.data(), 1, 2, 2, 8);
  CHECK(kv[1] == 3.f);
  CHECK(kv[2] == 100.f);
  CHECK(kv[3] == 0.f);
}

TEST_CASE("arithmetic fields parse from an accelerator config; others are ignored", "[accel]") {
  const ArithConfig a = ArithConfig::from_json_text(
      R"({"name": "x", "n_t": 8, "k_t": 16, "acc_bits": 12, "acc_overflow": "saturate", "act_bits": 4,
          "hadamard": true, "ppu_precision": "bf16", "kv_bits": 8, "dram_gbps": 3})",
      "cfg.json");
  CHECK(a.k_t == 16);
  CHECK(a.acc_bits == 12);
  CHECK(a.acc_overflow == accel::Overflow::saturate);
  CHECK(a.act_bits == 4);
  CHECK(a.hadamard);
  CHECK(a.ppu_precision == accel::PpuPrecision::bf16);
  CHECK(a.kv_bits == 8);
  CHECK(a.key() != ArithConfig{}.key());
  CHECK(ArithConfig::from_json_text(R"({"dram_gbps": 99, "n_t": 4})", "t.json").key() == ArithConfig{}.key());
  CHECK_THROWS_WITH(ArithConfig::from_json_text(R"({"act_bits": 6})", "cfg.json"),
                    Catch::Contains("cfg.json: act_bits: must be 8 or 4"));
  CHECK_THROWS_WITH(ArithConfig::from_json_text(R"({"acc_overflow": "clip"})", "cfg.json"),
                    Catch::Contains("cfg.json: acc_overflow"));
  CHECK_THROWS_WITH(ArithConfig::from_json_text(R"({"kv_bits": 3})", "cfg.json"), Catch::Contains("kv_bits"));
  CHECK_THROWS_WITH(ArithConfig::load("no-such-accel.json"), Catch::Contains("no-such-accel.json"));
}

namespace {
std::vector<float> random_params(const ModelConfig& c, uint64_t seed) {
  model::LanguageModel<float> m(c);
  m.init_weights(seed);
  return std::vector<float>(m.params(), m.params() + m.num_params());
}
}  // namespace

TEST_CASE("--accel with the default config gives logits identical to the software reference", "[accel]") {
  for (Quant q : {Quant::b158, Quant::b1}) {
    const ModelConfig c = test::micro_config(q, q == Quant::b1 ? NormKind::layernorm : NormKind::rmsnorm,
                                             FfnKind::swiglu, false);
    const std::vector<float> p = random_params(c, 11);
    const std::vector<int32_t> toks = {1, 5, 9, 30, 2, 7};
    model::InferenceModel ref(c, p.data());
    const std::vector<float> a = ref.forward(toks.data(), 4, 0), a2 = ref.forward(toks.data() + 4, 2, 4);
    const ArithConfig def = ArithConfig::from_json_text(R"({"name": "default", "n_t": 16, "k_t": 32, "acc_bits": 32})", "d");
    const accel::ScopedArith on(&def);
    model::InferenceModel emu(c, p.data());
    const std::vector<float> b = emu.forward(toks.data(), 4, 0), b2 = emu.forward(toks.data() + 4, 2, 4);
    CHECK(a == b);  // bitwise
    CHECK(a2 == b2);
  }
}

TEST_CASE("non-default knobs change a model's logits", "[accel]") {
  const ModelConfig c = test::micro_config(Quant::b158, NormKind::rmsnorm, FfnKind::swiglu, false);
  const std::vector<float> p = random_params(c, 12);
  const std::vector<int32_t> toks = {1, 5, 9, 30, 2, 7};
  model::InferenceModel ref(c, p.data());
  const std::vector<float> a = ref.forward(toks.data(), 6, 0);
  auto with = [&](ArithConfig cfg) {
    const accel::ScopedArith on(&cfg);
    model::InferenceModel emu(c, p.data());
    return emu.forward(toks.data(), 6, 0);
  };
  ArithConfig k;
  k.act_bits = 4;
  CHECK(with(k) != a);
  k = {};
  k.ppu_precision = accel::PpuPrecision::fp16;
  CHECK(with(k) != a);
  k = {};
  k.kv_bits = 4;
  CHECK(with(k) != a);
  k = {};
  k.hadamard = true;
  const std::vector<float> h = with(k);
  CHECK(h != a);
  // A model built under the reference cannot run Hadamard (its rotated weights are missing).
  const accel::ScopedArith on(&k);
  CHECK_THROWS_WITH(ref.forward(toks.data(), 6, 0), Catch::Contains("hadamard"));
}
