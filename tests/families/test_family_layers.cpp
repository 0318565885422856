// Layers of the families: the activation quantizer's two numerators, the paper-convention
// BitLinear against src/nn's BitLinear and the integer reference, and finite-difference
// gradient checks of the attention, the SpMM and the dense layer.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <vector>

#include "src/families/act_quant_q.h"
#include "src/families/attention_full.h"
#include "src/families/bit_dense.h"
#include "src/families/csr.h"
#include "src/nn/bitlinear.h"
#include "src/quant/act_quant.h"
#include "src/quant/int_gemm.h"
#include "src/util/error.h"
#include "tests/nn/grad_check.h"

using namespace abacus;
using namespace abacus::families;

TEST_CASE("activation quantizer: Q = 127 is abacus's per-token quantizer bit for bit", "[families]") {
  std::mt19937 gen(1);
  const int64_t R = 7, K = 33;
  std::vector<float> x(R * K);
  for (auto& v : x) v = std::uniform_real_distribution<float>(-3, 3)(gen);
  x[5] = 0.5f;  // a half-way value after scaling somewhere is likely; the rounding must agree
  std::vector<int8_t> a(R * K), b(R * K);
  std::vector<float> sa(R), sb(R);
  quantize_rows_absmax(x.data(), R, K, 127.f, a.data(), sa.data());
  quant::quantize_activations(quant::ActScope::per_token, x.data(), R, K, 1, b.data(), sb.data());
  CHECK(a == b);
  CHECK(sa == sb);
}

TEST_CASE("activation quantizer: Q = 128 (the authors' code) clamps the positive absmax to 127", "[families]") {
  const std::vector<float> x = {1.0f, -1.0f, 0.5f, 0.25f, -0.75f};
  std::vector<int8_t> q(5);
  float s = 0;
  quantize_rows_absmax(x.data(), 1, 5, 128.f, q.data(), &s);
  CHECK(s == 128.f);
  CHECK(q == std::vector<int8_t>{127, -128, 64, 32, -96});
  quantize_rows_absmax(x.data(), 1, 5, 127.f, q.data(), &s);
  CHECK(q == std::vector<int8_t>{127, -127, 64, 32, -95});  // 63.5 -> 64 and -95.25 -> -95 (half to even at 63.5)
}

TEST_CASE("paper BitLinear with Q = 127 equals src/nn's BitLinear with a LayerNorm without gain", "[families]") {
  std::mt19937 gen(2);
  for (Quant q : {Quant::b158, Quant::b158_median}) {
    const int64_t R = 5, K = 24, N = 10;
    std::vector<float> x(R * K), W(N * K), y1(R * N), y2(R * N);
    for (auto& v : x) v = std::normal_distribution<float>(0, 1)(gen);
    for (auto& v : W) v = std::normal_distribution<float>(0, 0.1f)(gen);
    DenseSpec s{K, N, q, 127.f, false, 1e-5};
    DenseSaved<float> saved;
    dense_forward(s, y1.data(), x.data(), W.data(), (const float*)nullptr, R, saved);
    nn::BitLinearSpec ns;
    ns.in = K, ns.out = N, ns.quant = q, ns.norm = NormKind::layernorm, ns.norm_weight = false;
    ns.train_act_scope = quant::ActScope::per_token, ns.norm_eps = 1e-5;
    std::vector<float> mean(R), rstd(R), xt(R * K), wt(N * K);
    nn::bitlinear_forward<float>(ns, y2.data(), x.data(), W.data(), nullptr, R, {mean.data(), rstd.data(), xt.data(), wt.data()});
    for (int64_t i = 0; i < R * N; ++i) CHECK(y1[i] == Approx(y2[i]).margin(1e-6));
    CHECK(saved.w_tilde == wt);
  }
}

