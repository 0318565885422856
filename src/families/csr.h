// Sparse matrix in CSR form and its product with a dense matrix (the GNN aggregation).
#pragma once
#include <cstdint>
#include <vector>

namespace abacus::families {

struct Csr {
  int64_t rows = 0, cols = 0;
  std::vector<int64_t> row_ptr;  // [rows + 1]
  std::vector<int32_t> col;      // [nnz], sorted within a row
  std::vector<float> val;        // [nnz]
  int64_t nnz() const { return int64_t(col.size()); }
  // Builds from (row, col, value) triplets; duplicates are summed.
  static Csr from_triplets(int64_t rows, int64_t cols, std::vector<int64_t> r, std::vector<int32_t> c,
                           std::vector<float> v);
  Csr transposed() const;
};

// y [rows, F] = A x, x [cols, F].
template <class T>
void spmm(const Csr& A, const T* x, T* y, int64_t F);
// dx [cols, F] += A^T dy (At = A.transposed(), precomputed by the caller).
template <class T>
void spmm_backward(const Csr& At, const T* dy, T* dx, int64_t F);

}  // namespace abacus::families
