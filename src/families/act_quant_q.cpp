#include "src/families/act_quant_q.h"

#include <algorithm>
#include <cmath>

#include "src/quant/rounding.h"
#include "src/util/error.h"

namespace abacus::families {

template <class T>
void quantize_rows_absmax(const T* x, int64_t rows, int64_t K, float q, int8_t* x_q, float* x_scale) {
  for (int64_t r = 0; r < rows; ++r) {
    const T* xr = x + r * K;
    float amax = 0.f;
    for (int64_t c = 0; c < K; ++c) amax = std::max(amax, std::fabs(float(xr[c])));
    const float s = q / std::max(amax, quant::kScaleEps);
    for (int64_t c = 0; c < K; ++c) {
      const float v = quant::round_half_even(float(xr[c]) * s);
      if (std::isnan(v)) fail("", "activations", "non-finite value reached the activation quantizer");
      x_q[r * K + c] = int8_t(std::clamp(v, -128.0f, 127.0f));
    }
    x_scale[r] = s;
  }
}

template void quantize_rows_absmax<float>(const float*, int64_t, int64_t, float, int8_t*, float*);
template void quantize_rows_absmax<double>(const double*, int64_t, int64_t, float, int8_t*, float*);

}  // namespace abacus::families
