// FFN non-linearities, element-wise over N values.
//   SwiGLU:     out = silu(gate) * up,       silu(a) = a / (1 + exp(-a))
//   ReLU^2-GLU: out = relu(gate)^2 * up      (2B4T)
//   GELU:       out = gelu(x), tanh approximation (GPT-2)
#pragma once
#include <cstdint>

namespace abacus::nn {

template <class T>
void swiglu_forward(T* out, const T* gate, const T* up, int64_t N);
template <class T>
void swiglu_backward(T* dgate, T* dup, const T* dout, const T* gate, const T* up, int64_t N);

template <class T>
void relu2_glu_forward(T* out, const T* gate, const T* up, int64_t N);
template <class T>
void relu2_glu_backward(T* dgate, T* dup, const T* dout, const T* gate, const T* up, int64_t N);

template <class T>
void gelu_forward(T* out, const T* inp, int64_t N);
template <class T>
void gelu_backward(T* dinp, const T* dout, const T* inp, int64_t N);

}  // namespace abacus::nn
