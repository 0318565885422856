#include "src/quant/act_quant.h"

#include <algorithm>
#include <cmath>

#include "src/quant/rounding.h"
#include "src/util/error.h"

namespace abacus::quant {
namespace {

// Clamp and convert; a NaN (a diverged activation) is an error, not undefined behaviour.
int8_t to_int8(float r, float lo, float hi) {
  if (std::isnan(r)) fail("", "activations", "non-finite value reached the activation quantizer");
  return int8_t(std::clamp(r, lo, hi));
}

template <class F>
void for_each_scope(ActScope scope, int64_t rows, int64_t K, int64_t groups, F&& f) {
  // f(scope_index, first_row, n_rows, col0, n_cols)
  switch (scope) {
    case ActScope::per_tensor: f(int64_t(0), int64_t(0), rows, int64_t(0), K); return;
    case ActScope::per_token:
      for (int64_t r = 0; r < rows; ++r) f(r, r, int64_t(1), int64_t(0), K);
      return;
    case ActScope::per_group: {
      if (groups < 1 || K % groups != 0)
        fail("", "quant_groups", "activation groups " + std::to_string(groups) + " must divide K = " + std::to_string(K));
      const int64_t w = K / groups;
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t g = 0; g < groups; ++g) f(r * groups + g, r, int64_t(1), g * w, w);
      return;
    }
  }
}

}  // namespace

int64_t act_scale_count(ActScope scope, int64_t rows, int64_t groups) {
  switch (scope) {
    case ActScope::per_tensor: return 1;
    case ActScope::per_token: return rows;
    case ActScope::per_group: return rows * groups;
  }
  return 0;
}

template <class T>
void quantize_activations(ActScope scope, const T* x, int64_t rows, int64_t K, int64_t groups, int8_t* x_q,
                          float* x_scale) {
  for_each_scope(scope, rows, K, groups, [&](int64_t si, int64_t r0, int64_t nr, int64_t c0, int64_t nc) {
    float amax = 0.f;
    for (int64_t r = r0; r < r0 + nr; ++r)
      for (int64_t c = c0; c < c0 + nc; ++c) amax = std::max(amax, std::fabs(float(x[r * K + c])));
    const float s = 127.0f / std::max(amax, kScaleEps);
    for (int64_t r = r0; r < r0 + nr; ++r)
      for (int64_t c = c0; c < c0 + nc; ++c)
        x_q[r * K + c] = to_int8(round_half_even(float(x[r * K + c]) * s), -128.0f, 127.0f);
    x_scale[si] = s;
  });
}

template <class T>
void quantize_activations_shifted(ActScope scope, const T* x, int64_t rows, int64_t K, int64_t groups, int8_t* x_q,
                                  float* x_scale, float* x_offset) {
  for_each_scope(scope, rows, K, groups, [&](int64_t si, int64_t r0, int64_t nr, int64_t c0, int64_t nc) {
    float lo = 0.f, hi = 0.f;
    bool first = true;
    for (int64_t r = r0; r < r0 + nr; ++r)
      for (int64_t c = c0; c < c0 + nc; ++c) {
        const float v = float(x[r * K + c]);
        lo = first ? v : std::min(lo, v);
        hi = first ? v : std::max(hi, v);
        first = false;
      }
    const float s = 127.0f / std::max(hi - lo, kScaleEps);
    for (int64_t r = r0; r < r0 + nr; ++r)
      for (int64_t c = c0; c < c0 + nc; ++c)
        x_q[r * K + c] = to_int8(round_half_even((float(x[r * K + c]) - lo) * s), 0.0f, 127.0f);
    x_scale[si] = s;
    x_offset[si] = lo;
  });
}

template <class T>
void dequantize_activations(ActScope scope, const int8_t* x_q, const float* x_scale, const float* x_offset,
                            int64_t rows, int64_t K, int64_t groups, T* x_deq) {
  for_each_scope(scope, rows, K, groups, [&](int64_t si, int64_t r0, int64_t nr, int64_t c0, int64_t nc) {
    const float s = x_scale[si];
    const float off = x_offset ? x_offset[si] : 0.f;
    for (int64_t r = r0; r < r0 + nr; ++r)
      for (int64_t c = c0; c < c0 + nc; ++c) {
        const float v = float(x_q[r * K + c]) / s;
        x_deq[r * K + c] = T(x_offset ? v + off : v);
      }
  });
}

#define ABACUS_INSTANTIATE(T)                                                                                   \
  template void quantize_activations<T>(ActScope, const T*, int64_t, int64_t, int64_t, int8_t*, float*);         \
  template void quantize_activations_shifted<T>(ActScope, const T*, int64_t, int64_t, int64_t, int8_t*, float*,  \
                                                float*);                                                         \
  template void dequantize_activations<T>(ActScope, const int8_t*, const float*, const float*, int64_t, int64_t, \
                                          int64_t, T*);
ABACUS_INSTANTIATE(float)
ABACUS_INSTANTIATE(double)
#undef ABACUS_INSTANTIATE

}  // namespace abacus::quant
