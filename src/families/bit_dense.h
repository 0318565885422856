// The dense layer of the bottom-up paper's families: fp Linear or BitLinear (b1.58 / b1.58-median)
// with that paper's conventions, reusing src/nn (LayerNorm), src/quant (weight quantizers,
// int8_gemm_ref) and src/tensor (matmul):
//   fp:             y = x W^T + b
//   b1.58(-median): xn = LayerNorm(x) (no gain, no bias: the LN sits before the activation
//                   quantizer, as in the authors' BitLinear), x~ = x_q / s_x per token
//                   (act_quant_q.h, numerator act_q = 128 as the authors' code or 127 as abacus),
//                   W~ = w_q / s_w per tensor (absmean or absmedian, src/quant/weight_quant.h),
//                   y = x~ W~^T + b
// Backward: straight-through estimator (each quantizer's Jacobian is the identity), then the
// LayerNorm backward. Inference (dense_int_forward): acc = int8_gemm_ref(x_q, w_q) exactly,
// y = float(acc) / (s_x[t] * s_w) + b; the bias stays high precision.
#pragma once
#include <cstdint>
#include <vector>

#include "src/model/config.h"

namespace abacus::families {

struct DenseSpec {
  int64_t in = 0, out = 0;
  Quant quant = Quant::fp;  // fp, b158, b158_median (b1 is not one of the paper's settings)
  float act_q = 128.f;      // 128 (authors' code) or 127 (abacus)
  bool bias = true;
  double ln_eps = 1e-5;
  bool quantized() const { return quant != Quant::fp; }
};

// What forward keeps for backward (caller-owned, sized rows, rows, rows*in, out*in).
template <class T>
struct DenseSaved {
  std::vector<T> mean, rstd, x_tilde, w_tilde;
};

// y [rows, out] from x [rows, in]; W [out, in]; b [out] (ignored when !spec.bias).
template <class T>
void dense_forward(const DenseSpec& s, T* y, const T* x, const T* W, const T* b, int64_t rows, DenseSaved<T>& saved);

// Accumulates dx [rows, in], dW, db (any may be null).
template <class T>
void dense_backward(const DenseSpec& s, T* dx, T* dW, T* db, const T* dy, const T* x, const T* W, int64_t rows,
                    const DenseSaved<T>& saved);

// One BitLinear call of the integer inference path, as a trace records it.
struct DenseRecord {
  int64_t T = 0, K = 0, N = 0;
  std::vector<int8_t> x_q, w_q;        // [T, K], [N, K]
  std::vector<float> x_scale, w_scale; // [T], [1]
  std::vector<int32_t> acc;            // [T, N]
  std::vector<float> y;                // [T, N] = acc / (x_scale * w_scale), before the bias
};

// Integer inference of a quantized layer: fills rec and writes y (+ bias) [rows, out].
void dense_int_forward(const DenseSpec& s, float* y, const float* x, const float* W, const float* b, int64_t rows,
                       DenseRecord* rec);

}  // namespace abacus::families
