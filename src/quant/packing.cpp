#include "src/quant/packing.h"

#include <string>

#include "src/tensor/parallel.h"
#include "src/util/error.h"

namespace abacus::quant {

uint8_t ternary_code(int8_t w) {
  switch (w) {
    case 0: return kCodeZero;
    case 1: return kCodePlus;
    case -1: return kCodeMinus;
    default: fail("", "w_q", "ternary weight must be -1, 0 or 1, got " + std::to_string(int(w)));
  }
}

int8_t ternary_value(uint8_t code) {
  switch (code & 3) {
    case kCodeZero: return 0;
    case kCodePlus: return 1;
    case kCodeMinus: return -1;
    default: fail("", "packed weights", "invalid 2-bit weight code 10");
  }
}

int64_t ternary_row_bytes(int64_t K) { return 32 * ((K + 127) / 128); }

// Position of weight k of a row: byte (k/128)*32 + k%32, bit pair (k%128)/32.
static inline void ternary_position(int64_t k, int64_t& byte, int& shift) {
  byte = (k / 128) * 32 + (k % 32);
  shift = int(2 * ((k % 128) / 32));
}

PackedTernary pack_ternary(const int8_t* w_q, int64_t N, int64_t K) {
  for (int64_t i = 0; i < N * K; ++i)
    if (w_q[i] < -1 || w_q[i] > 1) ternary_code(w_q[i]);  // the Error naming the value
  PackedTernary p;
  p.N = N;
  p.K = K;
  p.row_bytes = ternary_row_bytes(K);
  p.bytes.assign(size_t(N * p.row_bytes), 0);
  // For w in {-1, 0, 1} the two's-complement low bits are the code: 0 -> 00, 1 -> 01, -1 -> 11.
  // Runs every training forward (the integer GEMM packs the freshly quantized weights).
  tensor::parallel_for(0, N, 16, [&](int64_t n0, int64_t n1) {
    for (int64_t n = n0; n < n1; ++n) {
      const int8_t* w = w_q + n * K;
      uint8_t* row = p.bytes.data() + n * p.row_bytes;
      for (int64_t k = 0; k < K; ++k) {
        int64_t byte;
        int shift;
        ternary_position(k, byte, shift);
        row[byte] = uint8_t(row[byte] | ((uint8_t(w[k]) & 3u) << shift));
      }
    }
  });
  return p;
}

void unpack_ternary(const PackedTernary& p, int8_t* w_q) {
  for (int64_t n = 0; n < p.N; ++n) {
    const uint8_t* row = p.row(n);
    for (int64_t k = 0; k < p.K; ++k) {
      int64_t byte;
      int shift;
      ternary_position(k, byte, shift);
      w_q[n * p.K + k] = ternary_value(uint8_t(row[byte] >> shift));
    }
  }
}

PackedBinary pack_binary(const int8_t* w_q, int64_t N, int64_t K) {
  PackedBinary p;
  p.N = N;
  p.K = K;
  p.row_bytes = (K + 7) / 8;
  p.bytes.assign(size_t(N * p.row_bytes), 0);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t k = 0; k < K; ++k) {
      const int8_t w = w_q[n * K + k];
      if (w != 1 && w != -1) fail("", "w_q", "binary weight must be -1 or 1, got " + std::to_string(int(w)));
      if (w == 1) p.bytes[size_t(n * p.row_bytes + k / 8)] |= uint8_t(1u << (k % 8));
    }
  return p;
}

void unpack_binary(const PackedBinary& p, int8_t* w_q) {
  for (int64_t n = 0; n < p.N; ++n)
    for (int64_t k = 0; k < p.K; ++k)
      w_q[n * p.K + k] = (p.bytes[size_t(n * p.row_bytes + k / 8)] >> (k % 8)) & 1 ? int8_t(1) : int8_t(-1);
}

}  // namespace abacus::quant
