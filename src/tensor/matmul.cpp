#include "src/tensor/matmul.h"

#include <cblas.h>

#include <algorithm>

#include "src/tensor/parallel.h"

namespace abacus::tensor {
namespace {

constexpr int64_t kTile = 64;

void blas_single_threaded() {
  static const bool once = [] {
    openblas_set_num_threads(1);
    return true;
  }();
  (void)once;
}

void blas_gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
               const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, int(M), int(N),
              int(K), alpha, A, int(lda), B, int(ldb), beta, C, int(ldc));
}
void blas_gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, double alpha, const double* A, int64_t lda,
               const double* B, int64_t ldb, double beta, double* C, int64_t ldc) {
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, int(M), int(N),
              int(K), alpha, A, int(lda), B, int(ldb), beta, C, int(ldc));
}

// Row-major C[M,N] = alpha op(A) op(B) + beta C, cut into fixed tiles of C (see matmul.h).
// op(A) is [M, K]: row m of it starts at A + m * lda untransposed, at column m of A transposed.
template <class T>
void gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda, const T* B,
          int64_t ldb, T beta, T* C, int64_t ldc) {
  blas_single_threaded();
  if (M >= N) {
    const int64_t tiles = (M + kTile - 1) / kTile;
    parallel_for(0, tiles, 1, [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) {
        const int64_t m0 = t * kTile, mm = std::min(kTile, M - m0);
        const T* At = ta ? A + m0 : A + m0 * lda;
        blas_gemm(ta, tb, mm, N, K, alpha, At, lda, B, ldb, beta, C + m0 * ldc, ldc);
      }
    });
  } else {
    const int64_t tiles = (N + kTile - 1) / kTile;
    parallel_for(0, tiles, 1, [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) {
        const int64_t n0 = t * kTile, nn = std::min(kTile, N - n0);
        // op(B) is [K, N]: column n starts at B + n untransposed, at row n of B transposed.
        const T* Bt = tb ? B + n0 * ldb : B + n0;
        blas_gemm(ta, tb, M, nn, K, alpha, A, lda, Bt, ldb, beta, C + n0, ldc);
      }
    });
  }
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
  blas_single_threaded();
  const int64_t tiles = (N + kTile * 4 - 1) / (kTile * 4);
  parallel_for(0, tiles, 1, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t n0 = t * kTile * 4, nn = std::min(kTile * 4, N - n0);
      cblas_sgemv(CblasRowMajor, CblasNoTrans, int(nn), int(K), 1.f, W + n0 * K, int(K), x, 1, 0.f, y + n0, 1);
    }
  });
}

}  // namespace abacus::tensor
