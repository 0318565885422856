// Quantizers on hand-worked examples, ties, degenerate tensors, per-token and per-group scopes.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "src/quant/act_quant.h"
#include "src/quant/rounding.h"
#include "src/quant/weight_quant.h"
#include "src/util/error.h"

using namespace abacus;
using namespace abacus::quant;

TEST_CASE("round_half_even rounds ties to even", "[quant]") {
  CHECK(round_half_even(0.5f) == 0.f);
  CHECK(round_half_even(1.5f) == 2.f);
  CHECK(round_half_even(2.5f) == 2.f);
  CHECK(round_half_even(-0.5f) == 0.f);
  CHECK(round_half_even(-1.5f) == -2.f);
  CHECK(round_half_even(-2.5f) == -2.f);
  CHECK(round_half_even(2.4999f) == 2.f);
}

TEST_CASE("b1.58 absmean ternary on a hand-worked example", "[quant]") {
  // mean|W| = 4.5 / 6 = 0.75; W / 0.75 = 0.667 -1.333 0.333 2.667 0 -1
  const std::vector<float> W = {0.5f, -1.0f, 0.25f, 2.0f, 0.0f, -0.75f};
  std::vector<int8_t> q(6);
  float s = 0;
  quantize_weights(WeightQuant::ternary_absmean, W.data(), 2, 3, 1, q.data(), &s);
  CHECK(q == std::vector<int8_t>{1, -1, 0, 1, 0, -1});
  CHECK(s == 1.0f / 0.75f);
  std::vector<float> deq(6);
  dequantize_weights(q.data(), &s, 2, 3, 1, deq.data());
  CHECK(deq[0] == Approx(0.75f));
  CHECK(deq[4] == 0.f);
}

TEST_CASE("b1.58 weight ties go to even", "[quant]") {
  // mean|W| = 1, so W * s = W exactly: 0.5 -> 0, 1.5 -> 2 -> clamp 1, -0.5 -> 0, -1.5 -> -1.
  const std::vector<float> W = {0.5f, 1.5f, -0.5f, -1.5f, 1.0f, 1.0f};
  std::vector<int8_t> q(6);
  float s = 0;
  quantize_weights(WeightQuant::ternary_absmean, W.data(), 1, 6, 1, q.data(), &s);
  CHECK(s == 1.0f);
  CHECK(q == std::vector<int8_t>{0, 1, 0, -1, 1, 1});
}

TEST_CASE("b1.58 median variant uses the lower median of |W|", "[quant]") {
  // |W| sorted 0.1 0.2 0.3 4: lower median 0.2, s = 5: 0.5 -> 0 (tie), -1, 1.5 -> 2 -> 1, -20 -> -1
  const std::vector<float> W = {0.1f, -0.2f, 0.3f, -4.0f};
  std::vector<int8_t> q(4);
  float s = 0;
  quantize_weights(WeightQuant::ternary_absmedian, W.data(), 1, 4, 1, q.data(), &s);
  CHECK(s == 1.0f / 0.2f);
  CHECK(q == std::vector<int8_t>{0, -1, 1, -1});
}

TEST_CASE("b1 binary: sign of centred weights, beta = mean|W|", "[quant]") {
  // alpha = 1: 1 > 1 is false -> -1; beta = 8/4 = 2
  const std::vector<float> W = {1.f, 2.f, 3.f, -2.f};
  std::vector<int8_t> q(4);
  float s = 0;
  quantize_weights(WeightQuant::binary, W.data(), 2, 2, 1, q.data(), &s);
  CHECK(q == std::vector<int8_t>{-1, 1, 1, -1});
  CHECK(s == 0.5f);
}

TEST_CASE("all-zero and constant weights give finite scales", "[quant]") {
  const std::vector<float> zeros(12, 0.f), consts(12, 0.3f);
  std::vector<int8_t> q(12);
  float s = 0;
  for (auto mode : {WeightQuant::binary, WeightQuant::ternary_absmean, WeightQuant::ternary_absmedian}) {
    quantize_weights(mode, zeros.data(), 3, 4, 1, q.data(), &s);
    CHECK(std::isfinite(s));
    CHECK(s == 1.0f / kScaleEps);
    for (int8_t v : q) CHECK(v == (mode == WeightQuant::binary ? -1 : 0));
    quantize_weights(mode, consts.data(), 3, 4, 1, q.data(), &s);
    CHECK(std::isfinite(s));
    if (mode != WeightQuant::binary)
      for (int8_t v : q) CHECK(v == 1);
  }
}

TEST_CASE("weight groups along N quantize each block on its own", "[quant]") {
  const std::vector<float> W = {0.01f, -0.02f, 0.03f, 0.0f, 5.f, -1.f, 2.f, 0.5f};  // N=4, K=2, G=2
  std::vector<int8_t> q(8), q0(4), q1(4);
  float s[2], s0, s1;
  quantize_weights(WeightQuant::ternary_absmean, W.data(), 4, 2, 2, q.data(), s);
  quantize_weights(WeightQuant::ternary_absmean, W.data(), 2, 2, 1, q0.data(), &s0);
  quantize_weights(WeightQuant::ternary_absmean, W.data() + 4, 2, 2, 1, q1.data(), &s1);
  CHECK(s[0] == s0);
  CHECK(s[1] == s1);
  CHECK(s[0] != s[1]);
  CHECK(std::vector<int8_t>(q.begin(), q.begin() + 4) == q0);
  CHECK(std::vector<int8_t>(q.begin() + 4, q.end()) == q1);
  CHECK_THROWS_AS(quantize_weights(WeightQuant::ternary_absmean, W.data(), 4, 2, 3, q.data(), s), Error);
}

