// BitLinear: gradients with identity quantizers, the STE gradient, and the packed integer
// inference path (bit-exact accumulators, the stated rescale, agreement with training).
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <vector>

#include "src/nn/bitlinear.h"
#include "src/nn/layernorm.h"
#include "src/nn/rmsnorm.h"
#include "src/quant/int_gemm.h"
#include "src/quant/weight_quant.h"
#include "src/tensor/matmul.h"
#include "src/util/error.h"
#include "tests/nn/grad_check.h"

using namespace abacus;
using namespace abacus::nn;
using abacus::test::check_gradient;
using abacus::test::dot;
using abacus::test::random_vector;

namespace {

struct Saved {
  std::vector<double> mean, rstd, xt, wt;
  BitLinearSaved<double> view;
  Saved(int64_t rows, int64_t K, int64_t N) : mean(static_cast<size_t>(rows)), rstd(static_cast<size_t>(rows)), xt(size_t(rows * K)), wt(size_t(N * K)) {
    view = {mean.data(), rstd.data(), xt.data(), wt.data()};
  }
};

// Norm(x) * gain into out, as BitLinear's first step.
void norm_of(const BitLinearSpec& s, std::vector<double>& out, const std::vector<double>& x, const std::vector<double>& g,
             int64_t rows) {
  std::vector<double> mean(static_cast<size_t>(rows)), rstd(static_cast<size_t>(rows));
  if (s.norm == NormKind::layernorm)
    layernorm_forward(out.data(), mean.data(), rstd.data(), x.data(), g.data(), static_cast<const double*>(nullptr),
                      rows, s.in, s.norm_eps);
  else
    rmsnorm_forward(out.data(), rstd.data(), x.data(), g.data(), rows, s.in, s.norm_eps);
}

BitLinearSpec make_spec(Quant q, NormKind norm, int64_t K, int64_t N) {
  BitLinearSpec s;
  s.in = K;
  s.out = N;
  s.quant = q;
  s.norm = norm;
  return s;
}

}  // namespace

TEST_CASE("BitLinear with identity quantizers: backward matches finite differences", "[bitlinear][grad]") {
  std::mt19937 gen(1);
  const int64_t rows = 3, K = 6, N = 4;
  for (NormKind norm : {NormKind::rmsnorm, NormKind::layernorm}) {
    BitLinearSpec s = make_spec(Quant::fp, norm, K, N);
    auto x = random_vector(rows * K, gen), W = random_vector(N * K, gen), g = random_vector(K, gen, 0.5, 1.5);
    auto R = random_vector(rows * N, gen);
    Saved sv(rows, K, N);
    std::vector<double> y(rows * N);
    auto loss = [&] {
      bitlinear_forward(s, y.data(), x.data(), W.data(), g.data(), rows, sv.view);
      return dot(y, R);
    };
    loss();
    std::vector<double> dx(x.size(), 0), dW(W.size(), 0), dg(g.size(), 0);
    bitlinear_backward(s, dx.data(), dW.data(), dg.data(), R.data(), x.data(), g.data(), rows, sv.view);
    check_gradient("x", x, dx, loss);
    check_gradient("W", W, dW, loss);
    check_gradient("gain", g, dg, loss);
  }
}

