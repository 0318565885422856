// The CPU backend of the device interface: the GPU's arithmetic on the host (see backend.h).
// Layers call the CPU core (src/nn, src/quant); what the GPU does differently from the core's
// training path (integer GEMM + rescale in BitLinear's forward, bf16 GEMM operands) is done here
// the same way, with the per-element functions the kernels use (src/cuda/*_math.h).
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "src/cuda/adamw_math.h"
#include "src/cuda/model_math.h"
#include "src/cuda/quant_math.h"
#include "src/device/backend.h"
#include "src/model/norm_ops.h"
#include "src/nn/activations.h"
#include "src/nn/attention.h"
#include "src/nn/cross_entropy.h"
#include "src/nn/embedding.h"
#include "src/nn/rope.h"
#include "src/quant/act_quant.h"
#include "src/quant/int_gemm.h"
#include "src/quant/packing.h"
#include "src/quant/weight_quant.h"
#include "src/tensor/matmul.h"
#include "src/util/error.h"

namespace abacus::device {
namespace {

std::vector<float> bf16_copy(const float* x, int64_t n) {
  std::vector<float> r(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) r[size_t(i)] = cuda::bf16_round(x[i]);
  return r;
}

class CpuBackend final : public Backend {
 public:
  const char* name() const override { return "cpu"; }

  void* alloc(size_t bytes) override {
    void* p = std::calloc(bytes ? bytes : 1, 1);
    if (!p) fail("", "memory", "out of host memory allocating " + std::to_string(bytes) + " bytes");
    return p;
  }
  void release(void* p) override { std::free(p); }
  void upload(void* dst, const void* host, size_t bytes) override { if (bytes) std::memcpy(dst, host, bytes); }
  void download(void* host, const void* src, size_t bytes) override { if (bytes) std::memcpy(host, src, bytes); }
  void zero(void* p, size_t bytes) override { if (bytes) std::memset(p, 0, bytes); }
  void copy(void* dst, const void* src, size_t bytes) override { if (bytes && dst != src) std::memmove(dst, src, bytes); }
  void synchronize() override {}

  void embedding_forward(float* out, const int32_t* ids, const float* table, int64_t rows, int64_t C) override {
    for (int64_t r = 0; r < rows; ++r) std::memcpy(out + r * C, table + int64_t(ids[r]) * C, size_t(C) * 4);
  }
  void embedding_backward(float* dtable, const float* dout, const int32_t* ids, int64_t rows, int64_t C) override {
    nn::embedding_backward(dtable, dout, ids, rows, C);
  }
  void norm_forward(NormKind kind, float* out, float* mean, float* rstd, const float* x, const float* gain,
                    int64_t rows, int64_t C, double eps) override {
    model::norm_forward(kind, out, mean, rstd, x, gain, rows, C, eps);
  }
  void norm_backward(NormKind kind, float* dx, float* dgain, const float* dout, const float* x, const float* gain,
                     const float* mean, const float* rstd, int64_t rows, int64_t C) override {
    model::norm_backward(kind, dx, dgain, dout, x, gain, mean, rstd, rows, C);
  }

  void linear_forward(float* y, const float* x, const float* W, int64_t rows, int64_t K, int64_t N) override {
    const std::vector<float> xb = bf16_copy(x, rows * K), wb = bf16_copy(W, N * K);
    tensor::matmul_forward(y, xb.data(), wb.data(), static_cast<const float*>(nullptr), rows, K, N);
  }
  void linear_backward(float* dx, float* dW, const float* dy, const float* x, const float* W, int64_t rows,
                       int64_t K, int64_t N) override {
    const std::vector<float> dyb = bf16_copy(dy, rows * N), xb = bf16_copy(x, rows * K), wb = bf16_copy(W, N * K);
    tensor::matmul_backward(dx, dW, static_cast<float*>(nullptr), dyb.data(), xb.data(), wb.data(), rows, K, N);
  }