TEST_CASE("activation absmax per token with ties", "[quant]") {
  // row 0: max 127 -> s = 1, ties to even; row 1: max 2 -> s = 63.5
  const std::vector<float> x = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 127.f, 1.f, -2.f, 0.f, 0.5f, 0.f, 0.f};
  std::vector<int8_t> q(12);
  float s[2];
  quantize_activations(ActScope::per_token, x.data(), 2, 6, 1, q.data(), s);
  CHECK(s[0] == 1.0f);
  CHECK(s[1] == 63.5f);
  CHECK(std::vector<int8_t>(q.begin(), q.begin() + 6) == std::vector<int8_t>{0, 2, 2, 0, -2, 127});
  // 63.5 -> 64 (even), -127, 0, 31.75 -> 32
  CHECK(std::vector<int8_t>(q.begin() + 6, q.end()) == std::vector<int8_t>{64, -127, 0, 32, 0, 0});
}

TEST_CASE("activation per tensor shares one scale", "[quant]") {
  const std::vector<float> x = {1.f, -4.f, 2.f, 0.5f};
  std::vector<int8_t> q(4);
  float s;
  quantize_activations(ActScope::per_tensor, x.data(), 2, 2, 1, q.data(), &s);
  CHECK(s == 127.0f / 4.0f);
  CHECK(q == std::vector<int8_t>{32, -127, 64, 16});  // 31.75 -> 32, 63.5 -> 64, 15.875 -> 16
}

TEST_CASE("activation per group along K", "[quant]") {
  const std::vector<float> x = {1.f, -2.f, 10.f, 5.f};  // one token, G = 2
  std::vector<int8_t> q(4);
  float s[2];
  quantize_activations(ActScope::per_group, x.data(), 1, 4, 2, q.data(), s);
  CHECK(s[0] == 63.5f);
  CHECK(s[1] == 12.7f);
  CHECK(q == std::vector<int8_t>{64, -127, 127, 64});  // 5 * 12.7 = 63.5 -> 64
  std::vector<float> back(4);
  dequantize_activations(ActScope::per_group, q.data(), s, nullptr, 1, 4, 2, back.data());
  for (int i = 0; i < 4; ++i) CHECK(back[size_t(i)] == Approx(x[size_t(i)]).margin(0.5f / s[i / 2]));
  CHECK_THROWS_AS(quantize_activations(ActScope::per_group, x.data(), 1, 4, 3, q.data(), s), Error);
}

TEST_CASE("all-zero and constant activations give no NaN", "[quant]") {
  const std::vector<float> z(8, 0.f), c(8, -2.f);
  std::vector<int8_t> q(8);
  float s[2], o[2];
  quantize_activations(ActScope::per_token, z.data(), 2, 4, 1, q.data(), s);
  CHECK(s[0] == 127.0f / kScaleEps);
  for (int8_t v : q) CHECK(v == 0);
  quantize_activations(ActScope::per_token, c.data(), 2, 4, 1, q.data(), s);
  for (int8_t v : q) CHECK(v == -127);
  quantize_activations_shifted(ActScope::per_token, c.data(), 2, 4, 1, q.data(), s, o);
  CHECK(std::isfinite(s[0]));
  CHECK(o[0] == -2.f);
  for (int8_t v : q) CHECK(v == 0);
  std::vector<float> back(8);
  dequantize_activations(ActScope::per_token, q.data(), s, o, 2, 4, 1, back.data());
  for (float v : back) CHECK(v == -2.f);
}

TEST_CASE("shifted [0,127] form for inputs of non-linearities", "[quant]") {
  // min -1, range 4: s = 31.75; (x + 1) s = 0, 31.75, 63.5 (tie -> 64), 127
  const std::vector<float> x = {-1.f, 0.f, 1.f, 3.f};
  std::vector<int8_t> q(4);
  float s, o;
  quantize_activations_shifted(ActScope::per_token, x.data(), 1, 4, 1, q.data(), &s, &o);
  CHECK(s == 31.75f);
  CHECK(o == -1.f);
  CHECK(q == std::vector<int8_t>{0, 32, 64, 127});
  std::vector<double> back(4);
  dequantize_activations(ActScope::per_token, q.data(), &s, &o, 1, 4, 1, back.data());
  for (int i = 0; i < 4; ++i) CHECK(back[size_t(i)] == Approx(x[size_t(i)]).margin(0.5 / 31.75));
}

TEST_CASE("weight_quant_for maps modes and rejects fp", "[quant]") {
  CHECK(weight_quant_for(Quant::b1) == WeightQuant::binary);
  CHECK(weight_quant_for(Quant::b158) == WeightQuant::ternary_absmean);
  CHECK(weight_quant_for(Quant::b158_median) == WeightQuant::ternary_absmedian);
  CHECK_THROWS_AS(weight_quant_for(Quant::fp), Error);
}

TEST_CASE("a NaN reaching a quantizer is an error", "[quant]") {
  const std::vector<float> x = {1.f, std::nanf(""), 2.f, 3.f};
  std::vector<int8_t> q(4);
  float s[4], o[4];
  CHECK_THROWS_AS(quantize_activations(ActScope::per_token, x.data(), 1, 4, 1, q.data(), s), Error);
  CHECK_THROWS_AS(quantize_activations_shifted(ActScope::per_token, x.data(), 1, 4, 1, q.data(), s, o), Error);
  CHECK_THROWS_AS(quantize_weights(WeightQuant::ternary_absmean, x.data(), 1, 4, 1, q.data(), s), Error);
}
