// RMSNorm: out = x * rstd * weight, rstd = 1 / sqrt(mean(x^2) + eps). weight may be null (no gain).
#pragma once
#include <cstdint>

namespace abacus::nn {

// inp/out [rows, C]; rstd [rows] saved for backward.
template <class T>
void rmsnorm_forward(T* out, T* rstd, const T* inp, const T* weight, int64_t rows, int64_t C, double eps);

// dinp += ..., dweight += ... (either may be null).
template <class T>
void rmsnorm_backward(T* dinp, T* dweight, const T* dout, const T* inp, const T* weight, const T* rstd,
                      int64_t rows, int64_t C);

}  // namespace abacus::nn
