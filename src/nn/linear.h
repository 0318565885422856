// The full-precision Linear of the fp baselines: y = x W^T (+ b). Thin names over
// tensor::matmul_forward/backward so models read as layers.
#pragma once
#include "src/tensor/matmul.h"

namespace abacus::nn {

template <class T>
inline void linear_forward(T* y, const T* x, const T* W, const T* bias, int64_t rows, int64_t K, int64_t N) {
  tensor::matmul_forward(y, x, W, bias, rows, K, N);
}
template <class T>
inline void linear_backward(T* dx, T* dW, T* dbias, const T* dy, const T* x, const T* W, int64_t rows,
                            int64_t K, int64_t N) {
  tensor::matmul_backward(dx, dW, dbias, dy, x, W, rows, K, N);
}

}  // namespace abacus::nn
