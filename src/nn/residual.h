// Residual stream adds: out = a + b; backward adds dout to da and db.
#pragma once
#include <cstdint>

namespace abacus::nn {

template <class T>
void residual_forward(T* out, const T* a, const T* b, int64_t N);
template <class T>
void residual_backward(T* da, T* db, const T* dout, int64_t N);

}  // namespace abacus::nn
