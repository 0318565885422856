#include "src/quant/ternary_gemm.h"

#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "src/tensor/parallel.h"
#include "src/util/error.h"

namespace abacus::quant {

bool cpu_has_avx512_vnni() {
#if defined(__x86_64__)
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni") &&
         __builtin_cpu_supports("avx512vbmi");
#else
  return false;
#endif
}

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
          // Four int16 pair sums add up to at most 4 * 512 in magnitude: no int16 overflow,
          // so one widening madd per 128 weights.
          const __m256i p0 = _mm256_maddubs_epi16(wp1[0], _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x)));
          const __m256i p1 = _mm256_maddubs_epi16(wp1[1], _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + 32)));
          const __m256i p2 = _mm256_maddubs_epi16(wp1[2], _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + 64)));
          const __m256i p3 = _mm256_maddubs_epi16(wp1[3], _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + 96)));
          const __m256i s16 = _mm256_add_epi16(_mm256_add_epi16(p0, p1), _mm256_add_epi16(p2, p3));
          vacc[u] = _mm256_add_epi32(vacc[u], _mm256_madd_epi16(s16, ones16));
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

// AVX-512 VNNI + VBMI: two 32-byte blocks per 64-byte load, codes decoded with vpermb; vpdpbusd multiplies (w + 1) u8 by x s8
// and adds groups of four into int32 without saturation (exact). The activations are
// reordered once per call so plane i of a block pair is 64 contiguous bytes:
//   xr[pair p][plane i] = x[256 p + 32 i .. +32] ++ x[256 p + 128 + 32 i .. +32].
// An odd last block goes through the 256-bit form of the same instruction.
__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx512vbmi"))) void gemm_avx512(
    const int8_t* xp, const int8_t* xr, int64_t Kp, const int32_t* xsum, const PackedTernary& w, int32_t* acc,
    int64_t T, int64_t n0, int64_t n1) {
  const int64_t blocks = w.row_bytes / 32, pairs = blocks / 2, xr_stride = pairs * 256;
  const bool odd = blocks % 2 != 0;
  const __m512i lut = _mm512_set1_epi32(0x00010201);  // bytes 1, 2, 1, 0 per code 00, 01, 10, 11
  const __m256i lut256 = _mm256_set1_epi32(0x00010201);
  const __m256i mask3_256 = _mm256_set1_epi8(3);
  constexpr int64_t TB = 4;
  for (int64_t n = n0; n < n1; ++n) {
    const uint8_t* row = w.row(n);
    for (int64_t t0 = 0; t0 < T; t0 += TB) {
      const int64_t tb = std::min(TB, T - t0);
      __m512i va[TB][2];
      for (int64_t u = 0; u < TB; ++u) va[u][0] = va[u][1] = _mm512_setzero_si512();
      for (int64_t p = 0; p < pairs; ++p) {
        const __m512i packed = _mm512_loadu_si512(row + p * 64);
        // vpermb reads the low 6 bits of each index byte and the table repeats every 4
        // entries, so the bits above a code need no masking (saves four ANDs per load).
        const __m512i w0 = _mm512_permutexvar_epi8(packed, lut);
        const __m512i w1 = _mm512_permutexvar_epi8(_mm512_srli_epi16(packed, 2), lut);
        const __m512i w2 = _mm512_permutexvar_epi8(_mm512_srli_epi16(packed, 4), lut);
        const __m512i w3 = _mm512_permutexvar_epi8(_mm512_srli_epi16(packed, 6), lut);
        for (int64_t u = 0; u < tb; ++u) {
          const int8_t* x = xr + (t0 + u) * xr_stride + p * 256;
          va[u][0] = _mm512_dpbusd_epi32(va[u][0], w0, _mm512_loadu_si512(x));
          va[u][1] = _mm512_dpbusd_epi32(va[u][1], w1, _mm512_loadu_si512(x + 64));
          va[u][0] = _mm512_dpbusd_epi32(va[u][0], w2, _mm512_loadu_si512(x + 128));
          va[u][1] = _mm512_dpbusd_epi32(va[u][1], w3, _mm512_loadu_si512(x + 192));
        }
      }
      for (int64_t u = 0; u < tb; ++u) {
        // Horizontal sum through memory: GCC 12 warns (-Wuninitialized) on the lane-extract
        // intrinsics, whose pass-through operand is left undefined.
        alignas(64) int32_t lanes[16];
        _mm512_store_si512(lanes, _mm512_add_epi32(va[u][0], va[u][1]));
        int32_t total = 0;
        for (int32_t l : lanes) total += l;
        if (odd) {
          const int64_t b = blocks - 1;
          const __m256i packed = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(row + b * 32));
          const int8_t* x = xp + (t0 + u) * Kp + b * 128;
          __m256i s = _mm256_setzero_si256();
          for (int i = 0; i < 4; ++i) {
            const __m256i code = _mm256_and_si256(_mm256_srli_epi16(packed, 2 * i), mask3_256);
            s = _mm256_dpbusd_epi32(s, _mm256_shuffle_epi8(lut256, code),
                                    _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + 32 * i)));
          }
          __m128i h = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
          h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0x4E));
          h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0xB1));
          total += _mm_cvtsi128_si32(h);
        }
        acc[(t0 + u) * w.N + n] = total - xsum[t0 + u];
      }
    }
  }
}
#endif

}  // namespace