// STE: the backward of the quantized layer equals the gradient of the same layer with its
// quantizers replaced by the identity plus the (constant) quantization error of this forward:
//   y = (Norm(x) g + Dx) (W + DW)^T,   Dx = x~ - Norm(x) g,  DW = W~ - W.
TEST_CASE("BitLinear STE gradient equals the identity-quantizer gradient", "[bitlinear][ste]") {
  std::mt19937 gen(2);
  const int64_t rows = 4, K = 8, N = 6;
  struct Case { Quant q; NormKind norm; quant::ActScope scope; int64_t groups; bool shift; };
  const Case cases[] = {
      {Quant::b158, NormKind::rmsnorm, quant::ActScope::per_token, 1, false},
      {Quant::b158_median, NormKind::rmsnorm, quant::ActScope::per_token, 1, false},
      {Quant::b1, NormKind::layernorm, quant::ActScope::per_tensor, 1, false},
      {Quant::b158, NormKind::rmsnorm, quant::ActScope::per_token, 2, false},
      {Quant::b1, NormKind::layernorm, quant::ActScope::per_tensor, 3, true},
  };
  for (const Case& c : cases) {
    INFO("quant " << int(c.q) << " groups " << c.groups << " shift " << c.shift);
    BitLinearSpec s = make_spec(c.q, c.norm, K, N);
    s.train_act_scope = c.scope;
    s.weight_groups = c.groups;
    s.shift_input = c.shift;
    auto x = random_vector(rows * K, gen), W = random_vector(N * K, gen), g = random_vector(K, gen, 0.5, 1.5);
    auto R = random_vector(rows * N, gen);
    Saved sv(rows, K, N);
    std::vector<double> y(rows * N);
    bitlinear_forward(s, y.data(), x.data(), W.data(), g.data(), rows, sv.view);
    // The forward really quantized: weights take at most 3 values per group.
    std::vector<double> xn(rows * K), Dx(rows * K), DW(N * K);
    norm_of(s, xn, x, g, rows);
    double max_dx = 0;
    for (size_t i = 0; i < Dx.size(); ++i) {
      Dx[i] = sv.xt[i] - xn[i];
      max_dx = std::max(max_dx, std::fabs(Dx[i]));
    }
    for (size_t i = 0; i < DW.size(); ++i) DW[i] = sv.wt[i] - W[i];
    CHECK(max_dx > 0);
    std::vector<double> dx(x.size(), 0), dW(W.size(), 0), dg(g.size(), 0);
    bitlinear_backward(s, dx.data(), dW.data(), dg.data(), R.data(), x.data(), g.data(), rows, sv.view);
    auto identity_loss = [&] {
      std::vector<double> a(rows * K), w(N * K), out(rows * N);
      norm_of(s, a, x, g, rows);
      for (size_t i = 0; i < a.size(); ++i) a[i] += Dx[i];
      for (size_t i = 0; i < w.size(); ++i) w[i] = W[i] + DW[i];
      tensor::matmul_forward(out.data(), a.data(), w.data(), static_cast<const double*>(nullptr), rows, K, N);
      return dot(out, R);
    };
    CHECK(identity_loss() == Approx(dot(y, R)).epsilon(1e-12));
    check_gradient("x", x, dx, identity_loss);
    check_gradient("W", W, dW, identity_loss);
    check_gradient("gain", g, dg, identity_loss);
  }
}

