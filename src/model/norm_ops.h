// The model-level norm (pre-norms and final norm of a block): LayerNorm or RMSNorm by config,
// a gain and no bias. mean is unused for RMSNorm.
#pragma once
#include <cstdint>

#include "src/model/config.h"
#include "src/nn/layernorm.h"
#include "src/nn/rmsnorm.h"

namespace abacus::model {

template <class T>
void norm_forward(NormKind kind, T* out, T* mean, T* rstd, const T* x, const T* w, int64_t rows, int64_t C,
                  double eps) {
  if (kind == NormKind::layernorm)
    nn::layernorm_forward(out, mean, rstd, x, w, static_cast<const T*>(nullptr), rows, C, eps);
  else
    nn::rmsnorm_forward(out, rstd, x, w, rows, C, eps);
}

// Accumulates into dx and dw.
template <class T>
void norm_backward(NormKind kind, T* dx, T* dw, const T* dout, const T* x, const T* w, const T* mean, const T* rstd,
                   int64_t rows, int64_t C) {
  if (kind == NormKind::layernorm)
    nn::layernorm_backward(dx, dw, static_cast<T*>(nullptr), dout, x, w, mean, rstd, rows, C);
  else
    nn::rmsnorm_backward(dx, dw, dout, x, w, rstd, rows, C);
}

}  // namespace abacus::model
