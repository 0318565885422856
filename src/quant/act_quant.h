// Activation quantizers, absmax to int8 (exact reference, float arithmetic, half to even).
// Scale convention: x ~= x_q / x_scale.
//   s = 127 / max(max|x|, 1e-5),  x_q = clamp(round(x * s), -128, 127)
// over a scope: the whole tensor (b1 training), one token row (b1.58, all inference), or
// one of G contiguous groups of K/G columns within a token row (K % G == 0).
//
// Shifted form (b1, inputs of non-linearities), per scope:
//   eta = min(x),  s = 127 / max(max(x) - eta, 1e-5),  x_q = clamp(round((x - eta) * s), 0, 127)
//   x ~= x_q / s + eta   (x_offset = eta).
// The paper writes (x - eta) * Q_b / gamma with gamma = max|x|; x - eta spans up to 2 gamma,
// so that form clips. We scale by the actual range (max - min) so nothing clips; stated.
#pragma once
#include <cstdint>

namespace abacus::quant {

enum class ActScope { per_tensor, per_token, per_group };

// Number of scales produced: 1, rows, or rows * groups.
int64_t act_scale_count(ActScope scope, int64_t rows, int64_t groups);

// x [rows, K] -> x_q [rows, K], x_scale [act_scale_count]. `groups` is used by per_group only.
template <class T>
void quantize_activations(ActScope scope, const T* x, int64_t rows, int64_t K, int64_t groups,
                          int8_t* x_q, float* x_scale);

// Shifted [0, 127] form; x_offset has the same count as x_scale.
template <class T>
void quantize_activations_shifted(ActScope scope, const T* x, int64_t rows, int64_t K,
                                  int64_t groups, int8_t* x_q, float* x_scale, float* x_offset);

// x_deq = x_q / x_scale (+ x_offset when non-null), same scope layout as the quantizer.
template <class T>
void dequantize_activations(ActScope scope, const int8_t* x_q, const float* x_scale,
                            const float* x_offset, int64_t rows, int64_t K, int64_t groups,
                            T* x_deq);

}  // namespace abacus::quant
