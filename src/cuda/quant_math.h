// Per-element arithmetic of the quantization kernels, shared by the device code and the CPU
// tests. Each function is the exact arithmetic of the core's reference (src/quant/*.cpp):
//   activations: s = 127 / max(amax, 1e-5), x_q = clamp(round_even(x * s), -128, 127)
//   shifted:     s = 127 / max(hi - lo, 1e-5), x_q = clamp(round_even((x - lo) * s), 0, 127)
//   ternary:     s = 1 / max(center, 1e-5),   w_q = clamp(round_even(w * s), -1, 1)
//   binary:      w_q = w > alpha ? 1 : -1,    s = 1 / max(beta, 1e-5)
// Packing follows src/quant/packing.h: code 00 = 0, 01 = +1, 11 = -1; weight k of a row sits in
// byte (k / 128) * 32 + k % 32 at bit pair (k % 128) / 32.
#pragma once
#include <cstdint>

#include "src/cuda/hd.h"

namespace abacus::cuda {

constexpr float kScaleEps = 1e-5f;  // same floor as src/quant/rounding.h

ABACUS_HD float act_scale_from_absmax(float amax) { return 127.0f / maxf(amax, kScaleEps); }
ABACUS_HD float act_scale_from_range(float lo, float hi) { return 127.0f / maxf(hi - lo, kScaleEps); }

ABACUS_HD int8_t quantize_act(float x, float s) {
  return int8_t(clampf(round_even(x * s), -128.0f, 127.0f));
}
ABACUS_HD int8_t quantize_act_shifted(float x, float lo, float s) {
  return int8_t(clampf(round_even((x - lo) * s), 0.0f, 127.0f));
}

ABACUS_HD float weight_scale_from_center(float center) { return 1.0f / maxf(center, kScaleEps); }
ABACUS_HD int8_t quantize_ternary(float w, float s) { return int8_t(clampf(round_even(w * s), -1.0f, 1.0f)); }
ABACUS_HD int8_t quantize_binary(float w, float alpha) { return w > alpha ? int8_t(1) : int8_t(-1); }

// Radix select of the median's center (|W| bits order like the floats, since they are >= 0):
// given the histogram of one 8-bit digit among the candidates, the digit holding the element of
// 0-based `rank`; rank becomes its rank within that digit's bucket. Four passes (bits 31..0)
// give the exact bit pattern of the lower median.
ABACUS_HD uint32_t radix_select_digit(const unsigned int* hist256, int64_t& rank) {
  uint32_t d = 0;
  for (; d < 255; ++d) {
    const int64_t c = hist256[d];
    if (rank < c) break;
    rank -= c;
  }
  return d;
}

// 2-bit codes. -1 -> 11, 0 -> 00, +1 -> 01: the code is the two low bits of the two's complement.
ABACUS_HD uint8_t ternary_code(int8_t w) { return uint8_t(uint8_t(w) & 3u); }
// 00 -> 0, 01 -> +1, 11 -> -1 (and the invalid 10 -> -2, which the CPU unpacker rejects): the
// sign-extended 2-bit field.
ABACUS_HD int8_t ternary_from_code(uint32_t code) { return int8_t(int32_t(code << 30) >> 30); }

ABACUS_HD int64_t ternary_row_bytes(int64_t K) { return 32 * ((K + 127) / 128); }
ABACUS_HD int64_t ternary_byte_of(int64_t k) { return (k / 128) * 32 + (k % 32); }
ABACUS_HD int ternary_shift_of(int64_t k) { return int(2 * ((k % 128) / 32)); }

// The byte holding weights k0, k0+32, k0+64, k0+96 (k0 % 128 < 32) of one block.
ABACUS_HD uint8_t pack4(int8_t w0, int8_t w1, int8_t w2, int8_t w3) {
  return uint8_t(ternary_code(w0) | (ternary_code(w1) << 2) | (ternary_code(w2) << 4) | (ternary_code(w3) << 6));
}
ABACUS_HD int8_t unpack_at(uint8_t byte, int i) { return ternary_from_code((uint32_t(byte) >> (2 * i)) & 3u); }

// Exact int32 dot product of an int8 activation row with one packed ternary weight row over the
// byte range [b0, b1) of that row (a thread's slice in the GEMV kernel, the whole row on the CPU).
// The contribution of packed byte b of a row: its four weights k0 + 32 i times x_q.
ABACUS_HD int32_t w2a8_byte_dot(const int8_t* x_q, uint8_t byte, int64_t b, int64_t K) {
  const int64_t k0 = (b / 32) * 128 + (b % 32);
  int32_t acc = 0;
  for (int i = 0; i < 4; ++i) {
    const int64_t k = k0 + 32 * i;
    if (k < K) acc += int32_t(x_q[k]) * int32_t(unpack_at(byte, i));
  }
  return acc;
}
ABACUS_HD int32_t w2a8_dot_bytes(const int8_t* x_q, const uint8_t* row, int64_t K, int64_t b0, int64_t b1) {
  int32_t acc = 0;
  for (int64_t b = b0; b < b1; ++b) acc += w2a8_byte_dot(x_q, row[b], b, K);
  return acc;
}
ABACUS_HD int32_t w2a8_dot_row(const int8_t* x_q, const uint8_t* row, int64_t K) {
  return w2a8_dot_bytes(x_q, row, K, 0, ternary_row_bytes(K));
}

// The rescale epilogue of BitLinear (src/nn/bitlinear.cpp): y = acc / (x_scale * w_scale), and
// for a shifted input y = (acc / x_scale + x_offset * row_sum(w_q)) / w_scale.
ABACUS_HD float rescale(int32_t acc, float x_scale, float w_scale) { return float(acc) / (x_scale * w_scale); }
ABACUS_HD float rescale_shifted(int32_t acc, float x_scale, float x_offset, int32_t w_row_sum, float w_scale) {
  return (float(acc) / x_scale + x_offset * float(w_row_sum)) / w_scale;
}

}  // namespace abacus::cuda