TEST_CASE("integer inference: acc is int8_gemm_ref, y = acc / (s_x s_w) matches the training forward", "[families]") {
  std::mt19937 gen(3);
  for (float aq : {127.f, 128.f}) {
    const int64_t R = 4, K = 40, N = 12;
    std::vector<float> x(R * K), W(N * K), b(N), yi(R * N), yt(R * N);
    for (auto& v : x) v = std::normal_distribution<float>(0, 2)(gen);
    for (auto& v : W) v = std::normal_distribution<float>(0, 0.1f)(gen);
    for (auto& v : b) v = std::normal_distribution<float>(0, 1)(gen);
    DenseSpec s{K, N, Quant::b158_median, aq, true, 1e-5};
    DenseRecord rec;
    dense_int_forward(s, yi.data(), x.data(), W.data(), b.data(), R, &rec);
    std::vector<int32_t> acc(R * N);
    quant::int8_gemm_ref(rec.x_q.data(), rec.w_q.data(), acc.data(), R, K, N);
    CHECK(acc == rec.acc);
    for (int8_t w : rec.w_q) CHECK((w >= -1 && w <= 1));
    DenseSaved<float> saved;
    dense_forward(s, yt.data(), x.data(), W.data(), b.data(), R, saved);
    for (int64_t i = 0; i < R * N; ++i) {
      CHECK(rec.y[i] == float(rec.acc[i]) / (rec.x_scale[i / N] * rec.w_scale[0]));
      CHECK(yi[i] == Approx(yt[i]).epsilon(1e-5).margin(1e-5));
    }
  }
  DenseSpec fp{4, 4, Quant::fp, 128.f, true, 1e-5};
  float v[16] = {};
  CHECK_THROWS_AS(dense_int_forward(fp, v, v, v, v, 1, nullptr), Error);
  DenseSpec bad{4, 4, Quant::b158, 100.f, true, 1e-5};
  DenseSaved<float> sv;
  CHECK_THROWS_AS(dense_forward(bad, v, v, v, v, 1, sv), Error);
}

TEST_CASE("dense backward: fp by finite differences; b1.58 is the STE (dW = dy^T x~, dx through the LayerNorm)", "[families]") {
  std::mt19937 gen(4);
  const int64_t R = 3, K = 6, N = 5;
  auto x = test::random_vector(R * K, gen), W = test::random_vector(N * K, gen, -0.3, 0.3), b = test::random_vector(N, gen);
  const auto c = test::random_vector(R * N, gen);  // loss = sum c * y
  DenseSpec fp{K, N, Quant::fp, 128.f, true, 1e-5};
  auto loss = [&]() {
    std::vector<double> y(R * N);
    DenseSaved<double> s;
    dense_forward(fp, y.data(), x.data(), W.data(), b.data(), R, s);
    return test::dot(y, c);
  };
  std::vector<double> dx(R * K, 0), dW(N * K, 0), db(N, 0), y(R * N);
  DenseSaved<double> s;
  dense_forward(fp, y.data(), x.data(), W.data(), b.data(), R, s);
  dense_backward(fp, dx.data(), dW.data(), db.data(), c.data(), x.data(), W.data(), R, s);
  test::check_gradient("x", x, dx, loss);
  test::check_gradient("W", W, dW, loss);
  test::check_gradient("b", b, db, loss);

  DenseSpec q{K, N, Quant::b158, 128.f, true, 1e-5};
  DenseSaved<double> sq;
  std::fill(dx.begin(), dx.end(), 0), std::fill(dW.begin(), dW.end(), 0), std::fill(db.begin(), db.end(), 0);
  dense_forward(q, y.data(), x.data(), W.data(), b.data(), R, sq);
  dense_backward(q, dx.data(), dW.data(), db.data(), c.data(), x.data(), W.data(), R, sq);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t k = 0; k < K; ++k) {
      double e = 0;
      for (int64_t r = 0; r < R; ++r) e += c[r * N + n] * sq.x_tilde[r * K + k];
      CHECK(dW[n * K + k] == Approx(e).epsilon(1e-12));
    }
  // dx: the STE makes the layer's input gradient that of x -> LN(x) . W~^T, checked by finite
  // differences of that function with W~ held fixed.
  auto ln_loss = [&]() {
    double total = 0;
    for (int64_t r = 0; r < R; ++r) {
      double m = 0, v = 0;
      for (int64_t k = 0; k < K; ++k) m += x[r * K + k];
      m /= K;
      for (int64_t k = 0; k < K; ++k) v += (x[r * K + k] - m) * (x[r * K + k] - m);
      const double rs = 1 / std::sqrt(v / K + 1e-5);
      for (int64_t n = 0; n < N; ++n) {
        double acc = 0;
        for (int64_t k = 0; k < K; ++k) acc += (x[r * K + k] - m) * rs * sq.w_tilde[n * K + k];
        total += c[r * N + n] * acc;
      }
    }
    return total;
  };
  test::check_gradient("x (STE)", x, dx, ln_loss, 1e-6, 1e-5);
}

