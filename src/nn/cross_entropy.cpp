#include "src/nn/cross_entropy.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "src/tensor/parallel.h"
#include "src/util/error.h"

namespace abacus::nn {

template <class T>
double softmax_cross_entropy(T* losses, T* dlogits, const T* logits, const int32_t* targets, int64_t rows, int64_t V,
                             T dloss_scale) {
  for (int64_t r = 0; r < rows; ++r)
    if (targets[r] >= V)
      fail("", "target", std::to_string(targets[r]) + " is outside the vocabulary [0, " + std::to_string(V) + ")");
  std::vector<double> row_loss(static_cast<size_t>(rows), 0.0);
  tensor::parallel_for(0, rows, 4, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const T* z = logits + r * V;
      const int32_t y = targets[r];
      T mx = z[0];
      for (int64_t i = 1; i < V; ++i) mx = std::max(mx, z[i]);
      double sum = 0;
      for (int64_t i = 0; i < V; ++i) sum += std::exp(double(z[i] - mx));
      const double lse = double(mx) + std::log(sum);
      const double loss = y >= 0 ? lse - double(z[y]) : 0.0;
      row_loss[size_t(r)] = loss;
      if (losses) losses[r] = T(loss);
      if (dlogits) {
        T* d = dlogits + r * V;
        if (y < 0) {
          for (int64_t i = 0; i < V; ++i) d[i] = T(0);
        } else {
          for (int64_t i = 0; i < V; ++i) d[i] = T(std::exp(double(z[i]) - lse)) * dloss_scale;
          d[y] -= dloss_scale;
        }
      }
    }
  });
  double total = 0;
  for (double l : row_loss) total += l;
  return total;
}

template double softmax_cross_entropy<float>(float*, float*, const float*, const int32_t*, int64_t, int64_t, float);
template double softmax_cross_entropy<double>(double*, double*, const double*, const int32_t*, int64_t, int64_t,
                                              double);

}  // namespace abacus::nn
