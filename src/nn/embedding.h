// Token (or position) embedding lookup. Conventions of every src/nn layer: raw row-major
// pointers, caller-owned buffers, templated on float/double (double for gradient checks),
// backward ACCUMULATES (+=) into gradients (caller zeroes them once per step).
#pragma once
#include <cstdint>

namespace abacus::nn {

// out[rows, C] = table[ids[r], :]. ids out of [0, V) -> abacus::Error.
template <class T>
void embedding_forward(T* out, const int32_t* ids, const T* table, int64_t rows, int64_t V, int64_t C);

// dtable[ids[r], :] += dout[r, :]
template <class T>
void embedding_backward(T* dtable, const T* dout, const int32_t* ids, int64_t rows, int64_t C);

}  // namespace abacus::nn
