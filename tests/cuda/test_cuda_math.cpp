// The per-element arithmetic of the CUDA kernels (src/cuda/*_math.h), compiled by the host
// compiler and checked bit for bit against the CPU core's reference implementations.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "src/cuda/adamw_math.h"
#include "src/cuda/quant_math.h"
#include "src/nn/bitlinear.h"
#include "src/quant/act_quant.h"
#include "src/quant/int_gemm.h"
#include "src/quant/packing.h"
#include "src/quant/weight_quant.h"
#if __has_include("src/train/adamw.h")
#include "src/train/adamw.h"
#define ABACUS_TEST_HAVE_ADAMW 1
#endif

#include "tests/cuda/random_data.h"

namespace cu = abacus::cuda;
namespace q = abacus::quant;

TEST_CASE("device activation quantizer equals quantize_activations per token", "[cuda][quant]") {
  const int64_t rows = 9, K = 200;
  std::vector<float> x = normal_floats(size_t(rows * K), 1);
  // Values near half-way after scaling (row 0: amax 4, s = 127 / 4, x * s ~= k / 2).
  x[0] = 4.f;
  for (int k = 1; k < 12; ++k) x[size_t(k)] = float(k) * 2.f / 127.f;
  x[size_t(K)] = 0.f;  // a row with a zero is fine; an all-zero row uses the 1e-5 floor
  for (int64_t k = 0; k < K; ++k) x[size_t(2 * K + k)] = 0.f;
  std::vector<int8_t> ref_q(x.size());
  std::vector<float> ref_s(static_cast<size_t>(rows));
  q::quantize_activations(q::ActScope::per_token, x.data(), rows, K, 1, ref_q.data(), ref_s.data());
  for (int64_t r = 0; r < rows; ++r) {
    float amax = 0.f;
    for (int64_t k = 0; k < K; ++k) amax = std::max(amax, std::fabs(x[size_t(r * K + k)]));
    const float s = cu::act_scale_from_absmax(amax);
    REQUIRE(s == ref_s[size_t(r)]);
    for (int64_t k = 0; k < K; ++k) REQUIRE(cu::quantize_act(x[size_t(r * K + k)], s) == ref_q[size_t(r * K + k)]);
  }
  // The tie cases themselves: 1.5 -> 2, 2.5 -> 2, -0.5 -> 0.
  CHECK(cu::quantize_act(1.5f, 1.f) == 2);
  CHECK(cu::quantize_act(2.5f, 1.f) == 2);
  CHECK(cu::quantize_act(-0.5f, 1.f) == 0);
  CHECK(cu::quantize_act(-1000.f, 1.f) == -128);
}

TEST_CASE("device shifted activation quantizer equals quantize_activations_shifted", "[cuda][quant]") {
  const int64_t rows = 5, K = 64;
  std::vector<float> x = normal_floats(size_t(rows * K), 2, 3.f);
  std::vector<int8_t> ref_q(x.size());
  std::vector<float> ref_s(static_cast<size_t>(rows)), ref_o(static_cast<size_t>(rows));
  q::quantize_activations_shifted(q::ActScope::per_token, x.data(), rows, K, 1, ref_q.data(), ref_s.data(),
                                  ref_o.data());
  for (int64_t r = 0; r < rows; ++r) {
    const float* xr = x.data() + r * K;
    const float lo = *std::min_element(xr, xr + K), hi = *std::max_element(xr, xr + K);
    const float s = cu::act_scale_from_range(lo, hi);
    REQUIRE(s == ref_s[size_t(r)]);
    REQUIRE(lo == ref_o[size_t(r)]);
    for (int64_t k = 0; k < K; ++k) REQUIRE(cu::quantize_act_shifted(xr[k], lo, s) == ref_q[size_t(r * K + k)]);
  }
}

