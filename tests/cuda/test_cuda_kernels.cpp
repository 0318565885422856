// GPU tests: every kernel of abacus_cuda against the CPU core's reference. Integers (x_q, w_q,
// packed bytes, int32 accumulators, scales) must be bit-exact; floats within the tolerance stated
// at each check. Without a GPU the program prints "SKIPPED: no CUDA GPU" and exits 77, which
// CTest reports as skipped (SKIP_RETURN_CODE).
#define CATCH_CONFIG_RUNNER
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <vector>

#include "src/cuda/adamw_math.h"
#include "src/cuda/bitnet_cuda.h"
#include "src/cuda/quant_math.h"
#include "src/nn/attention.h"
#include "src/nn/bitlinear.h"
#include "src/nn/cross_entropy.h"
#include "src/nn/layernorm.h"
#include "src/nn/rmsnorm.h"
#include "src/quant/act_quant.h"
#include "src/quant/int_gemm.h"
#include "src/quant/packing.h"
#include "src/quant/weight_quant.h"

#include "tests/cuda/random_data.h"

namespace cu = abacus::cuda;
namespace q = abacus::quant;

namespace {

template <class T>
cu::DeviceBuffer to_device(const std::vector<T>& v) {
  cu::DeviceBuffer b(v.size() * sizeof(T));
  b.upload(v.data(), v.size() * sizeof(T));
  return b;
}
template <class T>
std::vector<T> to_host(const cu::DeviceBuffer& b, size_t n) {
  std::vector<T> v(n);
  b.download(v.data(), n * sizeof(T));
  return v;
}
float bf16_round(float x) {  // round to nearest even bf16, as __float2bfloat16_rn (finite x)
  uint32_t u;
  std::memcpy(&u, &x, 4);
  u = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;
  float r;
  std::memcpy(&r, &u, 4);
  return r;
}
// |a - b| <= atol + rtol |b| elementwise.
void require_close(const std::vector<float>& a, const std::vector<float>& b, float atol, float rtol) {
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    INFO("index " << i << ": " << a[i] << " vs " << b[i]);
    REQUIRE(std::fabs(a[i] - b[i]) <= atol + rtol * std::fabs(b[i]));
  }
}

}  // namespace

TEST_CASE("GPU per-token int8 quantizer is bit-exact", "[gpu]") {
  const int64_t rows = 37, K = 1000;
  const std::vector<float> x = normal_floats(size_t(rows * K), 1);
  std::vector<int8_t> ref_q(x.size());
  std::vector<float> ref_s(static_cast<size_t>(rows));
  q::quantize_activations(q::ActScope::per_token, x.data(), rows, K, 1, ref_q.data(), ref_s.data());
  cu::DeviceBuffer dx = to_device(x), dq(x.size()), ds(size_t(rows) * 4);
  cu::quant_act_per_token(dx.as<float>(), rows, K, dq.as<int8_t>(), ds.as<float>());
  REQUIRE(to_host<int8_t>(dq, x.size()) == ref_q);
  REQUIRE(to_host<float>(ds, size_t(rows)) == ref_s);
}

