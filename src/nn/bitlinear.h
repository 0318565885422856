// BitLinear (b1, b1.58, b1.58-median): norm inside, activation quantizer, weight quantizer,
// matmul; fp32 latent weights; straight-through estimator (STE) in backward.
//
// Training path (templated, float or double):
//   xn = Norm(x) * g          Norm = LayerNorm (b1) or RMSNorm (b1.58); g the learnable gain
//                             [in] (no bias) when spec.norm_weight, as BitNet's reference RMSNorm
//   x~ = dequant(quant_act(xn))   per tensor for b1 training (as b1 specifies), per token for b1.58
//   W~ = dequant(quant_w(W))      b1 sign/beta, b1.58 absmean, b1.58-median (weight_quant.h)
//   y  = x~ W~^T
// Backward (STE: each quantizer's Jacobian taken as the identity):
//   dW += dy^T x~,  dxn = dy W~,  then the norm's backward into dx and dg.
// With quant == fp the quantizers are the identity (norm + Linear), which is what the STE
// gradient is checked against.
//
// Inference path (BitLinearPacked): packed ternary weights + the int8 x ternary kernel, with
// no dequantized fp32 weight copy; activations per token (b1 and b1.58):
//   acc = x_q . w_q^T (int32, exact),   y[t][n] = acc[t][n] / (x_scale[t] * w_scale[g(n)])
// computed in float exactly as written: float(acc) / (x_scale * w_scale). For b1
// w_scale = 1/beta, so y = acc * beta / x_scale up to float rounding of 1/beta; with the
// shifted input form, y = (float(acc) / x_scale[t] + x_offset[t] * rowsum_n(w_q)) / w_scale[g(n)].
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "src/accel/accel_arith.h"
#include "src/model/config.h"
#include "src/quant/act_quant.h"
#include "src/quant/packing.h"

namespace abacus::nn {

struct BitLinearSpec {
  int64_t in = 0, out = 0;                 // K, N
  Quant quant = Quant::b158;               // fp: identity quantizers
  NormKind norm = NormKind::rmsnorm;       // the norm inside BitLinear
  bool norm_weight = true;                 // learnable gain [in]
  int64_t weight_groups = 1;               // G along the N outputs (weight_quant.h)
  quant::ActScope train_act_scope = quant::ActScope::per_token;  // b1: per_tensor
  bool shift_input = false;                // b1 [0, Q_b] form for inputs of non-linearities
  double norm_eps = 1e-5;
  // Which activation quantizer an accelerator configuration gives this projection (--accel;
  // src/accel/accel_arith.h). Set by the model from the projection's name.
  accel::ProjRole accel_role = accel::ProjRole::block_input;

  // b1: LayerNorm, per-tensor activations in training; b1.58(-median): RMSNorm, per token;
  // weight_groups = config.quant_groups; norm_eps = config.rms_norm_eps.
  static BitLinearSpec for_model(const ModelConfig& config, int64_t in, int64_t out);
};

// Activations the caller keeps between forward and backward (caller-owned buffers).
template <class T>
struct BitLinearSaved {
  T* norm_mean = nullptr;  // [rows]; LayerNorm only (may stay null for RMSNorm)
  T* norm_rstd = nullptr;  // [rows]
  T* x_tilde = nullptr;    // [rows, in]  the matmul input (quantized-dequantized)
  T* w_tilde = nullptr;    // [out, in]   the quantized-dequantized weights of this forward
};

// norm_weight may be null when !spec.norm_weight. x is [rows, in], y [rows, out].
template <class T>
void bitlinear_forward(const BitLinearSpec& spec, T* y, const T* x, const T* w_latent,
                       const T* norm_weight, int64_t rows, const BitLinearSaved<T>& saved);

// Accumulates into dx [rows, in], dw [out, in], dnorm_weight [in] (any may be null).
template <class T>
void bitlinear_backward(const BitLinearSpec& spec, T* dx, T* dw, T* dnorm_weight, const T* dy,
                        const T* x, const T* norm_weight, int64_t rows, const BitLinearSaved<T>& saved);

// Whole-model STE gradient checks (tests/train): with a freeze installed, bitlinear_forward
// records each quantizer's offset Q(v) - v (activations after the norm, then weights) at a base
// point, call by call, and on replay adds the recorded offsets instead of quantizing. The
// replayed forward is v + constant, so its exact derivative is the identity the STE assumes,
// and finite differences of the whole model can check every STE gradient. Process-wide and
// off (null) by default: one pointer test per call.
struct QuantOffsetFreeze {
  enum class Mode { record, replay } mode = Mode::record;
  std::vector<std::vector<double>> offsets;  // per call: [rows * in] activation, then [out * in] weight offsets
  size_t next = 0;                           // the call replayed next (reset before each forward)
};
void set_quant_offset_freeze(QuantOffsetFreeze* freeze);

struct BitLinearRecord {  // one BitLinear call in the integer inference path
  std::string name;        // e.g. "layers.3.attn.q" (set by the model)
  int64_t T, K, N, G;      // G = activation scale groups per token (1 = per token; always 1 here)
  const int8_t* x_q;  const float* x_scale;   // [T,K], [T*G]  (x ≈ x_q / x_scale)
  const int8_t* w_q;  const float* w_scale;   // [N,K] in {-1,0,1} / {-1,1}, [G_w] (W ≈ w_q / w_scale)
  const int32_t* acc; const float* y;         // [T,N] exact integer matmul, [T,N] output
  int64_t G_w = 1;                            // weight groups along N: row n uses w_scale[n / (N / G_w)]
  const float* x_offset = nullptr;            // [T*G] shifted input form only (see top), else null
};
using BitLinearObserver = std::function<void(const BitLinearRecord&)>;

class BitLinearPacked {
 public:
  BitLinearPacked() = default;
  // Quantizes and packs the latent weights once; keeps the norm gain (copied). quant fp -> Error.
  BitLinearPacked(const BitLinearSpec& spec, const float* w_latent, const float* norm_weight);

  // y [rows, out] from x [rows, in]. Calls observer (when given and non-empty) with the record
  // of this call; w_q is unpacked for it only then.
  void forward(float* y, const float* x, int64_t rows, const BitLinearObserver* observer = nullptr,
               const std::string& name = "") const;

  const BitLinearSpec& spec() const { return spec_; }
  const quant::PackedTernary& packed() const { return packed_; }
  const std::vector<float>& w_scale() const { return w_scale_; }
  int64_t weight_bytes() const { return int64_t(packed_.bytes.size()); }

 private:
  BitLinearSpec spec_;
  quant::PackedTernary packed_;
  std::vector<float> w_scale_;
  std::vector<float> norm_weight_;
  std::vector<int32_t> row_sum_;  // sum_k w_q[n][k], for the shifted form

  // --accel (bitlinear_accel.cpp): the integer datapath as configured, in place of the
  // reference above. With Hadamard on for this role, the weights are rotated (W H, H H = I) and
  // quantized again when the model is built under that configuration.
  void forward_accel(const accel::ArithConfig& cfg, float* y, const float* x, int64_t rows,
                     const BitLinearObserver* observer, const std::string& name) const;
  quant::PackedTernary packed_rotated_;
  std::vector<float> w_scale_rotated_;
};

}  // namespace abacus::nn
