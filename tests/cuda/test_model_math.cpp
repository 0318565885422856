// The per-element arithmetic of the whole-model kernels (src/cuda/model_math.h) and the host-side
// emulation of the kernels' reductions, compiled by the host compiler and checked against the CPU
// core (src/nn): bit for bit where the kernel does the core's float operations in the same order.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "src/cuda/model_math.h"
#include "src/cuda/quant_math.h"
#include "src/quant/weight_quant.h"
#include "src/nn/activations.h"
#include "src/nn/rope.h"
#include "tests/cuda/random_data.h"

namespace cu = abacus::cuda;
namespace nn = abacus::nn;

TEST_CASE("bf16 rounding is round-to-nearest-even on the high half", "[cuda][bf16]") {
  auto bits = [](float x) { uint32_t u; std::memcpy(&u, &x, 4); return u; };
  CHECK(cu::bf16_round(1.0f) == 1.0f);
  // 1 + 2^-8 is halfway between bf16 1 and 1 + 2^-7: ties to even (1).
  CHECK(cu::bf16_round(1.0f + std::ldexp(1.0f, -8)) == 1.0f);
  // 1 + 3 * 2^-8 is halfway between 1 + 2^-7 and 1 + 2^-6: ties to even (1 + 2^-6).
  CHECK(cu::bf16_round(1.0f + 3 * std::ldexp(1.0f, -8)) == 1.0f + std::ldexp(1.0f, -6));
  CHECK(cu::bf16_round(-2.5f) == -2.5f);
  CHECK(std::isinf(cu::bf16_round(INFINITY)));
  CHECK(std::isnan(cu::bf16_round(NAN)));
  const std::vector<float> x = normal_floats(4096, 31, 3.f);
  for (float v : x) {
    const float r = cu::bf16_round(v);
    CHECK((bits(r) & 0xffffu) == 0u);
    CHECK(std::fabs(r - v) <= std::ldexp(std::fabs(v), -8));  // half an ulp of 8 significant bits
  }
}

TEST_CASE("FFN non-linearities and derivatives equal src/nn bit for bit", "[cuda][ffn]") {
  const int64_t n = 2000;
  const size_t un = 2000;
  const std::vector<float> g = normal_floats(un, 32, 2.f), u = normal_floats(un, 33), dh = normal_floats(un, 34);
  std::vector<float> h(un), dg(un, 0.f), du(un, 0.f);
  nn::swiglu_forward(h.data(), g.data(), u.data(), n);
  nn::swiglu_backward(dg.data(), du.data(), dh.data(), g.data(), u.data(), n);
  for (int64_t i = 0; i < n; ++i) {
    float a = 0.f, b = 0.f;
    cu::swiglu_grad(dh[size_t(i)], g[size_t(i)], u[size_t(i)], a, b);
    REQUIRE(cu::swiglu(g[size_t(i)], u[size_t(i)]) == h[size_t(i)]);
    REQUIRE(a == dg[size_t(i)]);
    REQUIRE(b == du[size_t(i)]);
  }
  std::fill(dg.begin(), dg.end(), 0.f);
  std::fill(du.begin(), du.end(), 0.f);
  nn::relu2_glu_forward(h.data(), g.data(), u.data(), n);
  nn::relu2_glu_backward(dg.data(), du.data(), dh.data(), g.data(), u.data(), n);
  for (int64_t i = 0; i < n; ++i) {
    float a = 0.f, b = 0.f;
    cu::relu2_glu_grad(dh[size_t(i)], g[size_t(i)], u[size_t(i)], a, b);
    REQUIRE(cu::relu2_glu(g[size_t(i)], u[size_t(i)]) == h[size_t(i)]);
    REQUIRE(a == dg[size_t(i)]);
    REQUIRE(b == du[size_t(i)]);
  }
  std::fill(du.begin(), du.end(), 0.f);
  nn::gelu_forward(h.data(), u.data(), n);
  nn::gelu_backward(du.data(), dh.data(), u.data(), n);
  for (int64_t i = 0; i < n; ++i) {
    REQUIRE(cu::gelu(u[size_t(i)]) == h[size_t(i)]);
    REQUIRE(0.f + dh[size_t(i)] * cu::gelu_grad(u[size_t(i)]) == du[size_t(i)]);
  }
}

TEST_CASE("RoPE pair rotation with double angles equals nn::rope forward and backward", "[cuda][rope]") {
  const int64_t B = 2, T = 5, H = 3, hd = 8, pos0 = 7;
  const double theta = 10000.0;
  const std::vector<float> x = normal_floats(size_t(B * T * H * hd), 35);
  for (const bool inverse : {false, true}) {
    std::vector<float> ref = x, mine = x;
    if (inverse) nn::rope_backward(ref.data(), B, T, H, hd, pos0, theta);
    else nn::rope_forward(ref.data(), B, T, H, hd, pos0, theta);
    // The kernel's per-thread arithmetic (src/cuda/model_kernels.cu rope_kernel).
    const int64_t half = hd / 2;
    for (int64_t bth = 0; bth < B * T * H; ++bth)
      for (int64_t i = 0; i < half; ++i) {
        const int64_t t = (bth / H) % T;
        const double a = double(pos0 + t) * std::pow(theta, -2.0 * double(i) / double(hd));
        const float c = float(std::cos(a)), s = float((inverse ? -1.0 : 1.0) * std::sin(a));
        cu::rope_pair(mine[size_t(bth * hd + i)], mine[size_t(bth * hd + i + half)], c, s);
      }
    REQUIRE(mine == ref);
  }
}

TEST_CASE("binary (b1) weight quantizer of the kernels equals quantize_weights(binary)", "[cuda][quant]") {
  // The kernel's arithmetic: double sums of W and |W| per group, alpha = float(sum / count),
  // w_scale = weight_scale_from_center(float(sum|W| / count)), w_q = quantize_binary(W, alpha).
  const int64_t N = 12, K = 50;
  for (const int64_t groups : {int64_t(1), int64_t(3)}) {
    const std::vector<float> W = normal_floats(size_t(N * K), 40 + uint32_t(groups), 0.05f);
    std::vector<int8_t> ref_q(W.size()), q(W.size());
    std::vector<float> ref_s(static_cast<size_t>(groups)), s(static_cast<size_t>(groups));
    abacus::quant::quantize_weights(abacus::quant::WeightQuant::binary, W.data(), N, K, groups, ref_q.data(),
                                    ref_s.data());
    const int64_t count = (N / groups) * K;
    for (int64_t g = 0; g < groups; ++g) {
      double sum = 0, sum_abs = 0;
      for (int64_t i = g * count; i < (g + 1) * count; ++i) {  // any order: double absorbs it
        sum += double(W[size_t(i)]);
        sum_abs += double(std::fabs(W[size_t(i)]));
      }
      const float denom = float(count);
      const float alpha = float(sum / double(denom));
      s[size_t(g)] = cu::weight_scale_from_center(float(sum_abs / double(denom)));
      for (int64_t i = g * count; i < (g + 1) * count; ++i) q[size_t(i)] = cu::quantize_binary(W[size_t(i)], alpha);
    }
    REQUIRE(q == ref_q);
    REQUIRE(s == ref_s);
  }
}
