// The compute-device interface of the whole-model path (src/device/device_lm.h): memory and the
// ops one decoder-only LM training/inference step needs, on raw pointers into the backend's own
// memory. Two implementations: the CUDA one (src/cuda/cuda_backend.h, kernels + cuBLASLt) and the
// CPU one (cpu_backend.h), which runs the same per-element arithmetic on the host (integer
// BitLinear forward, bf16-rounded STE backward operands, bf16 operands of fp Linear layers), so
// the orchestration is tested in CI without a GPU and the GPU is checked against it.
//
// Arithmetic contract of every backend (the CPU core's conventions, src/nn, src/quant):
//   norms: statistics in double, rounded to float, then out = (x - mean) * rstd * gain in float;
//   BitLinear forward: x_q = quant(norm(x)) (per token, or per tensor for b1 training),
//     w_q = quant(W), acc = x_q . w_q^T (int32, exact), y = float(acc) / (x_scale[t] * w_scale[g]);
//   BitLinear backward (STE): dxn = bf16(dy) . bf16(x_q / x_scale)... see bitlinear_backward;
//   fp Linear: y = bf16(x) . bf16(W)^T accumulated in fp32 (mixed-precision BF16 training).
// Backward ops ACCUMULATE into gradients (+=) unless stated; null gradient pointers are skipped.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>

#include "src/model/config.h"

namespace abacus::device {

struct AttnShape {
  int64_t B = 0, T = 0, H = 0, Hkv = 0, hd = 0;
};

// One BitLinear call (quant != fp): K inputs, N outputs, weight groups along N.
struct BitLinearShape {
  int64_t rows = 0, K = 0, N = 0, groups = 1;
  Quant quant = Quant::b158;
  NormKind norm = NormKind::rmsnorm;
  bool per_tensor = false;  // b1 training: one activation scale for the whole [rows, K] input
  double eps = 1e-5;
};

// What the forward keeps for the backward (and a trace): all backend memory, caller-owned.
struct BitLinearState {
  int8_t* x_q = nullptr;     // [rows, K]
  float* x_scale = nullptr;  // [rows] (per tensor: the one scale repeated)
  float* mean = nullptr;     // [rows] (LayerNorm)
  float* rstd = nullptr;     // [rows]
  int8_t* w_q = nullptr;     // [N, K]
  float* w_scale = nullptr;  // [groups]
  int32_t* acc = nullptr;    // [rows, N]
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual const char* name() const = 0;  // "cpu", or "cuda (<device name>)"

  // ---- memory (backend pointers) ----
  virtual void* alloc(size_t bytes) = 0;  // zero-filled
  virtual void release(void* p) = 0;
  virtual void upload(void* dst, const void* host, size_t bytes) = 0;
  virtual void download(void* host, const void* src, size_t bytes) = 0;
  virtual void zero(void* p, size_t bytes) = 0;
  virtual void copy(void* dst, const void* src, size_t bytes) = 0;
  virtual void synchronize() = 0;