TEST_CASE("device ternary quantizer equals quantize_weights (absmean, absmedian, groups)", "[cuda][quant]") {
  const int64_t N = 12, K = 40;
  const std::vector<float> W = normal_floats(size_t(N * K), 3, 0.02f);
  for (const int64_t G : {int64_t(1), int64_t(4)}) {
    for (const auto mode : {q::WeightQuant::ternary_absmean, q::WeightQuant::ternary_absmedian}) {
      std::vector<int8_t> ref_q(W.size());
      std::vector<float> ref_s(static_cast<size_t>(G));
      q::quantize_weights(mode, W.data(), N, K, G, ref_q.data(), ref_s.data());
      const int64_t count = N / G * K;
      for (int64_t g = 0; g < G; ++g) {
        // The kernel's centers: a double sum of |W| (absmean), the lower median (absmedian).
        std::vector<float> a(static_cast<size_t>(count));
        double sum = 0.0;
        for (int64_t i = 0; i < count; ++i) {
          a[size_t(i)] = std::fabs(W[size_t(g * count + i)]);
          sum += double(a[size_t(i)]);
        }
        std::nth_element(a.begin(), a.begin() + (count - 1) / 2, a.end());
        const float center =
            mode == q::WeightQuant::ternary_absmean ? float(sum / double(count)) : a[size_t((count - 1) / 2)];
        const float s = cu::weight_scale_from_center(center);
        REQUIRE(s == ref_s[size_t(g)]);
        for (int64_t i = 0; i < count; ++i)
          REQUIRE(cu::quantize_ternary(W[size_t(g * count + i)], s) == ref_q[size_t(g * count + i)]);
      }
    }
  }
  CHECK(cu::quantize_ternary(0.5f, 1.f) == 0);   // tie to even
  CHECK(cu::quantize_ternary(-1.5f, 1.f) == -1);  // -2 clamped
  CHECK(cu::quantize_ternary(7.f, 1.f) == 1);
  CHECK(cu::weight_scale_from_center(0.f) == 1.0f / 1e-5f);
}

TEST_CASE("radix select of the median finds torch.median's lower median of |W|", "[cuda][quant]") {
  for (const int64_t count : {int64_t(1), int64_t(2), int64_t(480), int64_t(1001)}) {
    std::vector<float> W = normal_floats(static_cast<size_t>(count), uint32_t(count), 0.02f);
    if (count > 4) W[1] = W[2] = -W[3];  // equal magnitudes must be counted, not skipped
    std::vector<float> a(W.size());
    for (size_t i = 0; i < W.size(); ++i) a[i] = std::fabs(W[i]);
    // The host side of the median kernel: 4 histogram passes over the candidates' next byte.
    uint32_t prefix = 0, mask = 0;
    int64_t rank = (count - 1) / 2;
    for (int shift = 24; shift >= 0; shift -= 8) {
      std::vector<unsigned int> hist(256, 0u);
      for (const float v : a) {
        uint32_t bits;
        std::memcpy(&bits, &v, 4);
        if ((bits & mask) == prefix) ++hist[(bits >> shift) & 255u];
      }
      prefix |= cu::radix_select_digit(hist.data(), rank) << shift;
      mask |= 255u << shift;
    }
    float median;
    std::memcpy(&median, &prefix, 4);
    std::nth_element(a.begin(), a.begin() + (count - 1) / 2, a.end());
    REQUIRE(median == a[size_t((count - 1) / 2)]);
    REQUIRE(rank >= 0);
  }
}

TEST_CASE("device 2-bit codes and pack4 reproduce pack_ternary's layout", "[cuda][packing]") {
  for (const int8_t w : {int8_t(-1), int8_t(0), int8_t(1)}) {
    CHECK(cu::ternary_code(w) == q::ternary_code(w));
    CHECK(cu::ternary_from_code(cu::ternary_code(w)) == w);
    CHECK(cu::ternary_from_code(q::ternary_code(w)) == q::ternary_value(q::ternary_code(w)));
  }
  CHECK(cu::ternary_code(0) == q::kCodeZero);
  CHECK(cu::ternary_code(1) == q::kCodePlus);
  CHECK(cu::ternary_code(-1) == q::kCodeMinus);
  for (const int64_t K : {int64_t(1), int64_t(100), int64_t(128), int64_t(300)}) {
    const int64_t N = 5;
    const std::vector<int8_t> w = random_int8(size_t(N * K), uint32_t(K), -1, 1);
    const q::PackedTernary ref = q::pack_ternary(w.data(), N, K);
    const int64_t rb = cu::ternary_row_bytes(K);
    REQUIRE(rb == ref.row_bytes);
    // As the packing kernel: one byte at a time from its four weights k0 + 32 i.
    for (int64_t n = 0; n < N; ++n)
      for (int64_t b = 0; b < rb; ++b) {
        const int64_t k0 = (b / 32) * 128 + (b % 32);
        int8_t v[4];
        for (int i = 0; i < 4; ++i) v[i] = k0 + 32 * i < K ? w[size_t(n * K + k0 + 32 * i)] : int8_t(0);
        const uint8_t byte = cu::pack4(v[0], v[1], v[2], v[3]);
        REQUIRE(byte == ref.bytes[size_t(n * rb + b)]);
        for (int i = 0; i < 4; ++i) REQUIRE(cu::unpack_at(byte, i) == v[i]);
      }
    for (int64_t k = 0; k < K; ++k) {
      REQUIRE(cu::ternary_byte_of(k) < rb);
      const uint8_t byte = ref.bytes[size_t(cu::ternary_byte_of(k))];
      REQUIRE(cu::ternary_from_code((byte >> cu::ternary_shift_of(k)) & 3u) == w[size_t(k)]);
    }
  }
}

