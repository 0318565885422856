// Weight quantizers (exact reference, float arithmetic, half-to-even rounding; rounding.h).
// Scale convention everywhere in abacus: W ~= w_q / w_scale (divide by the scale).
//   b1:            alpha = mean(W_g), w_q = (W > alpha) ? +1 : -1, beta = mean|W_g|,
//                  w_scale = 1 / max(beta, eps)              (so W ~= w_q * beta)
//   b1.58:         w_scale = 1 / max(mean|W_g|, eps),  w_q = clamp(round(W * w_scale), -1, 1)
//   b1.58-median:  as b1.58 with median|W_g| (lower median of an even count, like torch.median)
// Groups: W is [N, K] row-major (out x in); `groups` G splits the N output rows into G equal
// contiguous blocks (N % G == 0), each with its own alpha/beta/scale; w_scale has G entries.
// Splitting along N keeps one int32 accumulator per output, rescaled once (column-parallel).
#pragma once
#include <cstdint>

#include "src/model/config.h"

namespace abacus::quant {

enum class WeightQuant { binary, ternary_absmean, ternary_absmedian };

// b1 -> binary, b1.58 -> ternary_absmean, b1.58-median -> ternary_absmedian; fp -> Error.
WeightQuant weight_quant_for(Quant q);

// w_q [N*K] int8, w_scale [groups]. Input T is float or double (quantized in float).
template <class T>
void quantize_weights(WeightQuant mode, const T* W, int64_t N, int64_t K, int64_t groups,
                      int8_t* w_q, float* w_scale);

// W_deq[N*K] = w_q / w_scale[group of row] (what training uses in the forward, STE).
template <class T>
void dequantize_weights(const int8_t* w_q, const float* w_scale, int64_t N, int64_t K,
                        int64_t groups, T* W_deq);

}  // namespace abacus::quant
