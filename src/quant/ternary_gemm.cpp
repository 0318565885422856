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

// Plane i of 32 packed bytes as w + 1 in {0, 1, 2} (the lookup of gemm_avx2).
__attribute__((target("avx2"), always_inline)) inline __m256i plane_avx2(__m256i k, int i, __m256i lut, __m256i mask3) {
  return _mm256_shuffle_epi8(lut, _mm256_and_si256(_mm256_srli_epi16(k, 2 * i), mask3));
}

// AVX2 GEMV (T = 1): four weight rows at a time share each activation load; the four int32
// accumulators stay in registers for the whole row (16 ymm registers: 4 accumulators, 4
// decoded planes, the activation plane and the constants).
__attribute__((target("avx2"))) void gemv_avx2(const int8_t* xp, int32_t xsum, const PackedTernary& w, int32_t* acc,
                                               int64_t n0, int64_t n1) {
  const int64_t blocks = w.row_bytes / 32;
  const __m256i lut = _mm256_setr_epi8(1, 2, 1, 0, 1, 2, 1, 0, 1, 2, 1, 0, 1, 2, 1, 0,  //
                                       1, 2, 1, 0, 1, 2, 1, 0, 1, 2, 1, 0, 1, 2, 1, 0);
  const __m256i mask3 = _mm256_set1_epi8(3);
  const __m256i ones16 = _mm256_set1_epi16(1);
  int64_t n = n0;
  for (; n + 4 <= n1; n += 4) {
    const uint8_t* r0 = w.row(n);
    const uint8_t* r1 = w.row(n + 1);
    const uint8_t* r2 = w.row(n + 2);
    const uint8_t* r3 = w.row(n + 3);
    __m256i a0 = _mm256_setzero_si256(), a1 = a0, a2 = a0, a3 = a0;
    for (int64_t b = 0; b < blocks; ++b) {
      const __m256i k0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(r0 + b * 32));
      const __m256i k1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(r1 + b * 32));
      const __m256i k2 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(r2 + b * 32));
      const __m256i k3 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(r3 + b * 32));
      __m256i s0 = _mm256_setzero_si256(), s1 = s0, s2 = s0, s3 = s0;
      for (int i = 0; i < 4; ++i) {
        // Four int16 pair sums per lane add up to at most 4 * 512: no overflow.
        const __m256i xv = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(xp + b * 128 + 32 * i));
        s0 = _mm256_add_epi16(s0, _mm256_maddubs_epi16(plane_avx2(k0, i, lut, mask3), xv));
        s1 = _mm256_add_epi16(s1, _mm256_maddubs_epi16(plane_avx2(k1, i, lut, mask3), xv));
        s2 = _mm256_add_epi16(s2, _mm256_maddubs_epi16(plane_avx2(k2, i, lut, mask3), xv));
        s3 = _mm256_add_epi16(s3, _mm256_maddubs_epi16(plane_avx2(k3, i, lut, mask3), xv));
      }
      a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(s0, ones16));
      a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(s1, ones16));
      a2 = _mm256_add_epi32(a2, _mm256_madd_epi16(s2, ones16));
      a3 = _mm256_add_epi32(a3, _mm256_madd_epi16(s3, ones16));
    }
    // Four horizontal sums at once: hadd pairs lanes of a0..a3, then the two halves add.
    const __m256i h01 = _mm256_hadd_epi32(a0, a1), h23 = _mm256_hadd_epi32(a2, a3);
    const __m256i h = _mm256_hadd_epi32(h01, h23);  // per 128-bit half: a0 a1 a2 a3 partials
    const __m128i sum = _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
    const __m128i res = _mm_sub_epi32(sum, _mm_set1_epi32(xsum));
    _mm_storeu_si128(reinterpret_cast<__m128i*>(acc + n), res);
  }
  if (n < n1) gemm_avx2(xp, 0, &xsum, w, acc, 1, n, n1);
}