TEST_CASE("W2A8 row dot product equals int8_gemm_ref, whole row and per-lane slices", "[cuda][gemv]") {
  const int64_t N = 7, K = 300;
  std::vector<int8_t> x = random_int8(size_t(K), 5, -128, 127);
  x[0] = -128;
  const std::vector<int8_t> w = random_int8(size_t(N * K), 6, -1, 1);
  std::vector<int32_t> ref(static_cast<size_t>(N));
  q::int8_gemm_ref(x.data(), w.data(), ref.data(), 1, K, N);
  const q::PackedTernary p = q::pack_ternary(w.data(), N, K);
  for (int64_t n = 0; n < N; ++n) {
    REQUIRE(cu::w2a8_dot_row(x.data(), p.row(n), K) == ref[size_t(n)]);
    // The GEMV kernel's split: lane j takes bytes j, j + 32, ...; the lanes' sums add up exactly.
    int32_t total = 0;
    for (int lane = 0; lane < 32; ++lane)
      for (int64_t b = lane; b < p.row_bytes; b += 32) total += cu::w2a8_byte_dot(x.data(), p.row(n)[b], b, K);
    REQUIRE(total == ref[size_t(n)]);
  }
}

TEST_CASE("rescale epilogue reproduces BitLinearPacked's outputs bit for bit", "[cuda][epilogue]") {
  const int64_t K = 96, N = 16, rows = 4;
  for (const bool shifted : {false, true}) {
    abacus::nn::BitLinearSpec spec;
    spec.in = K;
    spec.out = N;
    spec.quant = abacus::Quant::b158;
    spec.norm = abacus::NormKind::rmsnorm;
    spec.norm_weight = false;
    spec.weight_groups = 2;
    spec.shift_input = shifted;
    const std::vector<float> W = normal_floats(size_t(N * K), 7, 0.05f);
    const std::vector<float> x = normal_floats(size_t(rows * K), 8);
    abacus::nn::BitLinearPacked layer(spec, W.data(), nullptr);
    std::vector<float> y(static_cast<size_t>(rows * N));
    int records = 0;
    abacus::nn::BitLinearObserver obs = [&](const abacus::nn::BitLinearRecord& r) {
      ++records;
      const int64_t rows_per = r.N / r.G_w;
      for (int64_t t = 0; t < r.T; ++t)
        for (int64_t n = 0; n < r.N; ++n) {
          const int32_t acc = r.acc[t * r.N + n];
          const float ws = r.w_scale[n / rows_per];
          float expect;
          if (r.x_offset) {
            int32_t row_sum = 0;
            for (int64_t k = 0; k < r.K; ++k) row_sum += r.w_q[n * r.K + k];
            expect = cu::rescale_shifted(acc, r.x_scale[t], r.x_offset[t], row_sum, ws);
          } else {
            expect = cu::rescale(acc, r.x_scale[t], ws);
          }
          REQUIRE(expect == r.y[t * r.N + n]);
        }
    };
    layer.forward(y.data(), x.data(), rows, &obs, "test");
    REQUIRE(records == 1);
  }
}

#ifdef ABACUS_TEST_HAVE_ADAMW
TEST_CASE("device AdamW update equals train::AdamW bit for bit over several steps", "[cuda][adamw]") {
  const int64_t n = 257;
  std::vector<float> p_ref = normal_floats(size_t(n), 9), p = p_ref;
  abacus::train::AdamWConfig cfg;
  abacus::train::AdamW opt(n, cfg, {{0, 100, true}, {100, n - 100, false}});
  std::vector<float> m(size_t(n), 0.f), v(size_t(n), 0.f);
  const double lr = 1.5e-3, wd = 0.1;
  for (int64_t t = 1; t <= 5; ++t) {
    const std::vector<float> g = normal_floats(size_t(n), uint32_t(100 + t), 0.1f);
    opt.step(p_ref.data(), g.data(), lr, wd);
    cu::AdamWStep s{float(lr), float(cfg.beta1), float(cfg.beta2), float(cfg.eps),
                    float(1.0 - std::pow(cfg.beta1, double(t))), float(1.0 - std::pow(cfg.beta2, double(t))), 0.f};
    for (int64_t i = 0; i < n; ++i) {
      s.decay = i < 100 ? float(lr * wd) : 0.f;
      cu::adamw_update(s, p[size_t(i)], m[size_t(i)], v[size_t(i)], g[size_t(i)]);
    }
    for (int64_t i = 0; i < n; ++i) {
      REQUIRE(p[size_t(i)] == p_ref[size_t(i)]);
      REQUIRE(m[size_t(i)] == opt.m()[size_t(i)]);
      REQUIRE(v[size_t(i)] == opt.v()[size_t(i)]);
    }
  }
}
#endif
