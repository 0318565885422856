// Per-token absmax activation quantizer with a choosable numerator Q (the families' BitLinear).
//   s = Q / max(max|x_row|, 1e-5),  x_q = clamp(round_half_even(x * s), -128, 127),  x ~= x_q / s
// Q = 127 is abacus's convention (src/quant/act_quant.h; bit-exact with quantize_activations
// per_token, tested). Q = 128 is the bottom-up paper's code (Q_b = 2^(b-1)): the row's absmax
// maps to 128 and clamps to 127 on the positive side, so the largest positive value loses
// 1/128 while every other value gets a 128/127 finer grid.
#pragma once
#include <cstdint>

namespace abacus::families {

template <class T>
void quantize_rows_absmax(const T* x, int64_t rows, int64_t K, float q, int8_t* x_q, float* x_scale);

}  // namespace abacus::families
