// Every layer's backward against central finite differences in double precision. The loss is
// sum(R * layer(params)) for a fixed random R, so the backward is called with dout = R.
#include <catch2/catch.hpp>

#include <cmath>
#include <vector>

#include "src/nn/activations.h"
#include "src/nn/attention.h"
#include "src/nn/cross_entropy.h"
#include "src/nn/embedding.h"
#include "src/nn/layernorm.h"
#include "src/nn/residual.h"
#include "src/nn/rmsnorm.h"
#include "src/nn/rope.h"
#include "src/tensor/matmul.h"
#include "src/util/error.h"
#include "tests/nn/grad_check.h"

using namespace abacus;
using namespace abacus::nn;
using abacus::test::check_gradient;
using abacus::test::dot;
using abacus::test::random_vector;

TEST_CASE("matmul backward (with bias) matches finite differences", "[grad]") {
  std::mt19937 gen(1);
  const int64_t rows = 3, C = 4, OC = 5;
  auto x = random_vector(rows * C, gen), W = random_vector(OC * C, gen), b = random_vector(OC, gen);
  auto R = random_vector(rows * OC, gen);
  std::vector<double> out(rows * OC);
  auto loss = [&] {
    tensor::matmul_forward(out.data(), x.data(), W.data(), b.data(), rows, C, OC);
    return dot(out, R);
  };
  std::vector<double> dx(x.size(), 0), dW(W.size(), 0), db(b.size(), 0);
  tensor::matmul_backward(dx.data(), dW.data(), db.data(), R.data(), x.data(), W.data(), rows, C, OC);
  check_gradient("x", x, dx, loss);
  check_gradient("W", W, dW, loss);
  check_gradient("b", b, db, loss);
}

TEST_CASE("embedding backward accumulates rows of repeated ids", "[grad]") {
  std::mt19937 gen(2);
  const int64_t V = 5, C = 3, rows = 4;
  const std::vector<int32_t> ids = {1, 3, 1, 0};
  auto table = random_vector(V * C, gen), R = random_vector(rows * C, gen);
  std::vector<double> out(rows * C);
  auto loss = [&] {
    embedding_forward(out.data(), ids.data(), table.data(), rows, V, C);
    return dot(out, R);
  };
  std::vector<double> dt(table.size(), 0);
  embedding_backward(dt.data(), R.data(), ids.data(), rows, C);
  check_gradient("table", table, dt, loss);
  const std::vector<int32_t> bad = {5};
  CHECK_THROWS_AS(embedding_forward(out.data(), bad.data(), table.data(), 1, V, C), Error);
}

TEST_CASE("rmsnorm backward matches finite differences", "[grad]") {
  std::mt19937 gen(3);
  const int64_t rows = 3, C = 6;
  auto x = random_vector(rows * C, gen), w = random_vector(C, gen, 0.5, 1.5), R = random_vector(rows * C, gen);
  std::vector<double> out(rows * C), rstd(rows);
  auto loss = [&] {
    rmsnorm_forward(out.data(), rstd.data(), x.data(), w.data(), rows, C, 1e-5);
    return dot(out, R);
  };
  loss();
  std::vector<double> dx(x.size(), 0), dw(w.size(), 0);
  rmsnorm_backward(dx.data(), dw.data(), R.data(), x.data(), w.data(), rstd.data(), rows, C);
  check_gradient("x", x, dx, loss);
  check_gradient("w", w, dw, loss);
}

TEST_CASE("layernorm backward matches finite differences", "[grad]") {
  std::mt19937 gen(4);
  const int64_t rows = 3, C = 5;
  auto x = random_vector(rows * C, gen), w = random_vector(C, gen, 0.5, 1.5), b = random_vector(C, gen);
  auto R = random_vector(rows * C, gen);
  std::vector<double> out(rows * C), mean(rows), rstd(rows);
  auto loss = [&] {
    layernorm_forward(out.data(), mean.data(), rstd.data(), x.data(), w.data(), b.data(), rows, C, 1e-5);
    return dot(out, R);
  };
  loss();
  std::vector<double> dx(x.size(), 0), dw(w.size(), 0), db(b.size(), 0);
  layernorm_backward(dx.data(), dw.data(), db.data(), R.data(), x.data(), w.data(), mean.data(), rstd.data(), rows, C);
  check_gradient("x", x, dx, loss);
  check_gradient("w", w, dw, loss);
  check_gradient("b", b, db, loss);
}