TEST_CASE("attention: gradients of q, k, v and the score bias (bidirectional, causal, cross)", "[families]") {
  std::mt19937 gen(5);
  for (int mode = 0; mode < 3; ++mode) {
    AttnShape s{2, 3, mode == 2 ? 4 : 3, 2, 3, mode == 1};
    const int64_t nq = s.B * s.Tq * s.H * s.hd, nk = s.B * s.Tk * s.H * s.hd;
    auto q = test::random_vector(nq, gen), k = test::random_vector(nk, gen), v = test::random_vector(nk, gen);
    auto bias = test::random_vector(s.H * s.Tq * s.Tk, gen);
    const auto c = test::random_vector(nq, gen);
    std::vector<double> att(s.B * s.H * s.Tq * s.Tk), out(nq);
    auto loss = [&]() {
      attn_forward(out.data(), att.data(), q.data(), k.data(), v.data(), bias.data(), s);
      return test::dot(out, c);
    };
    loss();
    std::vector<double> dq(nq, 0), dk(nk, 0), dv(nk, 0), db(bias.size(), 0);
    attn_backward(dq.data(), dk.data(), dv.data(), db.data(), c.data(), att.data(), q.data(), k.data(), v.data(), s);
    INFO("mode " << mode);
    test::check_gradient("q", q, dq, loss);
    test::check_gradient("k", k, dk, loss);
    test::check_gradient("v", v, dv, loss);
    if (mode != 1) test::check_gradient("bias", bias, db, loss);
    if (mode == 1)  // causal: no weight on a later key
      for (int64_t i = 0; i < s.Tq; ++i)
        for (int64_t j = i + 1; j < s.Tk; ++j) CHECK(att[i * s.Tk + j] == 0);
  }
}

TEST_CASE("CSR: duplicates summed, transpose, SpMM and its backward", "[families]") {
  const Csr a = Csr::from_triplets(3, 4, {0, 2, 0, 1, 0}, {1, 3, 1, 0, 3}, {1.f, 2.f, 0.5f, -1.f, 4.f});
  CHECK(a.nnz() == 4);
  CHECK(a.row_ptr == std::vector<int64_t>{0, 2, 3, 4});
  CHECK(a.val[0] == 1.5f);
  const Csr t = a.transposed();
  CHECK(t.rows == 4);
  CHECK(t.nnz() == 4);
  std::mt19937 gen(6);
  auto x = test::random_vector(4 * 2, gen);
  const auto c = test::random_vector(3 * 2, gen);
  auto loss = [&]() {
    std::vector<double> y(6);
    spmm(a, x.data(), y.data(), 2);
    return test::dot(y, c);
  };
  std::vector<double> dx(8, 0);
  spmm_backward(t, c.data(), dx.data(), 2);
  test::check_gradient("x", x, dx, loss);
  CHECK_THROWS_AS(Csr::from_triplets(2, 2, {0}, {5}, {1.f}), Error);
}