TEST_CASE("GPU fused norm + int8 quantization matches the CPU norm then quantize", "[gpu]") {
  const int64_t rows = 16, C = 768;
  std::vector<float> x = normal_floats(static_cast<size_t>(rows * C), 2);
  for (float& e : x) e += 3.f;  // a non-zero mean, which LayerNorm must remove
  const std::vector<float> g = normal_floats(static_cast<size_t>(C), 3);
  for (const cu::Norm norm : {cu::Norm::rmsnorm, cu::Norm::layernorm}) {
    std::vector<float> xn(x.size()), rstd(static_cast<size_t>(rows)), mean(static_cast<size_t>(rows)),
        ref_s(static_cast<size_t>(rows));
    if (norm == cu::Norm::rmsnorm)
      abacus::nn::rmsnorm_forward(xn.data(), rstd.data(), x.data(), g.data(), rows, C, 1e-5);
    else
      abacus::nn::layernorm_forward(xn.data(), mean.data(), rstd.data(), x.data(), g.data(),
                                    static_cast<const float*>(nullptr), rows, C, 1e-5);
    std::vector<int8_t> ref_q(x.size());
    q::quantize_activations(q::ActScope::per_token, xn.data(), rows, C, 1, ref_q.data(), ref_s.data());
    cu::DeviceBuffer dx = to_device(x), dg = to_device(g), dq(x.size()), ds(size_t(rows) * 4), dr(size_t(rows) * 4),
                     dm(size_t(rows) * 4);
    cu::norm_quant_act(norm, dx.as<float>(), dg.as<float>(), rows, C, 1e-5, dq.as<int8_t>(), ds.as<float>(),
                       dr.as<float>(), dm.as<float>());
    // Both reduce in double and round once to float (only the summation order differs, far below
    // float precision), so rstd, mean, the scales and every x_q are bit-exact.
    REQUIRE(to_host<float>(dr, static_cast<size_t>(rows)) == rstd);
    if (norm == cu::Norm::layernorm) REQUIRE(to_host<float>(dm, static_cast<size_t>(rows)) == mean);
    REQUIRE(to_host<float>(ds, static_cast<size_t>(rows)) == ref_s);
    REQUIRE(to_host<int8_t>(dq, x.size()) == ref_q);
  }
}

TEST_CASE("GPU ternary quantization + packing is bit-exact (absmean, absmedian, groups)", "[gpu]") {
  const int64_t N = 64, K = 300;
  const std::vector<float> W = normal_floats(size_t(N * K), 4, 0.02f);
  for (const int64_t G : {int64_t(1), int64_t(4)})
    for (const auto mode : {q::WeightQuant::ternary_absmean, q::WeightQuant::ternary_absmedian}) {
      std::vector<int8_t> ref_q(W.size());
      std::vector<float> ref_s(static_cast<size_t>(G));
      q::quantize_weights(mode, W.data(), N, K, G, ref_q.data(), ref_s.data());
      const q::PackedTernary ref_p = q::pack_ternary(ref_q.data(), N, K);
      cu::DeviceBuffer dW = to_device(W), dq(W.size()), dp(ref_p.bytes.size()), ds(size_t(G) * 4);
      cu::quant_weights_ternary(
          mode == q::WeightQuant::ternary_absmean ? cu::WeightCenter::absmean : cu::WeightCenter::absmedian,
          dW.as<float>(), N, K, G, dq.as<int8_t>(), dp.as<uint8_t>(), ds.as<float>());
      REQUIRE(to_host<float>(ds, size_t(G)) == ref_s);
      REQUIRE(to_host<int8_t>(dq, W.size()) == ref_q);
      REQUIRE(to_host<uint8_t>(dp, ref_p.bytes.size()) == ref_p.bytes);
    }
}

TEST_CASE("GPU INT8 tensor-core GEMM and rescale epilogue are bit-exact", "[gpu]") {
  const int64_t T = 33, K = 256, N = 96, G = 2;
  std::vector<int8_t> x = random_int8(size_t(T * K), 5, -128, 127), w = random_int8(size_t(N * K), 6, -1, 1);
  std::vector<int32_t> ref(static_cast<size_t>(T * N));
  q::int8_gemm_ref(x.data(), w.data(), ref.data(), T, K, N);
  cu::DeviceBuffer dx = to_device(x), dw = to_device(w), dacc(ref.size() * 4);
  cu::int8_gemm(dx.as<int8_t>(), dw.as<int8_t>(), dacc.as<int32_t>(), T, K, N);
  REQUIRE(to_host<int32_t>(dacc, ref.size()) == ref);

  const std::vector<float> xs = normal_floats(size_t(T), 7), ws = {37.f, 41.5f};
  std::vector<float> ref_y(ref.size());
  for (int64_t t = 0; t < T; ++t)
    for (int64_t n = 0; n < N; ++n)
      ref_y[size_t(t * N + n)] = cu::rescale(ref[size_t(t * N + n)], xs[size_t(t)], ws[size_t(n / (N / G))]);
  cu::DeviceBuffer dxs = to_device(xs), dws = to_device(ws), dy(ref.size() * 4);
  cu::rescale_epilogue(dacc.as<int32_t>(), dxs.as<float>(), dws.as<float>(), T, N, G, dy.as<float>());
  REQUIRE(to_host<float>(dy, ref.size()) == ref_y);
}

