#include "src/nn/residual.h"

#include "src/tensor/parallel.h"

namespace abacus::nn {

template <class T>
void residual_forward(T* out, const T* a, const T* b, int64_t N) {
  tensor::parallel_for(0, N, 1 << 15, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) out[i] = a[i] + b[i];
  });
}

template <class T>
void residual_backward(T* da, T* db, const T* dout, int64_t N) {
  tensor::parallel_for(0, N, 1 << 15, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) {
      if (da) da[i] += dout[i];
      if (db) db[i] += dout[i];
    }
  });
}

template void residual_forward<float>(float*, const float*, const float*, int64_t);
template void residual_forward<double>(double*, const double*, const double*, int64_t);
template void residual_backward<float>(float*, float*, const float*, int64_t);
template void residual_backward<double>(double*, double*, const double*, int64_t);

}  // namespace abacus::nn
