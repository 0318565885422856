#include "src/tensor/matmul.h"

#include <cblas.h>

namespace abacus::tensor {
namespace {

// Row-major C[M,N] = alpha A B + beta C with A, B possibly transposed.
void gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
          const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, int(M), int(N),
              int(K), alpha, A, int(lda), B, int(ldb), beta, C, int(ldc));
}
void gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, double alpha, const double* A, int64_t lda,
          const double* B, int64_t ldb, double beta, double* C, int64_t ldc) {
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, int(M), int(N),
              int(K), alpha, A, int(lda), B, int(ldb), beta, C, int(ldc));
}

}  // namespace

template <class T>
void matmul_forward(T* out, const T* inp, const T* weight, const T* bias, int64_t rows, int64_t C, int64_t OC) {
  if (rows == 0 || OC == 0) return;
  if (bias) {
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t o = 0; o < OC; ++o) out[r * OC + o] = bias[o];
  }
  if (C == 0) {
    if (!bias)
      for (int64_t i = 0; i < rows * OC; ++i) out[i] = T(0);
    return;
  }
  gemm(false, true, rows, OC, C, T(1), inp, C, weight, C, bias ? T(1) : T(0), out, OC);
}

template <class T>
void matmul_backward(T* dinp, T* dweight, T* dbias, const T* dout, const T* inp, const T* weight, int64_t rows,
                     int64_t C, int64_t OC) {
  if (rows == 0 || C == 0 || OC == 0) return;
  if (dinp) gemm(false, false, rows, C, OC, T(1), dout, OC, weight, C, T(1), dinp, C);
  if (dweight) gemm(true, false, OC, C, rows, T(1), dout, OC, inp, C, T(1), dweight, C);
  if (dbias)
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t o = 0; o < OC; ++o) dbias[o] += dout[r * OC + o];
}

template void matmul_forward<float>(float*, const float*, const float*, const float*, int64_t, int64_t, int64_t);
template void matmul_forward<double>(double*, const double*, const double*, const double*, int64_t, int64_t, int64_t);
template void matmul_backward<float>(float*, float*, float*, const float*, const float*, const float*, int64_t,
                                     int64_t, int64_t);
template void matmul_backward<double>(double*, double*, double*, const double*, const double*, const double*,
                                      int64_t, int64_t, int64_t);

void matvec(float* y, const float* W, const float* x, int64_t N, int64_t K) {
  cblas_sgemv(CblasRowMajor, CblasNoTrans, int(N), int(K), 1.f, W, int(K), x, 1, 0.f, y, 1);
}

void set_blas_threads(int n) {
  if (n > 0) openblas_set_num_threads(n);
}

}  // namespace abacus::tensor
