#include "src/nn/rope.h"

#include <cmath>
#include <string>
#include <vector>

#include "src/util/error.h"

namespace abacus::nn {
namespace {

// sign = +1 rotates forward, -1 applies the inverse rotation (the backward).
template <class T>
void rotate(T* x, int64_t B, int64_t Tn, int64_t H, int64_t hd, int64_t pos0, double theta, double sign) {
  if (hd % 2 != 0) fail("", "head_dim", "RoPE needs an even head dimension, got " + std::to_string(hd));
  const int64_t half = hd / 2;
  std::vector<double> cs(static_cast<size_t>(Tn * half)), sn(static_cast<size_t>(Tn * half));
  for (int64_t t = 0; t < Tn; ++t)
    for (int64_t i = 0; i < half; ++i) {
      const double freq = std::pow(theta, -2.0 * double(i) / double(hd));
      const double a = double(pos0 + t) * freq;
      cs[size_t(t * half + i)] = std::cos(a);
      sn[size_t(t * half + i)] = sign * std::sin(a);
    }
  for (int64_t b = 0; b < B; ++b)
    for (int64_t t = 0; t < Tn; ++t)
      for (int64_t h = 0; h < H; ++h) {
        T* v = x + ((b * Tn + t) * H + h) * hd;
        for (int64_t i = 0; i < half; ++i) {
          const T c = T(cs[size_t(t * half + i)]), s = T(sn[size_t(t * half + i)]);
          const T a = v[i], bb = v[i + half];
          v[i] = a * c - bb * s;
          v[i + half] = bb * c + a * s;
        }
      }
}

}  // namespace

template <class T>
void rope_forward(T* x, int64_t B, int64_t Tn, int64_t n_heads, int64_t head_dim, int64_t pos0, double theta) {
  rotate(x, B, Tn, n_heads, head_dim, pos0, theta, 1.0);
}
template <class T>
void rope_backward(T* dx, int64_t B, int64_t Tn, int64_t n_heads, int64_t head_dim, int64_t pos0, double theta) {
  rotate(dx, B, Tn, n_heads, head_dim, pos0, theta, -1.0);
}

template void rope_forward<float>(float*, int64_t, int64_t, int64_t, int64_t, int64_t, double);
template void rope_forward<double>(double*, int64_t, int64_t, int64_t, int64_t, int64_t, double);
template void rope_backward<float>(float*, int64_t, int64_t, int64_t, int64_t, int64_t, double);
template void rope_backward<double>(double*, int64_t, int64_t, int64_t, int64_t, int64_t, double);

}  // namespace abacus::nn
