// ABACUS_HD marks the per-element arithmetic shared by the CUDA kernels and the CPU tests:
// __host__ __device__ under nvcc, plain inline under g++/clang (no CUDA headers needed).
#pragma once

#if defined(__CUDACC__)
#define ABACUS_HD __host__ __device__ __forceinline__
#else
#define ABACUS_HD inline
#endif

#if defined(__CUDA_ARCH__)
#include <math.h>
#else
#include <cmath>
#endif

namespace abacus::cuda {

// Round half to even under the default rounding mode: rintf on the device, std::nearbyint on
// the host (the core's round_half_even); both are exact IEEE operations, so they agree bit for bit.
ABACUS_HD float round_even(float v) {
#if defined(__CUDA_ARCH__)
  return rintf(v);
#else
  return std::nearbyint(v);
#endif
}

ABACUS_HD float clampf(float v, float lo, float hi) { return v < lo ? lo : (v > hi ? hi : v); }
ABACUS_HD float maxf(float a, float b) { return a > b ? a : b; }

ABACUS_HD float absf(float v) {
#if defined(__CUDA_ARCH__)
  return fabsf(v);
#else
  return std::fabs(v);
#endif
}

ABACUS_HD float sqrtf_exact(float v) {  // IEEE sqrt (nvcc -prec-sqrt=true is the default)
#if defined(__CUDA_ARCH__)
  return sqrtf(v);
#else
  return std::sqrt(v);
#endif
}

}  // namespace abacus::cuda
