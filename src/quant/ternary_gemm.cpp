#include "src/quant/ternary_gemm.h"

#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "src/tensor/parallel.h"
#include "src/util/error.h"

namespace abacus::quant {

bool cpu_has_avx2() {
#if defined(__x86_64__) || defined(__i386__)
  return __builtin_cpu_supports("avx2");
#else
  return false;
#endif
}

namespace {

// Decodes one 2-bit code to its weight: 00 -> 0, 01 -> +1, 11 -> -1. Code 10 is never
// produced by pack_ternary; it decodes as 0 here and in the AVX2 table (w + 1 = 1).
constexpr int8_t kCodeValue[4] = {0, 1, 0, -1};

// Portable kernel: rows t in [t0, t1), outputs n in [n0, n1). x rows are zero-padded to Kp.
void gemm_portable(const int8_t* xp, int64_t Kp, const PackedTernary& w, int32_t* acc, int64_t T, int64_t n0,
                   int64_t n1) {
  const int64_t blocks = w.row_bytes / 32;
  for (int64_t n = n0; n < n1; ++n) {
    const uint8_t* row = w.row(n);
    for (int64_t t = 0; t < T; ++t) {
      const int8_t* x = xp + t * Kp;
      int32_t s = 0;
      for (int64_t b = 0; b < blocks; ++b)
        for (int i = 0; i < 4; ++i)
          for (int j = 0; j < 32; ++j)
            s += int32_t(x[b * 128 + i * 32 + j]) * kCodeValue[(row[b * 32 + j] >> (2 * i)) & 3];
      acc[t * w.N + n] = s;
    }
  }
}

#if defined(__x86_64__)
// AVX2: for 32 packed bytes (128 weights), code plane i = (bytes >> 2i) & 3; a pshufb table
// maps a code to w + 1 in {1, 2, 0}; maddubs(w+1 unsigned, x signed) sums pairs into int16
// without saturation (|pair| <= 2*2*128), madd with ones widens to int32. The sum of x over
// the row is subtracted once at the end: sum (w+1) x - sum x = sum w x.
__attribute__((target("avx2"))) void gemm_avx2(const int8_t* xp, int64_t Kp, const int32_t* xsum,
                                               const PackedTernary& w, int32_t* acc, int64_t T, int64_t n0,
                                               int64_t n1) {
  const int64_t blocks = w.row_bytes / 32;
  const __m256i lut = _mm256_setr_epi8(1, 2, 1, 0, 1, 2, 1, 0, 1, 2, 1, 0, 1, 2, 1, 0,  //
                                       1, 2, 1, 0, 1, 2, 1, 0, 1, 2, 1, 0, 1, 2, 1, 0);
  const __m256i mask3 = _mm256_set1_epi8(3);
  const __m256i ones16 = _mm256_set1_epi16(1);
  constexpr int64_t TB = 4;  // x rows sharing one weight decode
  for (int64_t n = n0; n < n1; ++n) {
    const uint8_t* row = w.row(n);
    for (int64_t t0 = 0; t0 < T; t0 += TB) {
      const int64_t tb = std::min(TB, T - t0);
      __m256i vacc[TB] = {_mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(),
                          _mm256_setzero_si256()};
      for (int64_t b = 0; b < blocks; ++b) {
        const __m256i packed = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + b * 32));
        __m256i wp1[4];
        wp1[0] = _mm256_shuffle_epi8(lut, _mm256_and_si256(packed, mask3));
        wp1[1] = _mm256_shuffle_epi8(lut, _mm256_and_si256(_mm256_srli_epi16(packed, 2), mask3));
        wp1[2] = _mm256_shuffle_epi8(lut, _mm256_and_si256(_mm256_srli_epi16(packed, 4), mask3));
        wp1[3] = _mm256_shuffle_epi8(lut, _mm256_and_si256(_mm256_srli_epi16(packed, 6), mask3));
        for (int64_t u = 0; u < tb; ++u) {
          const int8_t* x = xp + (t0 + u) * Kp + b * 128;
          __m256i part = _mm256_maddubs_epi16(wp1[0], _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x)));
          __m256i s32 = _mm256_madd_epi16(part, ones16);
          for (int i = 1; i < 4; ++i) {
            part = _mm256_maddubs_epi16(wp1[i], _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + 32 * i)));
            s32 = _mm256_add_epi32(s32, _mm256_madd_epi16(part, ones16));
          }
          vacc[u] = _mm256_add_epi32(vacc[u], s32);
        }
      }
      for (int64_t u = 0; u < tb; ++u) {
        __m128i lo = _mm256_castsi256_si128(vacc[u]);
        __m128i hi = _mm256_extracti128_si256(vacc[u], 1);
        __m128i s = _mm_add_epi32(lo, hi);
        s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
        s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
        acc[(t0 + u) * w.N + n] = _mm_cvtsi128_si32(s) - xsum[t0 + u];
      }
    }
  }
}
#endif

}  // namespace

void ternary_gemm(const int8_t* x_q, const PackedTernary& w, int32_t* acc, int64_t T, Kernel kernel) {
  if (kernel == Kernel::auto_select) kernel = cpu_has_avx2() ? Kernel::avx2 : Kernel::portable;
  if (kernel == Kernel::avx2 && !cpu_has_avx2()) fail("", "kernel", "AVX2 requested but the CPU lacks it");
  const int64_t K = w.K, Kp = w.row_bytes * 4, N = w.N;
  if (T <= 0 || N <= 0) return;
  // Zero-pad the activations to the packed row length so the kernels need no tail code.
  std::vector<int8_t> xpad;
  const int8_t* xp = x_q;
  if (Kp != K) {
    xpad.assign(size_t(T * Kp), 0);
    for (int64_t t = 0; t < T; ++t) std::memcpy(xpad.data() + t * Kp, x_q + t * K, size_t(K));
    xp = xpad.data();
  }
  const int64_t grain = std::max<int64_t>(1, (1 << 16) / std::max<int64_t>(1, T * Kp / 4));
#if defined(__x86_64__)
  if (kernel == Kernel::avx2) {
    std::vector<int32_t> xsum(static_cast<size_t>(T), 0);
    for (int64_t t = 0; t < T; ++t)
      for (int64_t k = 0; k < K; ++k) xsum[size_t(t)] += x_q[t * K + k];
    tensor::parallel_for(0, N, grain, [&](int64_t n0, int64_t n1) { gemm_avx2(xp, Kp, xsum.data(), w, acc, T, n0, n1); });
    return;
  }
#endif
  tensor::parallel_for(0, N, grain, [&](int64_t n0, int64_t n1) { gemm_portable(xp, Kp, w, acc, T, n0, n1); });
}

void ternary_gemv(const int8_t* x_q, const PackedTernary& w, int32_t* acc, Kernel kernel) {
  ternary_gemm(x_q, w, acc, 1, kernel);
}

}  // namespace abacus::quant
