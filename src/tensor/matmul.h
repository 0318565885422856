// llm.c-style matmuls on raw row-major pointers, through OpenBLAS (sgemm for float, dgemm for
// double). Rows are B*T tokens. Backward ACCUMULATES (+=) into every gradient it is given
// (the caller zeroes gradients once per step); a null gradient pointer is skipped.
#pragma once
#include <cstdint>

namespace abacus::tensor {

// out[rows, OC] = inp[rows, C] * weight[OC, C]^T (+ bias[OC] when bias != nullptr).
template <class T>
void matmul_forward(T* out, const T* inp, const T* weight, const T* bias, int64_t rows, int64_t C,
                    int64_t OC);

// dinp[rows, C] += dout * weight;  dweight[OC, C] += dout^T * inp;  dbias[OC] += sum_rows dout.
template <class T>
void matmul_backward(T* dinp, T* dweight, T* dbias, const T* dout, const T* inp, const T* weight,
                     int64_t rows, int64_t C, int64_t OC);

// y[N] = W[N, K] * x[K] (sgemv), the fp32 decode baseline.
void matvec(float* y, const float* W, const float* x, int64_t N, int64_t K);

// OpenBLAS thread count (0 keeps OpenBLAS' default).
void set_blas_threads(int n);

}  // namespace abacus::tensor
