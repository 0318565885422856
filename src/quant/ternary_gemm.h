// Fast int8 x packed-ternary matmul, bit-exact with int8_gemm_ref (int_gemm.h):
//   acc[t][n] = sum_k x_q[t][k] * w[n][k],  x_q int8 [T, K], w packed (packing.h), acc int32 [T, N].
// Kernels: AVX-512 VNNI (vpdpbusd, vpermb decode), AVX2, portable; auto_select takes the best the CPU has
// (__builtin_cpu_supports at run time; nothing is compiled with -march=native).
// The AVX2 kernel uses maddubs on (w + 1) in {0,1,2} times x, minus sum(x): exact for every
// int8 x including -128. Binary weights go through the same kernel (codes 01/11 only).
// Register blocks (4 weight rows x 1-4 activation rows) keep every accumulator in registers; the
// GEMV (T = 1) is a single pass over the weight rows.
// Code assignment (decided): the RTL's 2-bit code (packing.h) is kept rather than I2_S's
// code = w + 1. With VBMI the decode is one vpermb per plane needing no mask, as cheap as the
// shift+mask a lookup-free code would need; on AVX2 it costs one pshufb per 32 weights. A
// lookup-free decode of this code exists if ever needed: (c + 1) & 3 = w + 1 for 00, 01, 11.
#pragma once
#include <cstdint>

#include "src/quant/packing.h"

namespace abacus::quant {

enum class Kernel { auto_select, portable, avx2, avx512_vnni };

bool cpu_has_avx2();
bool cpu_has_avx512_vnni();  // avx512f + bw + vl + vnni + vbmi

// Threads over N (tensor::parallel_for). Asking for a kernel the CPU lacks is an Error.
void ternary_gemm(const int8_t* x_q, const PackedTernary& w, int32_t* acc, int64_t T,
                  Kernel kernel = Kernel::auto_select);
// The decode case (T = 1).
void ternary_gemv(const int8_t* x_q, const PackedTernary& w, int32_t* acc,
                  Kernel kernel = Kernel::auto_select);

}  // namespace abacus::quant
