#include "src/io/hf_ternary_packing.h"

#include <string>

#include "src/util/error.h"

namespace abacus::io {

std::vector<uint8_t> pack_hf_ternary(const int8_t* w_q, int64_t N, int64_t K) {
  if (N % kHfValuesPerByte != 0)
    fail("", "weights", "HF ternary packing needs the output count (" + std::to_string(N) + ") divisible by 4");
  const int64_t rows = N / kHfValuesPerByte;
  std::vector<uint8_t> packed(std::size_t(rows * K), 0);
  for (int64_t i = 0; i < kHfValuesPerByte; ++i)
    for (int64_t r = 0; r < rows; ++r) {
      const int8_t* src = w_q + (i * rows + r) * K;
      uint8_t* dst = packed.data() + r * K;
      for (int64_t k = 0; k < K; ++k) {
        const int v = src[k];
        if (v < -1 || v > 1)
          fail("", "weights", "value " + std::to_string(v) + " at [" + std::to_string(i * rows + r) + ", " +
                                  std::to_string(k) + "] is not ternary");
        dst[k] = uint8_t(dst[k] | uint8_t((v + 1) << (2 * i)));
      }
    }
  return packed;
}

int64_t unpack_hf_ternary(const uint8_t* packed, int64_t N, int64_t K, int8_t* w_q) {
  const int64_t rows = N / kHfValuesPerByte;
  for (int64_t r = 0; r < rows; ++r) {
    const uint8_t* src = packed + r * K;
    for (int64_t k = 0; k < K; ++k) {
      const uint8_t b = src[k];
      for (int64_t i = 0; i < kHfValuesPerByte; ++i) {
        const int code = (b >> (2 * i)) & 3;
        if (code == 3) return r * K + k;
        w_q[(i * rows + r) * K + k] = int8_t(code - 1);
      }
    }
  }
  return -1;
}

}  // namespace abacus::io
