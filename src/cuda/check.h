// Error checks for CUDA runtime and cuBLASLt calls (device code side only; includes CUDA headers).
#pragma once
#include <cublasLt.h>
#include <cuda_runtime.h>

#include <string>

#include "src/util/error.h"

namespace abacus::cuda {

inline void check_cuda(cudaError_t e, const char* what) {
  if (e != cudaSuccess) fail("", "cuda", std::string(what) + ": " + cudaGetErrorString(e));
}
inline void check_cublas(cublasStatus_t s, const char* what) {
  if (s != CUBLAS_STATUS_SUCCESS) fail("", "cublasLt", std::string(what) + ": status " + std::to_string(int(s)));
}
inline void check_launch(const char* kernel) { check_cuda(cudaGetLastError(), kernel); }
inline cudaStream_t as_stream(void* s) { return static_cast<cudaStream_t>(s); }
inline unsigned blocks_for(int64_t n, int threads) {
  const int64_t b = (n + threads - 1) / threads;
  return unsigned(b < 65535 * 16 ? b : 65535 * 16);  // grid-stride loops cover the rest
}

// Sum over a block of blockDim.x (a multiple of 32, <= 1024) threads; every thread gets the result.
template <class T, class Op>
__device__ inline T block_reduce(T v, Op op) {
  __shared__ T warp_vals[32];
  __shared__ T result;
  for (int o = 16; o > 0; o >>= 1) v = op(v, __shfl_down_sync(0xffffffffu, v, o));
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  if (lane == 0) warp_vals[warp] = v;
  __syncthreads();
  if (warp == 0) {
    const int n_warps = blockDim.x >> 5;
    T w = lane < n_warps ? warp_vals[lane] : warp_vals[0];
    for (int o = 16; o > 0; o >>= 1) {
      const T other = __shfl_down_sync(0xffffffffu, w, o);
      if (lane + o < n_warps) w = op(w, other);
    }
    if (lane == 0) result = w;
  }
  __syncthreads();
  const T r = result;
  __syncthreads();  // so a following block_reduce may reuse the shared slots
  return r;
}

struct SumOp {
  template <class T> __device__ T operator()(T a, T b) const { return a + b; }
};
struct MaxOp {
  template <class T> __device__ T operator()(T a, T b) const { return a > b ? a : b; }
};

}  // namespace abacus::cuda