  void bitlinear_forward(const BitLinearShape& s, float* y, const float* x, const float* W, const float* gain,
                         const BitLinearState& st) override {
    const int64_t rows = s.rows, K = s.K, N = s.N;
    std::vector<float> xn(static_cast<size_t>(rows * K));
    model::norm_forward(s.norm, xn.data(), st.mean, st.rstd, x, gain, rows, K, s.eps);
    if (s.per_tensor) {
      quant::quantize_activations(quant::ActScope::per_tensor, xn.data(), rows, K, 1, st.x_q, st.x_scale);
      for (int64_t t = 1; t < rows; ++t) st.x_scale[t] = st.x_scale[0];
    } else {
      quant::quantize_activations(quant::ActScope::per_token, xn.data(), rows, K, 1, st.x_q, st.x_scale);
    }
    quant::quantize_weights(quant::weight_quant_for(s.quant), W, N, K, s.groups, st.w_q, st.w_scale);
    quant::int8_gemm_ref(st.x_q, st.w_q, st.acc, rows, K, N);
    const int64_t per = N / s.groups;
    for (int64_t t = 0; t < rows; ++t)
      for (int64_t n = 0; n < N; ++n)
        y[t * N + n] = cuda::rescale(st.acc[t * N + n], st.x_scale[t], st.w_scale[n / per]);
  }
  void bitlinear_backward(const BitLinearShape& s, float* dx, float* dW, float* dgain, const float* dy,
                          const float* x, const float* gain, const BitLinearState& st) override {
    const int64_t rows = s.rows, K = s.K, N = s.N, per = N / s.groups;
    std::vector<float> xt(static_cast<size_t>(rows * K)), wt(static_cast<size_t>(N * K));
    for (int64_t t = 0; t < rows; ++t)
      for (int64_t k = 0; k < K; ++k)
        xt[size_t(t * K + k)] = cuda::bf16_round(float(st.x_q[t * K + k]) / st.x_scale[t]);
    for (int64_t n = 0; n < N; ++n)
      for (int64_t k = 0; k < K; ++k)
        wt[size_t(n * K + k)] = cuda::bf16_round(float(st.w_q[n * K + k]) / st.w_scale[n / per]);
    const std::vector<float> dyb = bf16_copy(dy, rows * N);
    std::vector<float> dxn(static_cast<size_t>(rows * K), 0.f);
    tensor::matmul_backward(dxn.data(), dW, static_cast<float*>(nullptr), dyb.data(), xt.data(), wt.data(), rows, K,
                            N);
    model::norm_backward(s.norm, dx, dgain, dxn.data(), x, gain, st.mean, st.rstd, rows, K);
  }

  void rope(float* x, int64_t B, int64_t T, int64_t H, int64_t hd, int64_t pos0, double theta, bool inverse) override {
    if (inverse) nn::rope_backward(x, B, T, H, hd, pos0, theta);
    else nn::rope_forward(x, B, T, H, hd, pos0, theta);
  }
  int64_t attention_saved_floats(const AttnShape& s) const override { return s.B * s.H * s.T * s.T; }
  void attention_forward(float* out, float* saved, const float* q, const float* k, const float* v,
                         const AttnShape& s) override {
    nn::attention_forward(out, saved, q, k, v, nn::AttentionShape{s.B, s.T, s.H, s.Hkv, s.hd});
  }
  void attention_backward(float* dq, float* dk, float* dv, const float* dout, const float*, const float* saved,
                          const float* q, const float* k, const float* v, const AttnShape& s) override {
    nn::attention_backward(dq, dk, dv, dout, saved, q, k, v, nn::AttentionShape{s.B, s.T, s.H, s.Hkv, s.hd});
  }
  void ffn_forward(FfnKind kind, float* h, const float* gate, const float* up, int64_t n) override {
    if (kind == FfnKind::gelu) nn::gelu_forward(h, up, n);
    else if (kind == FfnKind::swiglu) nn::swiglu_forward(h, gate, up, n);
    else nn::relu2_glu_forward(h, gate, up, n);
  }
  void ffn_backward(FfnKind kind, float* dgate, float* dup, const float* dh, const float* gate, const float* up,
                    int64_t n) override {
    if (kind == FfnKind::gelu) nn::gelu_backward(dup, dh, up, n);
    else if (kind == FfnKind::swiglu) nn::swiglu_backward(dgate, dup, dh, gate, up, n);
    else nn::relu2_glu_backward(dgate, dup, dh, gate, up, n);
  }
  void add(float* y, const float* a, const float* b, int64_t n) override {
    for (int64_t i = 0; i < n; ++i) y[i] = a[i] + b[i];
  }
  void cross_entropy(const float* logits, const int32_t* targets, int64_t rows, int64_t V, float scale, float* losses,
                     float* dlogits) override {
    nn::softmax_cross_entropy(losses, dlogits, logits, targets, rows, V, scale);
  }