TEST_CASE("rope backward is the inverse rotation", "[grad]") {
  std::mt19937 gen(5);
  const int64_t B = 2, T = 3, H = 2, hd = 4, pos0 = 5;
  auto x = random_vector(B * T * H * hd, gen), R = random_vector(B * T * H * hd, gen);
  std::vector<double> y;
  auto loss = [&] {
    y = x;
    rope_forward(y.data(), B, T, H, hd, pos0, 10000.0);
    return dot(y, R);
  };
  std::vector<double> dx = R;
  rope_backward(dx.data(), B, T, H, hd, pos0, 10000.0);
  check_gradient("x", x, dx, loss);
  // Position 0 is the identity; the rotation keeps norms.
  std::vector<double> z = x;
  rope_forward(z.data(), 1, 1, 1, hd, 0, 10000.0);
  for (int i = 0; i < hd; ++i) CHECK(z[size_t(i)] == x[size_t(i)]);
  std::vector<double> odd(3);
  CHECK_THROWS_AS(rope_forward(odd.data(), 1, 1, 1, 3, 0, 10000.0), Error);
}

TEST_CASE("grouped-KV causal attention backward matches finite differences", "[grad]") {
  std::mt19937 gen(6);
  AttentionShape s{2, 4, 4, 2, 3};
  const size_t nq = size_t(s.B * s.T * s.n_head * s.head_dim), nkv = size_t(s.B * s.T * s.n_kv_head * s.head_dim);
  auto q = random_vector(nq, gen), k = random_vector(nkv, gen), v = random_vector(nkv, gen), R = random_vector(nq, gen);
  std::vector<double> out(nq), att(size_t(s.B * s.n_head * s.T * s.T));
  auto loss = [&] {
    attention_forward(out.data(), att.data(), q.data(), k.data(), v.data(), s);
    return dot(out, R);
  };
  loss();
  // Causality: row t of the probabilities is zero after t and sums to 1.
  for (int64_t t = 0; t < s.T; ++t) {
    double sum = 0;
    for (int64_t t2 = 0; t2 < s.T; ++t2) {
      if (t2 > t) CHECK(att[size_t(t * s.T + t2)] == 0.0);
      sum += att[size_t(t * s.T + t2)];
    }
    CHECK(sum == Approx(1.0));
  }
  std::vector<double> dq(nq, 0), dk(nkv, 0), dv(nkv, 0);
  attention_backward(dq.data(), dk.data(), dv.data(), R.data(), att.data(), q.data(), k.data(), v.data(), s);
  check_gradient("q", q, dq, loss);
  check_gradient("k", k, dk, loss);
  check_gradient("v", v, dv, loss);
}

TEST_CASE("KV-cache decode equals the last row of the full forward", "[attention]") {
  std::mt19937 gen(7);
  AttentionShape s{1, 5, 4, 2, 8};
  const size_t nq = size_t(s.T * s.n_head * s.head_dim), nkv = size_t(s.T * s.n_kv_head * s.head_dim);
  std::vector<float> q(nq), k(nkv), v(nkv), out(nq), att(size_t(s.n_head * s.T * s.T));
  std::uniform_real_distribution<float> d(-1, 1);
  for (auto* vec : {&q, &k, &v})
    for (auto& x : *vec) x = d(gen);
  attention_forward(out.data(), att.data(), q.data(), k.data(), v.data(), s);
  std::vector<float> dec(size_t(s.n_head * s.head_dim)), scores(size_t(s.n_head * s.T));
  const float* q_last = q.data() + (s.T - 1) * s.n_head * s.head_dim;
  attention_decode(dec.data(), q_last, k.data(), v.data(), s.T, s.n_head, s.n_kv_head, s.head_dim, scores.data());
  for (size_t i = 0; i < dec.size(); ++i) CHECK(dec[i] == Approx(out[(s.T - 1) * s.n_head * s.head_dim + i]).margin(1e-6));
}