void ternary_gemm(const int8_t* x_q, const PackedTernary& w, int32_t* acc, int64_t T, Kernel kernel) {
  if (kernel == Kernel::auto_select)
    kernel = cpu_has_avx512_vnni() ? Kernel::avx512_vnni : cpu_has_avx2() ? Kernel::avx2 : Kernel::portable;
  if (kernel == Kernel::avx2 && !cpu_has_avx2()) fail("", "kernel", "AVX2 requested but the CPU lacks it");
  if (kernel == Kernel::avx512_vnni && !cpu_has_avx512_vnni())
    fail("", "kernel", "AVX-512 VNNI requested but the CPU lacks it");
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
  if (kernel == Kernel::avx2 || kernel == Kernel::avx512_vnni) {
    std::vector<int32_t> xsum(static_cast<size_t>(T), 0);
    for (int64_t t = 0; t < T; ++t)
      for (int64_t k = 0; k < K; ++k) xsum[size_t(t)] += x_q[t * K + k];
    if (kernel == Kernel::avx2) {
      tensor::parallel_for(0, N, grain, [&](int64_t n0, int64_t n1) { gemm_avx2(xp, Kp, xsum.data(), w, acc, T, n0, n1); });
      return;
    }
    const int64_t pairs = w.row_bytes / 64;
    std::vector<int8_t> xr(static_cast<size_t>(T * pairs * 256));
    for (int64_t t = 0; t < T; ++t)
      for (int64_t p = 0; p < pairs; ++p)
        for (int i = 0; i < 4; ++i)
          for (int h = 0; h < 2; ++h)
            std::memcpy(xr.data() + t * pairs * 256 + p * 256 + i * 64 + h * 32, xp + t * Kp + p * 256 + h * 128 + i * 32, 32);
    tensor::parallel_for(0, N, grain, [&](int64_t n0, int64_t n1) {
      gemm_avx512(xp, xr.data(), Kp, xsum.data(), w, acc, T, n0, n1);
    });
    return;
  }
#endif
  tensor::parallel_for(0, N, grain, [&](int64_t n0, int64_t n1) { gemm_portable(xp, Kp, w, acc, T, n0, n1); });
}

void ternary_gemv(const int8_t* x_q, const PackedTernary& w, int32_t* acc, Kernel kernel) {
  ternary_gemm(x_q, w, acc, 1, kernel);
}

}  // namespace abacus::quant
