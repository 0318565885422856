#include "src/quant/weight_quant.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "src/quant/rounding.h"
#include "src/util/error.h"

namespace abacus::quant {

WeightQuant weight_quant_for(Quant q) {
  switch (q) {
    case Quant::b1: return WeightQuant::binary;
    case Quant::b158: return WeightQuant::ternary_absmean;
    case Quant::b158_median: return WeightQuant::ternary_absmedian;
    case Quant::fp: break;
  }
  fail("", "quant", "the fp mode has no weight quantizer");
}

namespace {

void check_groups(int64_t N, int64_t groups) {
  if (groups < 1 || N % groups != 0)
    fail("", "quant_groups", "weight groups " + std::to_string(groups) + " must divide the " +
                                 std::to_string(N) + " output rows");
}

}  // namespace

template <class T>
void quantize_weights(WeightQuant mode, const T* W, int64_t N, int64_t K, int64_t groups, int8_t* w_q,
                      float* w_scale) {
  check_groups(N, groups);
  const int64_t rows_per = N / groups, count = rows_per * K;
  std::vector<float> abs_vals;
  for (int64_t g = 0; g < groups; ++g) {
    const T* Wg = W + g * count;
    int8_t* qg = w_q + g * count;
    // Sums in double so the mean does not depend on the summation order's float rounding.
    double sum = 0, sum_abs = 0;
    for (int64_t i = 0; i < count; ++i) {
      const float v = float(Wg[i]);
      sum += v;
      sum_abs += std::fabs(v);
    }
    const float denom_count = float(std::max<int64_t>(count, 1));
    if (mode == WeightQuant::binary) {
      const float alpha = float(sum / denom_count);
      const float beta = float(sum_abs / denom_count);
      for (int64_t i = 0; i < count; ++i) qg[i] = float(Wg[i]) > alpha ? int8_t(1) : int8_t(-1);
      w_scale[g] = 1.0f / std::max(beta, kScaleEps);
      continue;
    }
    float center;
    if (mode == WeightQuant::ternary_absmean) {
      center = float(sum_abs / denom_count);
    } else {
      abs_vals.resize(size_t(count));
      for (int64_t i = 0; i < count; ++i) abs_vals[size_t(i)] = std::fabs(float(Wg[i]));
      // Lower median, as torch.median.
      center = 0.f;
      if (count > 0) {
        auto mid = abs_vals.begin() + (count - 1) / 2;
        std::nth_element(abs_vals.begin(), mid, abs_vals.end());
        center = *mid;
      }
    }
    const float s = 1.0f / std::max(center, kScaleEps);
    for (int64_t i = 0; i < count; ++i) {
      const float r = round_half_even(float(Wg[i]) * s);
      if (std::isnan(r)) fail("", "weights", "non-finite value reached the weight quantizer");
      qg[i] = int8_t(std::clamp(r, -1.0f, 1.0f));
    }
    w_scale[g] = s;
  }
}

template <class T>
void dequantize_weights(const int8_t* w_q, const float* w_scale, int64_t N, int64_t K, int64_t groups, T* W_deq) {
  check_groups(N, groups);
  const int64_t rows_per = N / groups;
  for (int64_t n = 0; n < N; ++n) {
    const float s = w_scale[n / rows_per];
    for (int64_t k = 0; k < K; ++k) W_deq[n * K + k] = T(float(w_q[n * K + k]) / s);
  }
}

template void quantize_weights<float>(WeightQuant, const float*, int64_t, int64_t, int64_t, int8_t*, float*);
template void quantize_weights<double>(WeightQuant, const double*, int64_t, int64_t, int64_t, int8_t*, float*);
template void dequantize_weights<float>(const int8_t*, const float*, int64_t, int64_t, int64_t, float*);
template void dequantize_weights<double>(const int8_t*, const float*, int64_t, int64_t, int64_t, double*);

}  // namespace abacus::quant