// AVX-512 VNNI + VBMI: two 32-byte blocks per 64-byte load, codes decoded with vpermb; vpdpbusd
// multiplies (w + 1) u8 by x s8 and adds groups of four into int32 without saturation (exact).
// The activations are reordered once per call so plane i of a block pair is 64 contiguous
// bytes:
//   xr[pair p][plane i] = x[256 p + 32 i .. +32] ++ x[256 p + 128 + 32 i .. +32].
// A register block of NB weight rows x TB activation rows keeps its NB * TB * ACC int32
// accumulators in registers for the whole row: each activation load feeds NB rows and each
// decoded weight plane TB rows. GEMV is NB = 4, TB = 1 with two accumulators per output (the
// four planes of a pair alternate between them, halving the add chain), a single pass over
// the weights with no memory traffic but the weight stream. An odd last block goes through the
// 256-bit form of the same instruction.
constexpr int kXrPlane = 64;

template <int NB, int TB>
__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx512vbmi"), always_inline)) inline void block_avx512(
    const int8_t* xp, const int8_t* xr, int64_t Kp, int64_t xr_stride, const int32_t* xsum, const PackedTernary& w,
    int32_t* acc, int64_t t0, int64_t n) {
  constexpr int ACC = TB == 1 ? 2 : 1;
  const int64_t blocks = w.row_bytes / 32, pairs = blocks / 2;
  const __m512i lut = _mm512_set1_epi32(0x00010201);  // bytes 1, 2, 1, 0 per code 00, 01, 10, 11
  __m512i va[NB][TB][ACC];
  #pragma GCC unroll 4
  for (int r = 0; r < NB; ++r)
    #pragma GCC unroll 4
    for (int u = 0; u < TB; ++u)
      #pragma GCC unroll 4
      for (int a = 0; a < ACC; ++a) va[r][u][a] = _mm512_setzero_si512();
  const uint8_t* rows[NB];
  #pragma GCC unroll 4
  for (int r = 0; r < NB; ++r) rows[r] = w.row(n + r);
  for (int64_t p = 0; p < pairs; ++p) {
    __m512i packed[NB];
    #pragma GCC unroll 4
    for (int r = 0; r < NB; ++r) packed[r] = _mm512_loadu_si512(rows[r] + p * 64);
#pragma GCC unroll 4
    for (int i = 0; i < 4; ++i) {
      __m512i wd[NB];
      // vpermb reads the low 6 bits of each index byte and the table repeats every 4
      // entries, so the bits above a code need no masking.
      #pragma GCC unroll 4
      for (int r = 0; r < NB; ++r) wd[r] = _mm512_permutexvar_epi8(_mm512_srli_epi16(packed[r], 2 * i), lut);
      #pragma GCC unroll 4
      for (int u = 0; u < TB; ++u) {
        const __m512i xv = _mm512_loadu_si512(xr + (t0 + u) * xr_stride + p * 256 + i * kXrPlane);
        #pragma GCC unroll 4
        for (int r = 0; r < NB; ++r) va[r][u][i % ACC] = _mm512_dpbusd_epi32(va[r][u][i % ACC], wd[r], xv);
      }
    }
  }
  const bool odd = blocks % 2 != 0;
  const __m256i lut256 = _mm256_set1_epi32(0x00010201);
  const __m256i mask3_256 = _mm256_set1_epi8(3);
  // Each output's 16 lanes fold to 8 (plus the odd block's 256-bit sum); four outputs then
  // reduce together with hadd, no trip through memory.
  #pragma GCC unroll 4
  for (int u = 0; u < TB; ++u) {
    __m256i s8[NB];
    #pragma GCC unroll 4
    for (int r = 0; r < NB; ++r) {
      __m512i v = va[r][u][0];
      if (ACC == 2) v = _mm512_add_epi32(v, va[r][u][ACC - 1]);
      // maskz form: the plain extract leaves its pass-through undefined (GCC warns).
      s8[r] = _mm256_add_epi32(_mm512_maskz_extracti64x4_epi64(0xFF, v, 0), _mm512_maskz_extracti64x4_epi64(0xFF, v, 1));
      if (odd) {
        const int64_t b = blocks - 1;
        const __m256i pk = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(rows[r] + b * 32));
        const int8_t* x = xp + (t0 + u) * Kp + b * 128;
        #pragma GCC unroll 4
        for (int i = 0; i < 4; ++i) {
          const __m256i code = _mm256_and_si256(_mm256_srli_epi16(pk, 2 * i), mask3_256);
          s8[r] = _mm256_dpbusd_epi32(s8[r], _mm256_shuffle_epi8(lut256, code),
                                      _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + 32 * i)));
        }
      }
    }
    alignas(16) int32_t out[4];
    if constexpr (NB == 4) {
      const __m256i h = _mm256_hadd_epi32(_mm256_hadd_epi32(s8[0], s8[1]), _mm256_hadd_epi32(s8[2], s8[3]));
      _mm_store_si128(reinterpret_cast<__m128i*>(out),
                      _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1)));
    } else {
      #pragma GCC unroll 4
      for (int r = 0; r < NB; ++r) {
        __m128i h = _mm_add_epi32(_mm256_castsi256_si128(s8[r]), _mm256_extracti128_si256(s8[r], 1));
        h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0x4E));
        h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0xB1));
        out[r] = _mm_cvtsi128_si32(h);
      }
    }
    #pragma GCC unroll 4
    for (int r = 0; r < NB; ++r) acc[(t0 + u) * w.N + n + r] = out[r] - xsum[t0 + u];
  }
}