namespace {

void check_packed(BitLinearSpec s, int64_t rows, uint32_t seed) {
  std::mt19937 gen(seed);
  const int64_t K = s.in, N = s.out;
  std::normal_distribution<float> d(0.f, 1.f);
  std::vector<float> x(size_t(rows * K)), W(size_t(N * K)), g(static_cast<size_t>(K));
  for (auto& v : x) v = d(gen);
  for (auto& v : W) v = 0.05f * d(gen);
  for (auto& v : g) v = 1.f + 0.1f * d(gen);
  BitLinearPacked packed(s, W.data(), g.data());
  CHECK(packed.weight_bytes() == N * quant::ternary_row_bytes(K));
  std::vector<float> y(size_t(rows * N));
  int calls = 0;
  BitLinearObserver obs = [&](const BitLinearRecord& r) {
    ++calls;
    CHECK(r.name == "layers.0.attn.q");
    REQUIRE(r.T == rows);
    REQUIRE(r.K == K);
    REQUIRE(r.N == N);
    CHECK(r.G == 1);
    CHECK(r.G_w == s.weight_groups);
    // acc is the exact integer matmul of the recorded operands.
    std::vector<int32_t> ref(size_t(rows * N));
    quant::int8_gemm_ref(r.x_q, r.w_q, ref.data(), rows, K, N);
    CHECK(std::vector<int32_t>(r.acc, r.acc + rows * N) == ref);
    // w_q is what the weight quantizer gives.
    std::vector<int8_t> wq(size_t(N * K));
    std::vector<float> ws(size_t(s.weight_groups));
    quant::quantize_weights(quant::weight_quant_for(s.quant), W.data(), N, K, s.weight_groups, wq.data(), ws.data());
    CHECK(std::vector<int8_t>(r.w_q, r.w_q + N * K) == wq);
    CHECK(std::vector<float>(r.w_scale, r.w_scale + s.weight_groups) == ws);
    // y is the stated rescale, exactly.
    for (int64_t t = 0; t < rows; ++t)
      for (int64_t n = 0; n < N; ++n) {
        const float w_s = r.w_scale[n / (N / r.G_w)];
        const float a = float(r.acc[t * N + n]);
        float expect;
        if (r.x_offset) {
          float rs = 0;
          for (int64_t k = 0; k < K; ++k) rs += float(r.w_q[n * K + k]);
          expect = (a / r.x_scale[t] + r.x_offset[t] * rs) / w_s;
        } else {
          expect = a / (r.x_scale[t] * w_s);
        }
        CHECK(r.y[t * N + n] == expect);
      }
  };
  packed.forward(y.data(), x.data(), rows, &obs, "layers.0.attn.q");
  CHECK(calls == 1);
  // The training forward with the same (per-token) quantizers agrees to float rounding.
  s.train_act_scope = quant::ActScope::per_token;
  std::vector<float> mean(static_cast<size_t>(rows)), rstd(static_cast<size_t>(rows)), xt(size_t(rows * K)), wt(size_t(N * K)), y2(size_t(rows * N));
  bitlinear_forward(s, y2.data(), x.data(), W.data(), g.data(), rows, BitLinearSaved<float>{mean.data(), rstd.data(), xt.data(), wt.data()});
  float scale = 0;
  for (float v : y2) scale = std::max(scale, std::fabs(v));
  for (size_t i = 0; i < y.size(); ++i) CHECK(y[i] == Approx(y2[i]).margin(1e-4 * scale));
  // Without an observer the output is the same.
  std::vector<float> y3(y.size());
  packed.forward(y3.data(), x.data(), rows);
  CHECK(y3 == y);
}

}  // namespace

TEST_CASE("BitLinearPacked: exact accumulators, stated rescale, matches training forward", "[bitlinear][inference]") {
  check_packed(make_spec(Quant::b158, NormKind::rmsnorm, 200, 48), 5, 1);
  check_packed(make_spec(Quant::b158_median, NormKind::rmsnorm, 64, 16), 3, 2);
  auto grouped = make_spec(Quant::b158, NormKind::rmsnorm, 130, 12);
  grouped.weight_groups = 4;
  check_packed(grouped, 2, 3);
  check_packed(make_spec(Quant::b1, NormKind::layernorm, 96, 10), 4, 4);
  auto shifted = make_spec(Quant::b1, NormKind::layernorm, 40, 8);
  shifted.shift_input = true;
  check_packed(shifted, 3, 5);
  CHECK_THROWS_AS(BitLinearPacked(make_spec(Quant::fp, NormKind::rmsnorm, 4, 4), std::vector<float>(16).data(),
                                  std::vector<float>(4, 1.f).data()),
                  Error);
}

TEST_CASE("BitLinearSpec::for_model picks the norm and activation scope of each paper", "[bitlinear]") {
  ModelConfig c;
  c.quant = Quant::b1;
  c.quant_groups = 2;
  auto s = BitLinearSpec::for_model(c, 8, 4);
  CHECK(s.norm == NormKind::layernorm);
  CHECK(s.train_act_scope == quant::ActScope::per_tensor);
  CHECK(s.weight_groups == 2);
  c.quant = Quant::b158;
  s = BitLinearSpec::for_model(c, 8, 4);
  CHECK(s.norm == NormKind::rmsnorm);
  CHECK(s.train_act_scope == quant::ActScope::per_token);
}
