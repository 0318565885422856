#include "src/nn/embedding.h"

#include <string>

#include "src/util/error.h"

namespace abacus::nn {

template <class T>
void embedding_forward(T* out, const int32_t* ids, const T* table, int64_t rows, int64_t V, int64_t C) {
  for (int64_t r = 0; r < rows; ++r) {
    const int32_t id = ids[r];
    if (id < 0 || id >= V)
      fail("", "token id", std::to_string(id) + " is outside the vocabulary [0, " + std::to_string(V) + ")");
    const T* src = table + int64_t(id) * C;
    for (int64_t c = 0; c < C; ++c) out[r * C + c] = src[c];
  }
}

template <class T>
void embedding_backward(T* dtable, const T* dout, const int32_t* ids, int64_t rows, int64_t C) {
  for (int64_t r = 0; r < rows; ++r) {
    T* dst = dtable + int64_t(ids[r]) * C;
    for (int64_t c = 0; c < C; ++c) dst[c] += dout[r * C + c];
  }
}

template void embedding_forward<float>(float*, const int32_t*, const float*, int64_t, int64_t, int64_t);
template void embedding_forward<double>(double*, const int32_t*, const double*, int64_t, int64_t, int64_t);
template void embedding_backward<float>(float*, const float*, const int32_t*, int64_t, int64_t);
template void embedding_backward<double>(double*, const double*, const int32_t*, int64_t, int64_t);

}  // namespace abacus::nn
