// Host API of the CUDA BitNet kernels (library abacus_cuda). This header includes no CUDA
// headers, so CPU code can include it; every pointer marked "device" is GPU memory (use
// DeviceBuffer), every launch is asynchronous on `stream` (a cudaStream_t passed as void*,
// nullptr = the default stream). Errors (CUDA, cuBLASLt, bad shapes) throw abacus::Error.
//
// Conventions are the CPU core's (src/quant/*.h, src/nn/bitlinear.h): x ~= x_q / x_scale,
// W ~= w_q / w_scale, row-major [rows, cols], weights [N, K] (out x in), packed ternary rows as in
// src/quant/packing.h. The per-element arithmetic lives in src/cuda/*_math.h and is tested on
// the CPU; see README section results-cuda.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace abacus::cuda {

// ---- device, memory ----------------------------------------------------------------------
int device_count();                 // 0 when there is no driver or no GPU (never throws)
std::string device_name(int device);  // "" when unavailable
void synchronize();

class DeviceBuffer {  // owning device allocation (cudaMalloc), move-only
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t bytes);
  ~DeviceBuffer();
  DeviceBuffer(DeviceBuffer&& o) noexcept : ptr_(o.ptr_), bytes_(o.bytes_) { o.ptr_ = nullptr; o.bytes_ = 0; }
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;

  void upload(const void* host, size_t bytes);    // host -> device, synchronous
  void download(void* host, size_t bytes) const;  // device -> host, synchronous
  void zero();
  template <class T> T* as() { return static_cast<T*>(ptr_); }
  template <class T> const T* as() const { return static_cast<const T*>(ptr_); }
  size_t bytes() const { return bytes_; }

 private:
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
};

// bf16 is stored as uint16_t (the high half of the float, round to nearest even).
void float_to_bf16(const float* x, uint16_t* y, int64_t n, void* stream = nullptr);
void bf16_to_float(const uint16_t* x, float* y, int64_t n, void* stream = nullptr);

// ---- fused norm + per-token absmax int8 quantization (one pass over each row) --------------
enum class Norm { rmsnorm, layernorm };
// x [rows, C] fp32; gain [C] or null; y = Norm(x) * gain, never stored in fp32: x_q [rows, C],
// x_scale [rows] (127 / max|y|), rstd [rows] and mean [rows] (layernorm; may be null) for backward.
void norm_quant_act(Norm norm, const float* x, const float* gain, int64_t rows, int64_t C, double eps,
                    int8_t* x_q, float* x_scale, float* rstd, float* mean, void* stream = nullptr);
// Per-token absmax only (no norm): the kernel behind quant::quantize_activations(per_token).
void quant_act_per_token(const float* x, int64_t rows, int64_t C, int8_t* x_q, float* x_scale,
                         void* stream = nullptr);

// ---- ternary weight quantization + 2-bit packing in the same pass ---------------------------
enum class WeightCenter { absmean, absmedian };
// W [N, K] fp32; groups G split the N rows (N % G == 0). Writes w_q [N, K] int8 (for the tensor-
// core GEMM), packed [N, ternary_row_bytes(K)] and w_scale [G] (device). absmedian synchronizes
// (its radix select reads histograms back); absmean does not, and keeps its partial sums in one
// process-wide scratch buffer (so calls on different streams must not overlap).
void quant_weights_ternary(WeightCenter center, const float* W, int64_t N, int64_t K, int64_t groups,
                           int8_t* w_q, uint8_t* packed, float* w_scale, void* stream = nullptr);
int64_t packed_row_bytes(int64_t K);

// ---- forward GEMM on INT8 tensor cores (cuBLASLt, CUBLAS_COMPUTE_32I) ------------------------
// acc [T, N] int32 = x_q [T, K] . w_q [N, K]^T. K % 4 == 0 (cuBLASLt's int8 alignment rule).
void int8_gemm(const int8_t* x_q, const int8_t* w_q, int32_t* acc, int64_t T, int64_t K, int64_t N,
               void* stream = nullptr);
