#include "src/nn/rmsnorm.h"

#include <cmath>
#include <vector>

#include "src/tensor/parallel.h"

namespace abacus::nn {

template <class T>
void rmsnorm_forward(T* out, T* rstd, const T* inp, const T* weight, int64_t rows, int64_t C, double eps) {
  tensor::parallel_for(0, rows, 16, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const T* x = inp + r * C;
      double ss = 0;
      for (int64_t c = 0; c < C; ++c) ss += double(x[c]) * double(x[c]);
      const T rs = T(1.0 / std::sqrt(ss / double(C) + eps));
      rstd[r] = rs;
      for (int64_t c = 0; c < C; ++c) out[r * C + c] = x[c] * rs * (weight ? weight[c] : T(1));
    }
  });
}

// y = x r g, r = (mean x^2 + eps)^-1/2:  dx = r (dy g) - x r^3 / C * sum(dy g x),  dg = sum_rows dy x r.
template <class T>
void rmsnorm_backward(T* dinp, T* dweight, const T* dout, const T* inp, const T* weight, const T* rstd, int64_t rows,
                      int64_t C) {
  if (dinp) {
    tensor::parallel_for(0, rows, 16, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const T* x = inp + r * C;
        const T* dy = dout + r * C;
        const T rs = rstd[r];
        double dot = 0;
        for (int64_t c = 0; c < C; ++c) dot += double(dy[c]) * double(weight ? weight[c] : T(1)) * double(x[c]);
        const T k = T(dot / double(C)) * rs * rs * rs;
        for (int64_t c = 0; c < C; ++c) dinp[r * C + c] += rs * dy[c] * (weight ? weight[c] : T(1)) - x[c] * k;
      }
    });
  }
  if (dweight) {
    for (int64_t r = 0; r < rows; ++r) {
      const T* x = inp + r * C;
      const T* dy = dout + r * C;
      const T rs = rstd[r];
      for (int64_t c = 0; c < C; ++c) dweight[c] += dy[c] * x[c] * rs;
    }
  }
}

template void rmsnorm_forward<float>(float*, float*, const float*, const float*, int64_t, int64_t, double);
template void rmsnorm_forward<double>(double*, double*, const double*, const double*, int64_t, int64_t, double);
template void rmsnorm_backward<float>(float*, float*, const float*, const float*, const float*, const float*,
                                      int64_t, int64_t);
template void rmsnorm_backward<double>(double*, double*, const double*, const double*, const double*, const double*,
                                       int64_t, int64_t);

}  // namespace abacus::nn