TEST_CASE("GPU BitLinear int8 forward matches BitLinearPacked", "[gpu]") {
  const int64_t T = 8, K = 256, N = 64, G = 2;
  abacus::nn::BitLinearSpec spec;
  spec.in = K;
  spec.out = N;
  spec.quant = abacus::Quant::b158;
  spec.norm = abacus::NormKind::rmsnorm;
  spec.norm_weight = true;
  spec.weight_groups = G;
  const std::vector<float> W = normal_floats(static_cast<size_t>(N * K), 20, 0.05f),
                           x = normal_floats(static_cast<size_t>(T * K), 21),
                           g = normal_floats(static_cast<size_t>(K), 22);
  abacus::nn::BitLinearPacked layer(spec, W.data(), g.data());
  std::vector<float> y(static_cast<size_t>(T * N));
  std::vector<int8_t> rec_xq, rec_wq;
  std::vector<int32_t> rec_acc;
  abacus::nn::BitLinearObserver obs = [&](const abacus::nn::BitLinearRecord& r) {
    rec_xq.assign(r.x_q, r.x_q + T * K);
    rec_wq.assign(r.w_q, r.w_q + N * K);
    rec_acc.assign(r.acc, r.acc + T * N);
  };
  layer.forward(y.data(), x.data(), T, &obs, "gpu");
  cu::DeviceBuffer dx = to_device(x), dg = to_device(g), dwq = to_device(rec_wq), dws = to_device(layer.w_scale()),
                   dxq(size_t(T * K)), dxs(size_t(T) * 4), dacc(size_t(T * N) * 4), dy(size_t(T * N) * 4);
  cu::bitlinear_forward_int8(dx.as<float>(), dg.as<float>(), spec.norm_eps, dwq.as<int8_t>(),
                             dws.as<float>(), G, T, K, N, dxq.as<int8_t>(), dxs.as<float>(), dacc.as<int32_t>(),
                             dy.as<float>());
  // The fused norm reduces in double as the CPU does, so x_q, the accumulators and y (the same
  // rescale arithmetic) are bit-exact.
  REQUIRE(to_host<int8_t>(dxq, rec_xq.size()) == rec_xq);
  REQUIRE(to_host<int32_t>(dacc, rec_acc.size()) == rec_acc);
  REQUIRE(to_host<float>(dy, y.size()) == y);
  // And the GPU GEMM on the CPU's x_q gives the CPU's accumulators.
  dxq.upload(rec_xq.data(), rec_xq.size());
  cu::int8_gemm(dxq.as<int8_t>(), dwq.as<int8_t>(), dacc.as<int32_t>(), T, K, N);
  REQUIRE(to_host<int32_t>(dacc, rec_acc.size()) == rec_acc);
}

TEST_CASE("GPU W2A8 decode GEMV on packed weights is bit-exact", "[gpu]") {
  const int64_t N = 45, K = 300;
  const std::vector<int8_t> x = random_int8(size_t(K), 8, -128, 127), w = random_int8(size_t(N * K), 9, -1, 1);
  std::vector<int32_t> ref(static_cast<size_t>(N));
  q::int8_gemm_ref(x.data(), w.data(), ref.data(), 1, K, N);
  const q::PackedTernary p = q::pack_ternary(w.data(), N, K);
  cu::DeviceBuffer dx = to_device(x), dp = to_device(p.bytes), dacc(size_t(N) * 4);
  cu::w2a8_gemv(dx.as<int8_t>(), dp.as<uint8_t>(), N, K, dacc.as<int32_t>());
  REQUIRE(to_host<int32_t>(dacc, size_t(N)) == ref);
}

