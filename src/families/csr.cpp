#include "src/families/csr.h"

#include <algorithm>
#include <numeric>

#include "src/util/error.h"

namespace abacus::families {

Csr Csr::from_triplets(int64_t rows, int64_t cols, std::vector<int64_t> r, std::vector<int32_t> c,
                       std::vector<float> v) {
  if (r.size() != c.size() || r.size() != v.size()) fail("", "csr", "triplet arrays differ in length");
  std::vector<size_t> order(r.size());
  std::iota(order.begin(), order.end(), size_t(0));
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return r[a] != r[b] ? r[a] < r[b] : c[a] < c[b]; });
  Csr m;
  m.rows = rows, m.cols = cols;
  m.row_ptr.assign(size_t(rows + 1), 0);
  int64_t last_r = -1;
  for (size_t i : order) {
    if (r[i] < 0 || r[i] >= rows || c[i] < 0 || c[i] >= cols) fail("", "csr", "triplet index out of range");
    if (r[i] == last_r && m.col.back() == c[i]) {
      m.val.back() += v[i];  // duplicate entry
      continue;
    }
    last_r = r[i];
    m.col.push_back(c[i]);
    m.val.push_back(v[i]);
    m.row_ptr[size_t(r[i] + 1)] = int64_t(m.col.size());
  }
  for (int64_t i = 1; i <= rows; ++i) m.row_ptr[size_t(i)] = std::max(m.row_ptr[size_t(i)], m.row_ptr[size_t(i - 1)]);
  return m;
}

Csr Csr::transposed() const {
  std::vector<int64_t> r;
  std::vector<int32_t> c;
  std::vector<float> v;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t p = row_ptr[size_t(i)]; p < row_ptr[size_t(i + 1)]; ++p) {
      r.push_back(col[size_t(p)]);
      c.push_back(int32_t(i));
      v.push_back(val[size_t(p)]);
    }
  return from_triplets(cols, rows, std::move(r), std::move(c), std::move(v));
}

template <class T>
void spmm(const Csr& A, const T* x, T* y, int64_t F) {
  for (int64_t i = 0; i < A.rows; ++i) {
    T* yi = y + i * F;
    std::fill(yi, yi + F, T(0));
    for (int64_t p = A.row_ptr[size_t(i)]; p < A.row_ptr[size_t(i + 1)]; ++p) {
      const T a = T(A.val[size_t(p)]);
      const T* xj = x + int64_t(A.col[size_t(p)]) * F;
      for (int64_t f = 0; f < F; ++f) yi[f] += a * xj[f];
    }
  }
}

template <class T>
void spmm_backward(const Csr& At, const T* dy, T* dx, int64_t F) {
  for (int64_t i = 0; i < At.rows; ++i) {
    T* dxi = dx + i * F;
    for (int64_t p = At.row_ptr[size_t(i)]; p < At.row_ptr[size_t(i + 1)]; ++p) {
      const T a = T(At.val[size_t(p)]);
      const T* g = dy + int64_t(At.col[size_t(p)]) * F;
      for (int64_t f = 0; f < F; ++f) dxi[f] += a * g[f];
    }
  }
}

template void spmm<float>(const Csr&, const float*, float*, int64_t);
template void spmm<double>(const Csr&, const double*, double*, int64_t);
template void spmm_backward<float>(const Csr&, const float*, float*, int64_t);
template void spmm_backward<double>(const Csr&, const double*, double*, int64_t);

}  // namespace abacus::families
