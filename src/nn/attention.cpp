#include "src/nn/attention.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "src/tensor/parallel.h"
#include "src/util/error.h"

namespace abacus::nn {
namespace {

void check(const AttentionShape& s) {
  if (s.n_kv_head <= 0 || s.n_head % s.n_kv_head != 0)
    fail("", "num_key_value_heads", std::to_string(s.n_kv_head) + " must divide num_attention_heads " +
                                        std::to_string(s.n_head));
}

}  // namespace

template <class T>
void attention_forward(T* out, T* att, const T* q, const T* k, const T* v, const AttentionShape& s) {
  check(s);
  const int64_t Tn = s.T, H = s.n_head, KV = s.n_kv_head, hd = s.head_dim, group = H / KV;
  const T scale = T(1.0 / std::sqrt(double(hd)));
  tensor::parallel_for(0, s.B * H, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t bh = lo; bh < hi; ++bh) {
      const int64_t b = bh / H, h = bh % H, kvh = h / group;
      for (int64_t t = 0; t < Tn; ++t) {
        const T* qt = q + ((b * Tn + t) * H + h) * hd;
        T* a = att + (bh * Tn + t) * Tn;
        T mx = -INFINITY;
        for (int64_t t2 = 0; t2 <= t; ++t2) {
          const T* kt = k + ((b * Tn + t2) * KV + kvh) * hd;
          T d = 0;
          for (int64_t i = 0; i < hd; ++i) d += qt[i] * kt[i];
          a[t2] = d * scale;
          mx = std::max(mx, a[t2]);
        }
        T sum = 0;
        for (int64_t t2 = 0; t2 <= t; ++t2) {
          a[t2] = std::exp(a[t2] - mx);
          sum += a[t2];
        }
        const T inv = T(1) / sum;
        for (int64_t t2 = 0; t2 <= t; ++t2) a[t2] *= inv;
        for (int64_t t2 = t + 1; t2 < Tn; ++t2) a[t2] = 0;
        T* o = out + ((b * Tn + t) * H + h) * hd;
        for (int64_t i = 0; i < hd; ++i) o[i] = 0;
        for (int64_t t2 = 0; t2 <= t; ++t2) {
          const T* vt = v + ((b * Tn + t2) * KV + kvh) * hd;
          for (int64_t i = 0; i < hd; ++i) o[i] += a[t2] * vt[i];
        }
      }
    }
  });
}

template <class T>
void attention_backward(T* dq, T* dk, T* dv, const T* dout, const T* att, const T* q, const T* k, const T* v,
                        const AttentionShape& s) {
  check(s);
  const int64_t Tn = s.T, H = s.n_head, KV = s.n_kv_head, hd = s.head_dim, group = H / KV;
  const T scale = T(1.0 / std::sqrt(double(hd)));
  // One task per (batch, KV head): the query heads sharing a KV head write the same dk/dv rows.
  tensor::parallel_for(0, s.B * KV, 1, [&](int64_t lo, int64_t hi) {
    std::vector<T> datt(static_cast<size_t>(Tn));
    for (int64_t bk = lo; bk < hi; ++bk) {
      const int64_t b = bk / KV, kvh = bk % KV;
      for (int64_t h = kvh * group; h < (kvh + 1) * group; ++h)
        for (int64_t t = 0; t < Tn; ++t) {
          const T* a = att + ((b * H + h) * Tn + t) * Tn;
          const T* dot = dout + ((b * Tn + t) * H + h) * hd;
          const T* qt = q + ((b * Tn + t) * H + h) * hd;
          T* dqt = dq ? dq + ((b * Tn + t) * H + h) * hd : nullptr;
          T dsum = 0;
          for (int64_t t2 = 0; t2 <= t; ++t2) {
            const T* vt = v + ((b * Tn + t2) * KV + kvh) * hd;
            T d = 0;
            for (int64_t i = 0; i < hd; ++i) d += dot[i] * vt[i];
            datt[size_t(t2)] = d;
            dsum += d * a[t2];
            if (dv) {
              T* dvt = dv + ((b * Tn + t2) * KV + kvh) * hd;
              for (int64_t i = 0; i < hd; ++i) dvt[i] += a[t2] * dot[i];
            }
          }
          for (int64_t t2 = 0; t2 <= t; ++t2) {
            const T dpre = a[t2] * (datt[size_t(t2)] - dsum) * scale;
            const T* kt = k + ((b * Tn + t2) * KV + kvh) * hd;
            if (dqt)
              for (int64_t i = 0; i < hd; ++i) dqt[i] += dpre * kt[i];
            if (dk) {
              T* dkt = dk + ((b * Tn + t2) * KV + kvh) * hd;
              for (int64_t i = 0; i < hd; ++i) dkt[i] += dpre * qt[i];
            }
          }
        }
    }
  });
}

void attention_decode(float* out, const float* q, const float* k_cache, const float* v_cache, int64_t n_ctx,
                      int64_t n_head, int64_t n_kv_head, int64_t head_dim, float* scores) {
  check(AttentionShape{1, n_ctx, n_head, n_kv_head, head_dim});
  const int64_t group = n_head / n_kv_head, hd = head_dim;
  const float scale = float(1.0 / std::sqrt(double(hd)));
  for (int64_t h = 0; h < n_head; ++h) {
    const int64_t kvh = h / group;
    const float* qh = q + h * hd;
    float* a = scores + h * n_ctx;
    float mx = -INFINITY;
    for (int64_t t = 0; t < n_ctx; ++t) {
      const float* kt = k_cache + (t * n_kv_head + kvh) * hd;
      float d = 0;
      for (int64_t i = 0; i < hd; ++i) d += qh[i] * kt[i];
      a[t] = d * scale;
      mx = std::max(mx, a[t]);
    }
    float sum = 0;
    for (int64_t t = 0; t < n_ctx; ++t) {
      a[t] = std::exp(a[t] - mx);
      sum += a[t];
    }
    float* o = out + h * hd;
    for (int64_t i = 0; i < hd; ++i) o[i] = 0;
    for (int64_t t = 0; t < n_ctx; ++t) {
      const float w = a[t] / sum;
      const float* vt = v_cache + (t * n_kv_head + kvh) * hd;
      for (int64_t i = 0; i < hd; ++i) o[i] += w * vt[i];
    }
  }
}

template void attention_forward<float>(float*, float*, const float*, const float*, const float*,
                                       const AttentionShape&);
template void attention_forward<double>(double*, double*, const double*, const double*, const double*,
                                        const AttentionShape&);
template void attention_backward<float>(float*, float*, float*, const float*, const float*, const float*,
                                        const float*, const float*, const AttentionShape&);
template void attention_backward<double>(double*, double*, double*, const double*, const double*, const double*,
                                         const double*, const double*, const AttentionShape&);

}  // namespace abacus::nn
