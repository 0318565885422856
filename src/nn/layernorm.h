// LayerNorm: out = (x - mean) * rstd * weight + bias, rstd = 1 / sqrt(var + eps) (biased var).
// weight and bias may be null (no gain / no bias).
#pragma once
#include <cstdint>

namespace abacus::nn {

// inp/out [rows, C]; mean, rstd [rows] saved for backward.
template <class T>
void layernorm_forward(T* out, T* mean, T* rstd, const T* inp, const T* weight, const T* bias,
                       int64_t rows, int64_t C, double eps);

template <class T>
void layernorm_backward(T* dinp, T* dweight, T* dbias, const T* dout, const T* inp, const T* weight,
                        const T* mean, const T* rstd, int64_t rows, int64_t C);

}  // namespace abacus::nn
