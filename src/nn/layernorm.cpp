#include "src/nn/layernorm.h"

#include <cmath>

#include "src/tensor/parallel.h"

namespace abacus::nn {

template <class T>
void layernorm_forward(T* out, T* mean, T* rstd, const T* inp, const T* weight, const T* bias, int64_t rows,
                       int64_t C, double eps) {
  tensor::parallel_for(0, rows, 16, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const T* x = inp + r * C;
      double m = 0;
      for (int64_t c = 0; c < C; ++c) m += double(x[c]);
      m /= double(C);
      double v = 0;
      for (int64_t c = 0; c < C; ++c) v += (double(x[c]) - m) * (double(x[c]) - m);
      v /= double(C);
      const T rs = T(1.0 / std::sqrt(v + eps));
      mean[r] = T(m);
      rstd[r] = rs;
      for (int64_t c = 0; c < C; ++c) {
        T n = (x[c] - T(m)) * rs;
        if (weight) n *= weight[c];
        if (bias) n += bias[c];
        out[r * C + c] = n;
      }
    }
  });
}

// xhat = (x - m) r; with g = dy * weight: dx = r (g - mean(g) - xhat mean(g xhat)).
template <class T>
void layernorm_backward(T* dinp, T* dweight, T* dbias, const T* dout, const T* inp, const T* weight, const T* mean,
                        const T* rstd, int64_t rows, int64_t C) {
  if (dinp) {
    tensor::parallel_for(0, rows, 16, [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const T* x = inp + r * C;
        const T* dy = dout + r * C;
        const T m = mean[r], rs = rstd[r];
        double gm = 0, gxm = 0;
        for (int64_t c = 0; c < C; ++c) {
          const double g = double(dy[c]) * double(weight ? weight[c] : T(1));
          gm += g;
          gxm += g * double((x[c] - m) * rs);
        }
        gm /= double(C);
        gxm /= double(C);
        for (int64_t c = 0; c < C; ++c) {
          const T g = dy[c] * (weight ? weight[c] : T(1));
          const T xhat = (x[c] - m) * rs;
          dinp[r * C + c] += rs * (g - T(gm) - xhat * T(gxm));
        }
      }
    });
  }
  if (dweight || dbias) {
    for (int64_t r = 0; r < rows; ++r) {
      const T* x = inp + r * C;
      const T* dy = dout + r * C;
      for (int64_t c = 0; c < C; ++c) {
        if (dweight) dweight[c] += dy[c] * (x[c] - mean[r]) * rstd[r];
        if (dbias) dbias[c] += dy[c];
      }
    }
  }
}

template void layernorm_forward<float>(float*, float*, float*, const float*, const float*, const float*, int64_t,
                                       int64_t, double);
template void layernorm_forward<double>(double*, double*, double*, const double*, const double*, const double*,
                                        int64_t, int64_t, double);
template void layernorm_backward<float>(float*, float*, float*, const float*, const float*, const float*,
                                        const float*, const float*, int64_t, int64_t);
template void layernorm_backward<double>(double*, double*, double*, const double*, const double*, const double*,
                                         const double*, const double*, int64_t, int64_t);

}  // namespace abacus::nn
