// Accumulator arithmetic of the processing element, shared by the RTL harness, the SystemC
// model and the overflow counter (header-only: sim/verilator links no simulator library).
//
// Semantics (rtl/acc_unit.v, README "PE comparison"): for every output the PE forms the exact
// partial sum of one K_T-wide chunk of K (chunks in order k = 0, K_T, 2 K_T, ...) and adds it
// into an acc_bits-wide accumulator; "wrap" keeps the sum modulo 2^acc_bits (two's
// complement), "saturate" clamps it to [-2^(acc_bits-1), 2^(acc_bits-1) - 1] after each add.
// With acc_bits = 32 and wrap this is int8_gemm_ref's wrapping int32 sum.
#pragma once
#include <algorithm>
#include <cstdint>

namespace abacus::sim {

enum class AccOverflow { wrap, saturate };  // "wrap", "saturate"

inline int64_t acc_min(int bits) { return -(int64_t(1) << (bits - 1)); }
inline int64_t acc_max(int bits) { return (int64_t(1) << (bits - 1)) - 1; }

// acc (in range) + part, reduced to `bits` bits; *overflowed is set when the exact sum left the range.
inline int64_t acc_add(int64_t acc, int64_t part, int bits, AccOverflow mode, bool* overflowed = nullptr) {
  const int64_t exact = acc + part;
  const bool out = exact < acc_min(bits) || exact > acc_max(bits);
  if (overflowed) *overflowed = out;
  if (!out) return exact;
  if (mode == AccOverflow::saturate) return exact < 0 ? acc_min(bits) : acc_max(bits);
  const uint64_t m = (uint64_t(1) << bits) - 1;
  const uint64_t u = uint64_t(exact) & m;
  return (u >> (bits - 1)) ? int64_t(u) - (int64_t(1) << bits) : int64_t(u);
}

// Reference GEMM with the PE's accumulator: x [T, K] int8 · w [N, K] int8 -> acc [T, N];
// returns the number of chunk additions that overflowed.
inline int64_t acc_gemm_ref(const int8_t* x, const int8_t* w, int32_t* acc, int64_t T, int64_t K, int64_t N, int k_t,
                            int bits, AccOverflow mode) {
  int64_t overflows = 0;
  for (int64_t t = 0; t < T; ++t)
    for (int64_t n = 0; n < N; ++n) {
      int64_t a = 0;
      for (int64_t k0 = 0; k0 < K; k0 += k_t) {
        int64_t part = 0;
        for (int64_t k = k0; k < std::min<int64_t>(K, k0 + k_t); ++k) part += int64_t(x[t * K + k]) * w[n * K + k];
        bool o = false;
        a = acc_add(a, part, bits, mode, &o);
        overflows += o;
      }
      acc[t * N + n] = int32_t(a);
    }
  return overflows;
}

}  // namespace abacus::sim
