// The integer reference for every BitLinear matmul: acc[t][n] = sum_k x_q[t][k] * w_q[n][k],
// int8 activations [T, K] row-major, int8 weights [N, K] row-major (values in {-1,0,1} for
// b1.58, {-1,1} for b1), int32 accumulators [T, N]. Every other path (AVX2, CUDA, SystemC,
// RTL) is tested bit-exact against this function.
#pragma once
#include <cstdint>

namespace abacus::quant {

void int8_gemm_ref(const int8_t* x_q, const int8_t* w_q, int32_t* acc, int64_t T, int64_t K, int64_t N);

}  // namespace abacus::quant
