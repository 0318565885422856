#include "src/quant/int_gemm.h"

namespace abacus::quant {

void int8_gemm_ref(const int8_t* x_q, const int8_t* w_q, int32_t* acc, int64_t T, int64_t K, int64_t N) {
  for (int64_t t = 0; t < T; ++t)
    for (int64_t n = 0; n < N; ++n) {
      // |sum| <= K * 128 * 1 fits int32 for K < 2^24; products widen before adding.
      int32_t s = 0;
      const int8_t* x = x_q + t * K;
      const int8_t* w = w_q + n * K;
      for (int64_t k = 0; k < K; ++k) s += int32_t(x[k]) * int32_t(w[k]);
      acc[t * N + n] = s;
    }
}

}  // namespace abacus::quant