// Rescale epilogue: y [T, N] = acc / (x_scale[t] * w_scale[n / (N / groups)]), as BitLinearPacked.
void rescale_epilogue(const int32_t* acc, const float* x_scale, const float* w_scale, int64_t T, int64_t N,
                      int64_t groups, float* y, void* stream = nullptr);

// BitLinearPacked::forward on the GPU for b1.58 (RMSNorm with optional gain, unshifted input):
// norm_quant_act -> int8_gemm -> rescale_epilogue. x [T, K] -> y [T, N]; scratch x_q [T, K],
// x_scale [T], acc [T, N] (kept, e.g. for traces).
void bitlinear_forward_int8(const float* x, const float* gain, double eps, const int8_t* w_q, const float* w_scale,
                            int64_t groups, int64_t T, int64_t K, int64_t N, int8_t* x_q, float* x_scale,
                            int32_t* acc, float* y, void* stream = nullptr);

// ---- W2A8 decode GEMV on the packed weights ---------------------------------------------------
// acc [N] int32 = packed [N, row_bytes(K)] . x_q [K] (one warp per output row).
void w2a8_gemv(const int8_t* x_q, const uint8_t* packed, int64_t N, int64_t K, int32_t* acc,
               void* stream = nullptr);

// ---- BF16 GEMM (cuBLASLt) and the BitLinear STE backward --------------------------------------
// C [M, N] fp32 (row-major) = alpha * op(A) . op(B) + beta * C with bf16 A, B, fp32 accumulation.
// op(A) is [M, K]: A stored [M, K] (trans_a false) or [K, M] (true); op(B) is [K, N]: B stored
// [K, N] (trans_b false) or [N, K] (true).
void gemm_bf16(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const uint16_t* A,
               const uint16_t* B, float beta, float* C, void* stream = nullptr);
// W~ [N, K] bf16 = w_q / w_scale[group] (the STE's dequantized weights).
void dequant_weights_bf16(const int8_t* w_q, const float* w_scale, int64_t N, int64_t K, int64_t groups,
                          uint16_t* w_deq, void* stream = nullptr);
// STE backward of y = x~ W~^T: dx~ [T, K] = dy W~ (overwritten), dW [N, K] += dy^T x~.
void bitlinear_backward_bf16(const uint16_t* dy, const uint16_t* x_tilde, const uint16_t* w_tilde, int64_t T,
                             int64_t K, int64_t N, float* dx_tilde, float* dW, void* stream = nullptr);

// ---- fused AdamW (fp32 master weights, m, v) ---------------------------------------------------
// One step t (1-based) over n parameters; decay = whether weight decay applies to this range.
void adamw_step(float* params, const float* grads, float* m, float* v, int64_t n, int64_t t, double lr,
                double beta1, double beta2, double eps, double weight_decay, bool decay, void* stream = nullptr);

// ---- fused softmax cross-entropy (forward + backward in one pass) -----------------------------
// As nn::softmax_cross_entropy: logits [rows, V]; targets < 0 ignored; losses [rows] (may be
// null); dlogits (may be null, may alias logits) = dloss_scale * (softmax - onehot).
void softmax_cross_entropy(const float* logits, const int32_t* targets, int64_t rows, int64_t V,
                           float dloss_scale, float* losses, float* dlogits, void* stream = nullptr);

// ---- causal attention, flash style (no T x T matrix; logsumexp saved) --------------------------
// q [B,T,H,hd], k, v [B,T,Hkv,hd], out [B,T,H,hd], lse [B,H,T]; hd <= 128, H % Hkv == 0.
struct AttnShape {
  int64_t B = 0, T = 0, H = 0, Hkv = 0, hd = 0;
};
void attention_forward(const float* q, const float* k, const float* v, float* out, float* lse,
                       const AttnShape& s, void* stream = nullptr);
// Accumulates into dq, dk, dv (dk, dv by atomics).
void attention_backward(const float* q, const float* k, const float* v, const float* out, const float* lse,
                        const float* dout, float* dq, float* dk, float* dv, const AttnShape& s,
                        void* stream = nullptr);

}  // namespace abacus::cuda
