#include "src/nn/activations.h"

#include <cmath>

#include "src/tensor/parallel.h"

namespace abacus::nn {
namespace {

constexpr int64_t kGrain = 1 << 14;

template <class F>
void elementwise(int64_t N, F&& f) {
  tensor::parallel_for(0, N, kGrain, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) f(i);
  });
}

template <class T>
T sigmoid(T a) { return T(1) / (T(1) + std::exp(-a)); }

}  // namespace

template <class T>
void swiglu_forward(T* out, const T* gate, const T* up, int64_t N) {
  elementwise(N, [&](int64_t i) { out[i] = gate[i] * sigmoid(gate[i]) * up[i]; });
}
// d silu(a)/da = s (1 + a (1 - s)), s = sigmoid(a)
template <class T>
void swiglu_backward(T* dgate, T* dup, const T* dout, const T* gate, const T* up, int64_t N) {
  elementwise(N, [&](int64_t i) {
    const T a = gate[i], s = sigmoid(a);
    if (dgate) dgate[i] += dout[i] * up[i] * s * (T(1) + a * (T(1) - s));
    if (dup) dup[i] += dout[i] * a * s;
  });
}

template <class T>
void relu2_glu_forward(T* out, const T* gate, const T* up, int64_t N) {
  elementwise(N, [&](int64_t i) {
    const T r = gate[i] > T(0) ? gate[i] : T(0);
    out[i] = r * r * up[i];
  });
}
template <class T>
void relu2_glu_backward(T* dgate, T* dup, const T* dout, const T* gate, const T* up, int64_t N) {
  elementwise(N, [&](int64_t i) {
    const T r = gate[i] > T(0) ? gate[i] : T(0);
    if (dgate) dgate[i] += dout[i] * up[i] * T(2) * r;
    if (dup) dup[i] += dout[i] * r * r;
  });
}

// gelu(x) = 0.5 x (1 + tanh(c (x + 0.044715 x^3))), c = sqrt(2/pi)
template <class T>
void gelu_forward(T* out, const T* inp, int64_t N) {
  const T c = T(0.7978845608028654);
  elementwise(N, [&](int64_t i) {
    const T x = inp[i];
    out[i] = T(0.5) * x * (T(1) + std::tanh(c * (x + T(0.044715) * x * x * x)));
  });
}
template <class T>
void gelu_backward(T* dinp, const T* dout, const T* inp, int64_t N) {
  const T c = T(0.7978845608028654);
  elementwise(N, [&](int64_t i) {
    const T x = inp[i];
    const T u = c * (x + T(0.044715) * x * x * x);
    const T th = std::tanh(u);
    const T sech2 = T(1) - th * th;
    const T d = T(0.5) * (T(1) + th) + T(0.5) * x * sech2 * c * (T(1) + T(3) * T(0.044715) * x * x);
    dinp[i] += dout[i] * d;
  });
}

#define ABACUS_INSTANTIATE(T)                                                                  \
  template void swiglu_forward<T>(T*, const T*, const T*, int64_t);                            \
  template void swiglu_backward<T>(T*, T*, const T*, const T*, const T*, int64_t);             \
  template void relu2_glu_forward<T>(T*, const T*, const T*, int64_t);                         \
  template void relu2_glu_backward<T>(T*, T*, const T*, const T*, const T*, int64_t);          \
  template void gelu_forward<T>(T*, const T*, int64_t);                                        \
  template void gelu_backward<T>(T*, const T*, const T*, int64_t);
ABACUS_INSTANTIATE(float)
ABACUS_INSTANTIATE(double)
#undef ABACUS_INSTANTIATE

}  // namespace abacus::nn