TEST_CASE("GPU BitLinear STE backward in BF16 matches fp32 matmuls of the bf16 values", "[gpu]") {
  const int64_t T = 24, K = 64, N = 40;
  std::vector<float> dy = normal_floats(size_t(T * N), 10), x = normal_floats(size_t(T * K), 11),
                     w = normal_floats(size_t(N * K), 12);
  for (auto* v : {&dy, &x, &w})
    for (float& e : *v) e = bf16_round(e);
  std::vector<float> ref_dx(size_t(T * K), 0.f), ref_dw(size_t(N * K), 0.f);
  for (int64_t t = 0; t < T; ++t)
    for (int64_t k = 0; k < K; ++k) {
      double s = 0;
      for (int64_t n = 0; n < N; ++n) s += double(dy[size_t(t * N + n)]) * w[size_t(n * K + k)];
      ref_dx[size_t(t * K + k)] = float(s);
    }
  for (int64_t n = 0; n < N; ++n)
    for (int64_t k = 0; k < K; ++k) {
      double s = 0;
      for (int64_t t = 0; t < T; ++t) s += double(dy[size_t(t * N + n)]) * x[size_t(t * K + k)];
      ref_dw[size_t(n * K + k)] = 1.f + float(s);  // dW accumulates onto 1
    }
  cu::DeviceBuffer fdy = to_device(dy), fx = to_device(x), fw = to_device(w);
  cu::DeviceBuffer bdy(dy.size() * 2), bx(x.size() * 2), bw(w.size() * 2);
  cu::float_to_bf16(fdy.as<float>(), bdy.as<uint16_t>(), int64_t(dy.size()));
  cu::float_to_bf16(fx.as<float>(), bx.as<uint16_t>(), int64_t(x.size()));
  cu::float_to_bf16(fw.as<float>(), bw.as<uint16_t>(), int64_t(w.size()));
  cu::DeviceBuffer ddx(ref_dx.size() * 4), ddw = to_device(std::vector<float>(ref_dw.size(), 1.f));
  cu::bitlinear_backward_bf16(bdy.as<uint16_t>(), bx.as<uint16_t>(), bw.as<uint16_t>(), T, K, N, ddx.as<float>(),
                              ddw.as<float>());
  // Inputs are exact bf16 values and the GEMM accumulates in fp32: only summation order differs.
  require_close(to_host<float>(ddx, ref_dx.size()), ref_dx, 1e-4f, 1e-5f);
  require_close(to_host<float>(ddw, ref_dw.size()), ref_dw, 1e-4f, 1e-5f);
}

TEST_CASE("GPU dequantized bf16 weights equal bf16(w_q / w_scale)", "[gpu]") {
  const int64_t N = 8, K = 16, G = 2;
  const std::vector<int8_t> w = random_int8(size_t(N * K), 13, -1, 1);
  const std::vector<float> ws = {30.f, 45.f};
  cu::DeviceBuffer dw = to_device(w), dws = to_device(ws), out(w.size() * 2), outf(w.size() * 4);
  cu::dequant_weights_bf16(dw.as<int8_t>(), dws.as<float>(), N, K, G, out.as<uint16_t>());
  cu::bf16_to_float(out.as<uint16_t>(), outf.as<float>(), int64_t(w.size()));
  const std::vector<float> got = to_host<float>(outf, w.size());
  for (int64_t i = 0; i < N * K; ++i)
    REQUIRE(got[size_t(i)] == bf16_round(float(w[size_t(i)]) / ws[size_t((i / K) / (N / G))]));
}

TEST_CASE("GPU AdamW is bit-exact with the shared update on the host", "[gpu]") {
  const int64_t n = 5000;
  std::vector<float> p = normal_floats(size_t(n), 14), m(size_t(n), 0.f), v(size_t(n), 0.f);
  cu::DeviceBuffer dp = to_device(p), dm = to_device(m), dv = to_device(v), dg(size_t(n) * 4);
  for (int64_t t = 1; t <= 3; ++t) {
    const std::vector<float> g = normal_floats(size_t(n), uint32_t(20 + t), 0.1f);
    dg.upload(g.data(), g.size() * 4);
    cu::adamw_step(dp.as<float>(), dg.as<float>(), dm.as<float>(), dv.as<float>(), n, t, 1e-3, 0.9, 0.95, 1e-8, 0.1,
                   true);
    const cu::AdamWStep s{1e-3f, 0.9f, 0.95f, 1e-8f, float(1.0 - std::pow(0.9, double(t))),
                          float(1.0 - std::pow(0.95, double(t))), float(1e-3 * 0.1)};
    for (int64_t i = 0; i < n; ++i) cu::adamw_update(s, p[size_t(i)], m[size_t(i)], v[size_t(i)], g[size_t(i)]);
  }
  REQUIRE(to_host<float>(dp, size_t(n)) == p);
  REQUIRE(to_host<float>(dm, size_t(n)) == m);
  REQUIRE(to_host<float>(dv, size_t(n)) == v);
}

