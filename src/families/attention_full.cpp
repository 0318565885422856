#include "src/families/attention_full.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "src/util/error.h"

namespace abacus::families {

template <class T>
void attn_forward(T* out, T* att, const T* q, const T* k, const T* v, const T* bias, const AttnShape& s) {
  if (s.causal && s.Tq != s.Tk) fail("", "attention", "causal attention needs Tq == Tk");
  const T scale = T(1) / std::sqrt(T(s.hd));
  const int64_t qs = s.H * s.hd;
  for (int64_t b = 0; b < s.B; ++b)
    for (int64_t h = 0; h < s.H; ++h)
      for (int64_t i = 0; i < s.Tq; ++i) {
        const T* qi = q + (b * s.Tq + i) * qs + h * s.hd;
        T* a = att + ((b * s.H + h) * s.Tq + i) * s.Tk;
        const int64_t nk = s.causal ? i + 1 : s.Tk;
        T mx = -std::numeric_limits<T>::infinity();
        for (int64_t j = 0; j < nk; ++j) {
          const T* kj = k + (b * s.Tk + j) * qs + h * s.hd;
          T d = 0;
          for (int64_t c = 0; c < s.hd; ++c) d += qi[c] * kj[c];
          d = d * scale + (bias ? bias[(h * s.Tq + i) * s.Tk + j] : T(0));
          a[j] = d;
          mx = std::max(mx, d);
        }
        T sum = 0;
        for (int64_t j = 0; j < nk; ++j) sum += (a[j] = std::exp(a[j] - mx));
        for (int64_t j = 0; j < nk; ++j) a[j] /= sum;
        for (int64_t j = nk; j < s.Tk; ++j) a[j] = 0;
        T* o = out + (b * s.Tq + i) * qs + h * s.hd;
        for (int64_t c = 0; c < s.hd; ++c) o[c] = 0;
        for (int64_t j = 0; j < nk; ++j) {
          const T* vj = v + (b * s.Tk + j) * qs + h * s.hd;
          for (int64_t c = 0; c < s.hd; ++c) o[c] += a[j] * vj[c];
        }
      }
}

template <class T>
void attn_backward(T* dq, T* dk, T* dv, T* dbias, const T* dout, const T* att, const T* q, const T* k, const T* v,
                   const AttnShape& s) {
  const T scale = T(1) / std::sqrt(T(s.hd));
  const int64_t qs = s.H * s.hd;
  std::vector<T> da(size_t(s.Tk));
  for (int64_t b = 0; b < s.B; ++b)
    for (int64_t h = 0; h < s.H; ++h)
      for (int64_t i = 0; i < s.Tq; ++i) {
        const T* a = att + ((b * s.H + h) * s.Tq + i) * s.Tk;
        const T* go = dout + (b * s.Tq + i) * qs + h * s.hd;
        const int64_t nk = s.causal ? i + 1 : s.Tk;
        T dot = 0;
        for (int64_t j = 0; j < nk; ++j) {
          const T* vj = v + (b * s.Tk + j) * qs + h * s.hd;
          T* dvj = dv + (b * s.Tk + j) * qs + h * s.hd;
          T g = 0;
          for (int64_t c = 0; c < s.hd; ++c) {
            g += go[c] * vj[c];
            dvj[c] += a[j] * go[c];
          }
          da[size_t(j)] = g;
          dot += g * a[j];
        }
        const T* qi = q + (b * s.Tq + i) * qs + h * s.hd;
        T* dqi = dq + (b * s.Tq + i) * qs + h * s.hd;
        for (int64_t j = 0; j < nk; ++j) {
          const T ds = a[j] * (da[size_t(j)] - dot);  // softmax backward
          if (dbias) dbias[(h * s.Tq + i) * s.Tk + j] += ds;
          const T* kj = k + (b * s.Tk + j) * qs + h * s.hd;
          T* dkj = dk + (b * s.Tk + j) * qs + h * s.hd;
          for (int64_t c = 0; c < s.hd; ++c) {
            dqi[c] += ds * scale * kj[c];
            dkj[c] += ds * scale * qi[c];
          }
        }
      }
}

template void attn_forward<float>(float*, float*, const float*, const float*, const float*, const float*,
                                  const AttnShape&);
template void attn_forward<double>(double*, double*, const double*, const double*, const double*, const double*,
                                   const AttnShape&);
template void attn_backward<float>(float*, float*, float*, float*, const float*, const float*, const float*,
                                   const float*, const float*, const AttnShape&);
template void attn_backward<double>(double*, double*, double*, double*, const double*, const double*, const double*,
                                    const double*, const double*, const AttnShape&);

}  // namespace abacus::families
