// llm.c-style matmuls on raw row-major pointers, through OpenBLAS (sgemm for float, dgemm for
// double). Rows are B*T tokens. Backward ACCUMULATES (+=) into every gradient it is given
// (the caller zeroes gradients once per step); a null gradient pointer is skipped.
//
// Same bits at any thread count: OpenBLAS's result for an element depends on how its own
// threads (and even its single-thread blocking) cut the matrix, so abacus keeps OpenBLAS
// single-threaded and cuts every product itself into tiles fixed by the shape alone (64
// output rows, or 64 output columns when the output is wider than tall); the tiles run on
// the tensor::parallel_for pool, one OpenBLAS call each.
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

}  // namespace abacus::tensor