TEST_CASE("GPU fused softmax cross-entropy matches nn::softmax_cross_entropy", "[gpu]") {
  const int64_t rows = 10, V = 1000;
  const std::vector<float> logits = normal_floats(size_t(rows * V), 15, 3.f);
  std::vector<int32_t> targets(static_cast<size_t>(rows));
  for (int64_t r = 0; r < rows; ++r) targets[size_t(r)] = int32_t((r * 97) % V);
  targets[3] = -1;  // ignored row
  std::vector<float> ref_loss(static_cast<size_t>(rows)), ref_d(logits.size());
  abacus::nn::softmax_cross_entropy(ref_loss.data(), ref_d.data(), logits.data(), targets.data(), rows, V, 1.f / 9.f);
  cu::DeviceBuffer dl = to_device(logits), dt = to_device(targets), dloss(size_t(rows) * 4);
  cu::softmax_cross_entropy(dl.as<float>(), dt.as<int32_t>(), rows, V, 1.f / 9.f, dloss.as<float>(), dl.as<float>());
  // fp32 exp/log with a different summation order: 1e-5 relative.
  require_close(to_host<float>(dloss, size_t(rows)), ref_loss, 1e-6f, 1e-5f);
  require_close(to_host<float>(dl, logits.size()), ref_d, 1e-7f, 1e-4f);
}

TEST_CASE("GPU causal attention forward/backward (GQA) matches nn::attention", "[gpu]") {
  abacus::nn::AttentionShape s{2, 19, 4, 2, 40};
  const cu::AttnShape cs{s.B, s.T, s.n_head, s.n_kv_head, s.head_dim};
  const size_t nq = size_t(s.B * s.T * s.n_head * s.head_dim), nk = size_t(s.B * s.T * s.n_kv_head * s.head_dim);
  const std::vector<float> qv = normal_floats(nq, 16), kv = normal_floats(nk, 17), vv = normal_floats(nk, 18),
                           dout = normal_floats(nq, 19);
  std::vector<float> out(nq), att(static_cast<size_t>(s.B * s.n_head * s.T * s.T));
  abacus::nn::attention_forward(out.data(), att.data(), qv.data(), kv.data(), vv.data(), s);
  std::vector<float> dq(nq, 0.f), dk(nk, 0.f), dv(nk, 0.f);
  abacus::nn::attention_backward(dq.data(), dk.data(), dv.data(), dout.data(), att.data(), qv.data(), kv.data(),
                                 vv.data(), s);
  cu::DeviceBuffer gq = to_device(qv), gk = to_device(kv), gv = to_device(vv), gdo = to_device(dout), go(nq * 4),
                   glse(size_t(s.B * s.n_head * s.T) * 4), gdq(nq * 4), gdk(nk * 4), gdv(nk * 4);
  gdq.zero();
  gdk.zero();
  gdv.zero();
  cu::attention_forward(gq.as<float>(), gk.as<float>(), gv.as<float>(), go.as<float>(), glse.as<float>(), cs);
  cu::attention_backward(gq.as<float>(), gk.as<float>(), gv.as<float>(), go.as<float>(), glse.as<float>(),
                         gdo.as<float>(), gdq.as<float>(), gdk.as<float>(), gdv.as<float>(), cs);
  // fp32 online softmax vs the CPU's explicit one: 1e-4 absolute on O(1) values.
  require_close(to_host<float>(go, nq), out, 1e-4f, 1e-4f);
  require_close(to_host<float>(gdq, nq), dq, 1e-4f, 1e-4f);
  require_close(to_host<float>(gdk, nk), dk, 1e-4f, 1e-4f);
  require_close(to_host<float>(gdv, nk), dv, 1e-4f, 1e-4f);
}

int main(int argc, char* argv[]) {
  if (cu::device_count() == 0) {
    std::printf("SKIPPED: no CUDA GPU\n");
    return 77;
  }
  std::printf("GPU: %s\n", cu::device_name(0).c_str());
  return Catch::Session().run(argc, argv);
}
