// The 2-bit ternary packing of Hugging Face's BitNet integration (the packed release of
// microsoft/bitnet-b1.58-2B-4T): a ternary matrix W [N, K] (N outputs, K inputs) is stored as
// uint8 [N / 4, K]; byte [r, k] holds W[r + i * N/4, k] + 1 at bits [2i, 2i+1], i = 0..3
// (codes 0, 1, 2 for -1, 0, +1; code 3 is invalid). So the four values of a byte come from
// four blocks of N/4 output rows, not from neighbouring weights. This differs from abacus's own
// packing (src/quant/packing.h, blocked along K for the SIMD kernel); both are exact.
#pragma once
#include <cstdint>
#include <vector>

namespace abacus::io {

inline constexpr int64_t kHfValuesPerByte = 4;

// w_q [N*K] in {-1, 0, 1}, N % 4 == 0 (Error otherwise) -> packed [N/4 * K].
std::vector<uint8_t> pack_hf_ternary(const int8_t* w_q, int64_t N, int64_t K);

// packed [N/4 * K] -> w_q [N*K]. Returns -1, or the flat index (into packed) of the first byte
// holding the invalid code 3, leaving w_q unspecified.
int64_t unpack_hf_ternary(const uint8_t* packed, int64_t N, int64_t K, int8_t* w_q);

}  // namespace abacus::io