TEST_CASE("SwiGLU, ReLU^2-GLU and GELU backward match finite differences", "[grad]") {
  std::mt19937 gen(8);
  const int64_t N = 12;
  auto gate = random_vector(N, gen, -3, 3), up = random_vector(N, gen), R = random_vector(N, gen);
  for (auto& g : gate)
    if (std::fabs(g) < 1e-3) g = 0.5;  // keep ReLU away from its kink
  std::vector<double> out(N);
  SECTION("swiglu") {
    auto loss = [&] { swiglu_forward(out.data(), gate.data(), up.data(), N); return dot(out, R); };
    std::vector<double> dg(N, 0), du(N, 0);
    swiglu_backward(dg.data(), du.data(), R.data(), gate.data(), up.data(), N);
    check_gradient("gate", gate, dg, loss);
    check_gradient("up", up, du, loss);
  }
  SECTION("relu2-glu") {
    auto loss = [&] { relu2_glu_forward(out.data(), gate.data(), up.data(), N); return dot(out, R); };
    std::vector<double> dg(N, 0), du(N, 0);
    relu2_glu_backward(dg.data(), du.data(), R.data(), gate.data(), up.data(), N);
    check_gradient("gate", gate, dg, loss);
    check_gradient("up", up, du, loss);
  }
  SECTION("gelu") {
    auto loss = [&] { gelu_forward(out.data(), gate.data(), N); return dot(out, R); };
    std::vector<double> dx(N, 0);
    gelu_backward(dx.data(), R.data(), gate.data(), N);
    check_gradient("x", gate, dx, loss);
  }
}

TEST_CASE("fused softmax cross-entropy gradient matches finite differences", "[grad]") {
  std::mt19937 gen(9);
  const int64_t rows = 4, V = 7;
  auto logits = random_vector(rows * V, gen, -4, 4);
  const std::vector<int32_t> targets = {2, -1, 6, 0};  // row 1 ignored
  const double scale = 1.0 / 3.0;
  auto loss = [&] {
    return scale * softmax_cross_entropy<double>(nullptr, nullptr, logits.data(), targets.data(), rows, V, 1.0);
  };
  std::vector<double> losses(rows), dl(rows * V);
  const double total = softmax_cross_entropy(losses.data(), dl.data(), logits.data(), targets.data(), rows, V, scale);
  CHECK(losses[1] == 0.0);
  CHECK(total == Approx(losses[0] + losses[2] + losses[3]));
  check_gradient("logits", logits, dl, loss);
  // Uniform logits: loss = log V.
  std::vector<float> flat(V, 0.f);
  const int32_t t0 = 3;
  CHECK(softmax_cross_entropy<float>(nullptr, nullptr, flat.data(), &t0, 1, V, 1.f) == Approx(std::log(7.0)));
  const int32_t bad = 7;
  CHECK_THROWS_AS(softmax_cross_entropy<float>(nullptr, nullptr, flat.data(), &bad, 1, V, 1.f), Error);
}

TEST_CASE("residual forward and backward", "[grad]") {
  std::mt19937 gen(10);
  const int64_t N = 6;
  auto a = random_vector(N, gen), b = random_vector(N, gen), R = random_vector(N, gen);
  std::vector<double> out(N);
  auto loss = [&] { residual_forward(out.data(), a.data(), b.data(), N); return dot(out, R); };
  std::vector<double> da(N, 0), db(N, 0);
  residual_backward(da.data(), db.data(), R.data(), N);
  check_gradient("a", a, da, loss);
  check_gradient("b", b, db, loss);
}