  // ---- layers ----
  // out [rows, C] = table[ids[r]]; ids are checked against V on the host by the caller.
  virtual void embedding_forward(float* out, const int32_t* ids, const float* table, int64_t rows, int64_t C) = 0;
  virtual void embedding_backward(float* dtable, const float* dout, const int32_t* ids, int64_t rows, int64_t C) = 0;
  // out = norm(x) * gain (gain may be null); mean (LayerNorm) and rstd [rows] saved.
  virtual void norm_forward(NormKind kind, float* out, float* mean, float* rstd, const float* x, const float* gain,
                            int64_t rows, int64_t C, double eps) = 0;
  virtual void norm_backward(NormKind kind, float* dx, float* dgain, const float* dout, const float* x,
                             const float* gain, const float* mean, const float* rstd, int64_t rows, int64_t C) = 0;
  // fp Linear, y [rows, N] = x [rows, K] . W [N, K]^T (overwritten) with bf16 operands.
  virtual void linear_forward(float* y, const float* x, const float* W, int64_t rows, int64_t K, int64_t N) = 0;
  virtual void linear_backward(float* dx, float* dW, const float* dy, const float* x, const float* W, int64_t rows,
                               int64_t K, int64_t N) = 0;
  // BitLinear with its norm inside: y [rows, N] (overwritten) from x [rows, K].
  virtual void bitlinear_forward(const BitLinearShape& s, float* y, const float* x, const float* W,
                                 const float* gain, const BitLinearState& st) = 0;
  // STE: dxn = bf16(dy) . bf16(w_q / w_scale) in fp32, dW += bf16(dy)^T . bf16(x_q / x_scale),
  // then the norm's backward of dxn into dx (+=) and dgain (+=).
  virtual void bitlinear_backward(const BitLinearShape& s, float* dx, float* dW, float* dgain, const float* dy,
                                  const float* x, const float* gain, const BitLinearState& st) = 0;
  // In place; inverse = the backward (the inverse rotation).
  virtual void rope(float* x, int64_t B, int64_t T, int64_t H, int64_t hd, int64_t pos0, double theta,
                    bool inverse) = 0;
  // Floats the forward saves for the backward (the CPU keeps probabilities, the GPU logsumexp).
  virtual int64_t attention_saved_floats(const AttnShape& s) const = 0;
  virtual void attention_forward(float* out, float* saved, const float* q, const float* k, const float* v,
                                 const AttnShape& s) = 0;
  virtual void attention_backward(float* dq, float* dk, float* dv, const float* dout, const float* out,
                                  const float* saved, const float* q, const float* k, const float* v,
                                  const AttnShape& s) = 0;
  // h = act(gate, up) (gate unused for gelu: h = gelu(up)); backward accumulates dgate, dup.
  virtual void ffn_forward(FfnKind kind, float* h, const float* gate, const float* up, int64_t n) = 0;
  virtual void ffn_backward(FfnKind kind, float* dgate, float* dup, const float* dh, const float* gate,
                            const float* up, int64_t n) = 0;
  virtual void add(float* y, const float* a, const float* b, int64_t n) = 0;  // y = a + b (y may alias)
  // Softmax cross-entropy: losses [rows] (0 for ignored targets), dlogits overwritten
  // (may alias logits) = scale * (softmax - onehot).
  virtual void cross_entropy(const float* logits, const int32_t* targets, int64_t rows, int64_t V, float scale,
                             float* losses, float* dlogits) = 0;

  // ---- inference (generate, trace) ----
  // BitNet weights quantized once: w_q [N, K] int8, packed [N, 32 ceil(K/128)] 2-bit codes
  // (src/quant/packing.h), w_scale [groups]; quant is b1 (binary), b1.58 or b1.58-median.
  virtual void quantize_weights(Quant quant, const float* W, int64_t N, int64_t K, int64_t groups, int8_t* w_q,
                                uint8_t* packed, float* w_scale) = 0;
  // BitLinearPacked::forward: norm, per-token int8 activations (every mode), then the W2A8 GEMV on
  // the packed weights for one row (decode) or the int8 GEMM on w_q for a prefill, and the
  // rescale; st's x_q, x_scale, acc (and rstd/mean) receive the call's integers.
  virtual void bitlinear_infer(const BitLinearShape& s, float* y, const float* x, const float* gain,
                               const int8_t* w_q, const uint8_t* packed, const float* w_scale,
                               const BitLinearState& st) = 0;
  // Causal attention of n new queries q [n, H, hd] at positions pos..pos+n-1 against the KV cache
  // k_cache, v_cache [>= pos+n, Hkv, hd] (the new tokens' k, v already in it): out [n, H, hd].
  virtual void attention_cached(float* out, const float* q, const float* k_cache, const float* v_cache, int64_t n,
                                int64_t pos, int64_t H, int64_t Hkv, int64_t hd) = 0;

  // ---- optimizer ----
  virtual void adamw(float* p, const float* g, float* m, float* v, int64_t n, int64_t t, double lr, double beta1,
                     double beta2, double eps, double weight_decay, bool decay) = 0;
  virtual double sum_squares(const float* x, int64_t n) = 0;
  virtual void scale(float* x, int64_t n, float s) = 0;
};

// The CUDA backend, when this program was linked with it and a GPU is present; else null.
// abacus_cuda registers its factory (cuda::register_cuda_backend), the core never links CUDA.
using BackendFactory = std::unique_ptr<Backend> (*)();
void set_cuda_backend_factory(BackendFactory f);
std::unique_ptr<Backend> make_cuda_backend();
std::unique_ptr<Backend> make_cpu_backend();

}  // namespace abacus::device