  void quantize_weights(Quant quant, const float* W, int64_t N, int64_t K, int64_t groups, int8_t* w_q,
                        uint8_t* packed, float* w_scale) override {
    quant::quantize_weights(quant::weight_quant_for(quant), W, N, K, groups, w_q, w_scale);
    const quant::PackedTernary pk = quant::pack_ternary(w_q, N, K);
    std::memcpy(packed, pk.bytes.data(), pk.bytes.size());
  }
  void bitlinear_infer(const BitLinearShape& s, float* y, const float* x, const float* gain, const int8_t* w_q,
                       const uint8_t* packed, const float* w_scale, const BitLinearState& st) override {
    const int64_t rows = s.rows, K = s.K, N = s.N, per = N / s.groups;
    std::vector<float> xn(static_cast<size_t>(rows * K));
    model::norm_forward(s.norm, xn.data(), st.mean, st.rstd, x, gain, rows, K, s.eps);
    quant::quantize_activations(quant::ActScope::per_token, xn.data(), rows, K, 1, st.x_q, st.x_scale);
    if (rows == 1) {  // the GEMV kernel's arithmetic: one packed row per output
      const int64_t rb = cuda::ternary_row_bytes(K);
      for (int64_t n = 0; n < N; ++n) st.acc[n] = cuda::w2a8_dot_row(st.x_q, packed + n * rb, K);
    } else {
      quant::int8_gemm_ref(st.x_q, w_q, st.acc, rows, K, N);
    }
    for (int64_t t = 0; t < rows; ++t)
      for (int64_t n = 0; n < N; ++n)
        y[t * N + n] = cuda::rescale(st.acc[t * N + n], st.x_scale[t], w_scale[n / per]);
  }
  void attention_cached(float* out, const float* q, const float* k_cache, const float* v_cache, int64_t n,
                        int64_t pos, int64_t H, int64_t Hkv, int64_t hd) override {
    std::vector<float> scores(static_cast<size_t>(H * (pos + n)));
    for (int64_t t = 0; t < n; ++t)
      nn::attention_decode(out + t * H * hd, q + t * H * hd, k_cache, v_cache, pos + t + 1, H, Hkv, hd, scores.data());
  }

  void adamw(float* p, const float* g, float* m, float* v, int64_t n, int64_t t, double lr, double beta1,
             double beta2, double eps, double weight_decay, bool decay) override {
    const cuda::AdamWStep s = cuda::adamw_step_scalars(t, lr, beta1, beta2, eps, weight_decay, decay);
    for (int64_t i = 0; i < n; ++i) cuda::adamw_update(s, p[i], m[i], v[i], g[i]);
  }
  double sum_squares(const float* x, int64_t n) override {
    double s = 0;
    for (int64_t i = 0; i < n; ++i) s += double(x[i]) * double(x[i]);
    return s;
  }
  void scale(float* x, int64_t n, float s) override {
    for (int64_t i = 0; i < n; ++i) x[i] *= s;
  }
};

BackendFactory g_cuda_factory = nullptr;

}  // namespace

std::unique_ptr<Backend> make_cpu_backend() { return std::make_unique<CpuBackend>(); }
void set_cuda_backend_factory(BackendFactory f) { g_cuda_factory = f; }
std::unique_ptr<Backend> make_cuda_backend() { return g_cuda_factory ? g_cuda_factory() : nullptr; }

}  // namespace abacus::device
