#include "src/cuda/cuda_backend.h"

#include <cuda_runtime_api.h>

#include <array>
#include <string>

#include "src/cuda/bitnet_cuda.h"
#include "src/cuda/model_kernels.h"
#include "src/util/error.h"

namespace abacus::cuda {
namespace {

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) fail("", "cuda", std::string(what) + ": " + cudaGetErrorString(e));
}

Norm to_norm(NormKind k) { return k == NormKind::layernorm ? Norm::layernorm : Norm::rmsnorm; }
Ffn to_ffn(FfnKind k) {
  return k == FfnKind::gelu ? Ffn::gelu : (k == FfnKind::swiglu ? Ffn::swiglu : Ffn::relu2_glu);
}

class CudaBackend final : public device::Backend {
 public:
  explicit CudaBackend(std::string name) : name_(std::move(name)) {}
  const char* name() const override { return name_.c_str(); }

  void* alloc(size_t bytes) override {
    void* p = nullptr;
    check(cudaMalloc(&p, bytes ? bytes : 1), "cudaMalloc");
    check(cudaMemset(p, 0, bytes ? bytes : 1), "cudaMemset");
    return p;
  }
  void release(void* p) override { if (p) cudaFree(p); }
  void upload(void* dst, const void* host, size_t bytes) override {
    if (bytes) check(cudaMemcpy(dst, host, bytes, cudaMemcpyHostToDevice), "upload");
  }
  void download(void* host, const void* src, size_t bytes) override {
    if (bytes) check(cudaMemcpy(host, src, bytes, cudaMemcpyDeviceToHost), "download");
  }
  void zero(void* p, size_t bytes) override { if (bytes) check(cudaMemsetAsync(p, 0, bytes, nullptr), "cudaMemset"); }
  void copy(void* dst, const void* src, size_t bytes) override {
    if (bytes && dst != src) check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice, nullptr), "copy");
  }
  void synchronize() override { cuda::synchronize(); }

  void embedding_forward(float* out, const int32_t* ids, const float* table, int64_t rows, int64_t C) override {
    cuda::embedding_forward(out, ids, table, rows, C);
  }
  void embedding_backward(float* dtable, const float* dout, const int32_t* ids, int64_t rows, int64_t C) override {
    cuda::embedding_backward(dtable, dout, ids, rows, C);
  }
  void norm_forward(NormKind kind, float* out, float* mean, float* rstd, const float* x, const float* gain,
                    int64_t rows, int64_t C, double eps) override {
    cuda::norm_forward(to_norm(kind), out, mean, rstd, x, gain, rows, C, eps);
  }
  void norm_backward(NormKind kind, float* dx, float* dgain, const float* dout, const float* x, const float* gain,
                     const float* mean, const float* rstd, int64_t rows, int64_t C) override {
    float* partial = scratch<float>(kNormPartial, norm_backward_partial_floats(rows, C));
    cuda::norm_backward(to_norm(kind), dx, dgain, dout, x, gain, mean, rstd, rows, C, partial);
  }

  void linear_forward(float* y, const float* x, const float* W, int64_t rows, int64_t K, int64_t N) override {
    uint16_t* xb = scratch<uint16_t>(kBf16A, rows * K);
    uint16_t* wb = scratch<uint16_t>(kBf16B, N * K);
    float_to_bf16(x, xb, rows * K);
    float_to_bf16(W, wb, N * K);
    gemm_bf16(false, true, rows, N, K, 1.f, xb, wb, 0.f, y);
  }
  void linear_backward(float* dx, float* dW, const float* dy, const float* x, const float* W, int64_t rows, int64_t K,
                       int64_t N) override {
    uint16_t* dyb = scratch<uint16_t>(kBf16C, rows * N);
    float_to_bf16(dy, dyb, rows * N);
    if (dx) {
      uint16_t* wb = scratch<uint16_t>(kBf16B, N * K);
      float_to_bf16(W, wb, N * K);
      gemm_bf16(false, false, rows, K, N, 1.f, dyb, wb, 1.f, dx);  // dx += dy [rows,N] . W [N,K]
    }
    if (dW) {
      uint16_t* xb = scratch<uint16_t>(kBf16A, rows * K);
      float_to_bf16(x, xb, rows * K);
      gemm_bf16(true, false, N, K, rows, 1.f, dyb, xb, 1.f, dW);  // dW += dy^T [N,rows] . x [rows,K]
    }
  }

  void bitlinear_forward(const device::BitLinearShape& s, float* y, const float* x, const float* W, const float* gain,
                         const device::BitLinearState& st) override {
    if (s.per_tensor) {  // b1 training: the norm's output is needed whole before its one scale
      float* xn = scratch<float>(kF32, s.rows * s.K);
      cuda::norm_forward(to_norm(s.norm), xn, st.mean, st.rstd, x, gain, s.rows, s.K, s.eps);
      quant_act_per_tensor(xn, s.rows, s.K, st.x_q, st.x_scale);
    } else {  // fused: one pass, the fp32 norm output is never stored
      norm_quant_act(to_norm(s.norm), x, gain, s.rows, s.K, s.eps, st.x_q, st.x_scale, st.rstd, st.mean);
    }
    if (s.quant == Quant::b1) {
      double* partial = scratch<double>(kPartial, 2 * s.groups * 128 + s.groups);
      quant_weights_binary(W, s.N, s.K, s.groups, st.w_q, st.w_scale, partial);
    } else {
      uint8_t* packed = scratch<uint8_t>(kPacked, s.N * packed_row_bytes(s.K));
      quant_weights_ternary(s.quant == Quant::b158_median ? WeightCenter::absmedian : WeightCenter::absmean, W, s.N,
                            s.K, s.groups, st.w_q, packed, st.w_scale);
    }
    int8_gemm(st.x_q, st.w_q, st.acc, s.rows, s.K, s.N);
    rescale_epilogue(st.acc, st.x_scale, st.w_scale, s.rows, s.N, s.groups, y);
  }
  void bitlinear_backward(const device::BitLinearShape& s, float* dx, float* dW, float* dgain, const float* dy,
                          const float* x, const float* gain, const device::BitLinearState& st) override {
    uint16_t* xt = scratch<uint16_t>(kBf16A, s.rows * s.K);
    uint16_t* wt = scratch<uint16_t>(kBf16B, s.N * s.K);
    uint16_t* dyb = scratch<uint16_t>(kBf16C, s.rows * s.N);
    float* dxn = scratch<float>(kF32, s.rows * s.K);
    dequant_act_bf16(st.x_q, st.x_scale, s.rows, s.K, xt);
    dequant_weights_bf16(st.w_q, st.w_scale, s.N, s.K, s.groups, wt);
    float_to_bf16(dy, dyb, s.rows * s.N);
    bitlinear_backward_bf16(dyb, xt, wt, s.rows, s.K, s.N, dxn, dW);
    norm_backward(s.norm, dx, dgain, dxn, x, gain, st.mean, st.rstd, s.rows, s.K);
  }

  void rope(float* x, int64_t B, int64_t T, int64_t H, int64_t hd, int64_t pos0, double theta, bool inverse) override {
    cuda::rope(x, B, T, H, hd, pos0, theta, inverse);
  }
  int64_t attention_saved_floats(const device::AttnShape& s) const override { return s.B * s.H * s.T; }
  void attention_forward(float* out, float* saved, const float* q, const float* k, const float* v,
                         const device::AttnShape& s) override {
    cuda::attention_forward(q, k, v, out, saved, AttnShape{s.B, s.T, s.H, s.Hkv, s.hd});
  }
  void attention_backward(float* dq, float* dk, float* dv, const float* dout, const float* out, const float* saved,
                          const float* q, const float* k, const float* v, const device::AttnShape& s) override {
    cuda::attention_backward(q, k, v, out, saved, dout, dq, dk, dv, AttnShape{s.B, s.T, s.H, s.Hkv, s.hd});
  }
  void ffn_forward(FfnKind kind, float* h, const float* gate, const float* up, int64_t n) override {
    cuda::ffn_forward(to_ffn(kind), h, gate, up, n);
  }
  void ffn_backward(FfnKind kind, float* dgate, float* dup, const float* dh, const float* gate, const float* up,
                    int64_t n) override {
    cuda::ffn_backward(to_ffn(kind), dgate, dup, dh, gate, up, n);
  }
  void add(float* y, const float* a, const float* b, int64_t n) override { cuda::add(y, a, b, n); }
  void cross_entropy(const float* logits, const int32_t* targets, int64_t rows, int64_t V, float scale, float* losses,
                     float* dlogits) override {
    softmax_cross_entropy(logits, targets, rows, V, scale, losses, dlogits);
  }
  void adamw(float* p, const float* g, float* m, float* v, int64_t n, int64_t t, double lr, double beta1,
             double beta2, double eps, double weight_decay, bool decay) override {
    adamw_step(p, g, m, v, n, t, lr, beta1, beta2, eps, weight_decay, decay);
  }
  void quantize_weights(Quant quant, const float* W, int64_t N, int64_t K, int64_t groups, int8_t* w_q,
                        uint8_t* packed, float* w_scale) override {
    if (quant == Quant::b1) {
      quant_weights_binary(W, N, K, groups, w_q, w_scale, scratch<double>(kPartial, 2 * groups * 128 + groups));
      pack_weights(w_q, N, K, packed);
    } else {
      quant_weights_ternary(quant == Quant::b158_median ? WeightCenter::absmedian : WeightCenter::absmean, W, N, K,
                            groups, w_q, packed, w_scale);
    }
  }
  void bitlinear_infer(const device::BitLinearShape& s, float* y, const float* x, const float* gain,
                       const int8_t* w_q, const uint8_t* packed, const float* w_scale,
                       const device::BitLinearState& st) override {
    norm_quant_act(to_norm(s.norm), x, gain, s.rows, s.K, s.eps, st.x_q, st.x_scale, st.rstd, st.mean);
    if (s.rows == 1) w2a8_gemv(st.x_q, packed, s.N, s.K, st.acc);  // decode: 2-bit weights streamed
    else int8_gemm(st.x_q, w_q, st.acc, s.rows, s.K, s.N);
    rescale_epilogue(st.acc, st.x_scale, w_scale, s.rows, s.N, s.groups, y);
  }
  void attention_cached(float* out, const float* q, const float* k_cache, const float* v_cache, int64_t n, int64_t pos,
                        int64_t H, int64_t Hkv, int64_t hd) override {
    cuda::attention_cached(out, q, k_cache, v_cache, n, pos, H, Hkv, hd);
  }
  double sum_squares(const float* x, int64_t n) override {
    return cuda::sum_squares(x, n, scratch<double>(kPartial, 1024));
  }
  void scale(float* x, int64_t n, float s) override { cuda::scale(x, n, s); }

 private:
  // Scratch slots, each used within one op call; grown (never shrunk) on demand.
  enum Slot { kBf16A, kBf16B, kBf16C, kF32, kNormPartial, kPartial, kPacked, kSlots };
  template <class T>
  T* scratch(Slot slot, int64_t n) {
    const size_t bytes = size_t(n > 0 ? n : 1) * sizeof(T);
    DeviceBuffer& b = slots_[size_t(slot)];
    if (b.bytes() < bytes) {
      cuda::synchronize();  // earlier kernels may still read the old buffer
      b = DeviceBuffer(bytes + bytes / 4);
    }
    return b.as<T>();
  }
  std::string name_;
  std::array<DeviceBuffer, kSlots> slots_;
};

std::unique_ptr<device::Backend> make_cuda_backend_impl() { return make_backend(); }

}  // namespace

std::unique_ptr<device::Backend> make_backend() {
  if (device_count() <= 0) return nullptr;
  return std::make_unique<CudaBackend>("cuda (" + device_name(0) + ")");
}

void register_cuda_backend() { device::set_cuda_backend_factory(&make_cuda_backend_impl); }

}  // namespace abacus::cuda
