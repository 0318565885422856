// Packed weight formats.
//
// Ternary, 2 bits per weight, 4 weights per byte. Weight code (also the RTL's 2-bit code):
//   00 = 0 (skip), 01 = +1, 11 = -1, 10 = invalid (rejected by unpack).
// Layout, chosen so a SIMD load of 32 bytes decodes with one shift+mask per 32 weights:
// each row of K weights is padded with zero codes to a multiple of 128 weights (row_bytes =
// 32 * ceil(K / 128)); in block b (32 bytes) byte j holds weights k = 128 b + j + 32 i at bits
// [2i, 2i+1], i = 0..3.
//
// Binary (b1), 1 bit per weight, 8 per byte: bit = 1 for +1, 0 for -1; weight k of a row at
// bit (k % 8) of byte k / 8; rows padded to whole bytes (row_bytes = ceil(K / 8)).
#pragma once
#include <cstdint>
#include <vector>

namespace abacus::quant {

constexpr uint8_t kCodeZero = 0b00, kCodePlus = 0b01, kCodeMinus = 0b11;

uint8_t ternary_code(int8_t w);  // Error unless w in {-1, 0, 1}
int8_t ternary_value(uint8_t code);  // Error on 10

struct PackedTernary {
  int64_t N = 0, K = 0, row_bytes = 0;
  std::vector<uint8_t> bytes;  // N * row_bytes
  const uint8_t* row(int64_t n) const { return bytes.data() + n * row_bytes; }
};

int64_t ternary_row_bytes(int64_t K);
PackedTernary pack_ternary(const int8_t* w_q, int64_t N, int64_t K);  // Error on values outside {-1,0,1}
void unpack_ternary(const PackedTernary& p, int8_t* w_q);             // Error on code 10

struct PackedBinary {
  int64_t N = 0, K = 0, row_bytes = 0;
  std::vector<uint8_t> bytes;
};

PackedBinary pack_binary(const int8_t* w_q, int64_t N, int64_t K);  // Error unless values in {-1, 1}
void unpack_binary(const PackedBinary& p, int8_t* w_q);

}  // namespace abacus::quant