template <int NB>
__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,avx512vbmi"))) void rows_avx512(
    const int8_t* xp, const int8_t* xr, int64_t Kp, int64_t xr_stride, const int32_t* xsum, const PackedTernary& w,
    int32_t* acc, int64_t T, int64_t n) {
  int64_t t0 = 0;
  for (; t0 + 4 <= T; t0 += 4) block_avx512<NB, 4>(xp, xr, Kp, xr_stride, xsum, w, acc, t0, n);
  switch (T - t0) {
    case 3: block_avx512<NB, 3>(xp, xr, Kp, xr_stride, xsum, w, acc, t0, n); break;
    case 2: block_avx512<NB, 2>(xp, xr, Kp, xr_stride, xsum, w, acc, t0, n); break;
    case 1: block_avx512<NB, 1>(xp, xr, Kp, xr_stride, xsum, w, acc, t0, n); break;
    default: break;
  }
}

// Outputs [n0, n1): blocks of four weight rows, then single rows.
void gemm_avx512(const int8_t* xp, const int8_t* xr, int64_t Kp, const int32_t* xsum, const PackedTernary& w,
                 int32_t* acc, int64_t T, int64_t n0, int64_t n1) {
  const int64_t xr_stride = (w.row_bytes / 64) * 256;
  int64_t n = n0;
  for (; n + 4 <= n1; n += 4) rows_avx512<4>(xp, xr, Kp, xr_stride, xsum, w, acc, T, n);
  for (; n < n1; ++n) rows_avx512<1>(xp, xr, Kp, xr_stride, xsum, w, acc, T, n);
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
      if (T == 1) {
        const int64_t nblocks = (N + 3) / 4;
        tensor::parallel_for(0, nblocks, std::max<int64_t>(1, grain / 4), [&](int64_t b0, int64_t b1) {
          gemv_avx2(xp, xsum[0], w, acc, b0 * 4, std::min(N, b1 * 4));
        });
        return;
      }
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
    // Threads take whole blocks of four outputs (the last may be shorter).
    const int64_t nblocks = (N + 3) / 4;
    tensor::parallel_for(0, nblocks, std::max<int64_t>(1, grain / 4), [&](int64_t b0, int64_t b1) {
      gemm_avx512(xp, xr.data(), Kp, xsum.data(), w, acc, T, b0 * 4, std::min(N, b1 * 4));
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
