// The float BitNet training forward runs the quantized product in integers (int8 x ternary
// GEMM) with the norm fused into the activation quantizer: its x~, W~ and norm statistics are
// bit-equal to the unfused reference steps, and y = float(int8_gemm_ref) / (x_scale * w_scale).
#include <catch2/catch.hpp>

#include <cstdio>
#include <random>
#include <vector>

#include "src/nn/bitlinear.h"
#include "src/nn/layernorm.h"
#include "src/nn/rmsnorm.h"
#include "src/quant/act_quant.h"
#include "src/quant/int_gemm.h"
#include "src/quant/weight_quant.h"

using namespace abacus;
using namespace abacus::nn;

namespace {

void check_integer_forward(Quant q, NormKind norm, quant::ActScope scope, bool shift, int64_t rows, int64_t K,
                           int64_t N, int64_t groups) {
  INFO("quant " << quant_name(q) << " rows " << rows << " K " << K << " N " << N << " shift " << shift);
  std::mt19937 g(uint32_t(rows * 131 + K * 7 + N));
  std::normal_distribution<float> d;
  std::vector<float> x(size_t(rows * K)), w(size_t(N * K)), gain(static_cast<size_t>(K));
  for (float& v : x) v = d(g) * 2.f;
  for (float& v : w) v = d(g) * 0.02f;
  for (float& v : gain) v = 1.f + 0.1f * d(g);
  BitLinearSpec s;
  s.in = K;
  s.out = N;
  s.quant = q;
  s.norm = norm;
  s.train_act_scope = scope;
  s.shift_input = shift;
  s.weight_groups = groups;
  std::vector<float> mean(static_cast<size_t>(rows)), rstd(static_cast<size_t>(rows)), xt(size_t(rows * K)), wt(size_t(N * K)), y(size_t(rows * N));
  bitlinear_forward<float>(s, y.data(), x.data(), w.data(), gain.data(), rows,
                           {mean.data(), rstd.data(), xt.data(), wt.data()});

  // Reference: the unfused steps.
  std::vector<float> xn(size_t(rows * K)), rmean(static_cast<size_t>(rows)), rrstd(static_cast<size_t>(rows));
  if (norm == NormKind::layernorm)
    layernorm_forward(xn.data(), rmean.data(), rrstd.data(), x.data(), gain.data(), static_cast<const float*>(nullptr),
                      rows, K, s.norm_eps);
  else
    rmsnorm_forward(xn.data(), rrstd.data(), x.data(), gain.data(), rows, K, s.norm_eps);
  const int64_t ns = quant::act_scale_count(scope, rows, 1);
  std::vector<int8_t> xq(size_t(rows * K)), wq(size_t(N * K));
  std::vector<float> xs(static_cast<size_t>(ns)), xo(static_cast<size_t>(ns)), ws(static_cast<size_t>(groups)), xt_ref(size_t(rows * K)), wt_ref(size_t(N * K));
  if (shift)
    quant::quantize_activations_shifted(scope, xn.data(), rows, K, 1, xq.data(), xs.data(), xo.data());
  else
    quant::quantize_activations(scope, xn.data(), rows, K, 1, xq.data(), xs.data());
  quant::dequantize_activations(scope, xq.data(), xs.data(), shift ? xo.data() : nullptr, rows, K, 1, xt_ref.data());
  quant::quantize_weights(quant::weight_quant_for(q), w.data(), N, K, groups, wq.data(), ws.data());
  quant::dequantize_weights(wq.data(), ws.data(), N, K, groups, wt_ref.data());
  std::vector<int32_t> acc(size_t(rows * N));
  quant::int8_gemm_ref(xq.data(), wq.data(), acc.data(), rows, K, N);

  CHECK(rstd == rrstd);
  CHECK(xt == xt_ref);
  CHECK(wt == wt_ref);
  int bad = 0;
  for (int64_t t = 0; t < rows; ++t)
    for (int64_t n = 0; n < N; ++n) {
      const size_t si = scope == quant::ActScope::per_tensor ? 0 : size_t(t);
      const float wsn = ws[size_t(n / (N / groups))];
      float rs = 0;
      for (int64_t k = 0; k < K; ++k) rs += float(wq[size_t(n * K + k)]);
      const float a = float(acc[size_t(t * N + n)]);
      const float expect = shift ? (a / xs[si] + xo[si] * rs) / wsn : a / (xs[si] * wsn);
      if (y[size_t(t * N + n)] != expect && bad < 3)
        { char b[160]; std::snprintf(b, sizeof b, "t %lld n %lld got %a expected %a acc %g xs %a ws %a", (long long)t, (long long)n, y[size_t(t * N + n)], expect, a, xs[si], wsn); WARN(b); }
      bad += y[size_t(t * N + n)] != expect;
    }
  CHECK(bad == 0);
}

}  // namespace

TEST_CASE("the b1.58 training forward is the exact integer product, norm fused with the quantizer", "[bitlinear]") {
  check_integer_forward(Quant::b158, NormKind::rmsnorm, quant::ActScope::per_token, false, 37, 200, 70, 1);
  check_integer_forward(Quant::b158, NormKind::rmsnorm, quant::ActScope::per_token, false, 64, 256, 128, 2);
  check_integer_forward(Quant::b158_median, NormKind::rmsnorm, quant::ActScope::per_token, false, 5, 129, 9, 1);
}

TEST_CASE("the b1 training forward (LayerNorm, per-tensor scale, shifted input) is the exact integer product",
          "[bitlinear]") {
  check_integer_forward(Quant::b1, NormKind::layernorm, quant::ActScope::per_tensor, false, 33, 96, 40, 1);
  check_integer_forward(Quant::b1, NormKind::layernorm, quant::ActScope::per_tensor, true, 12, 64, 24, 1);
}
