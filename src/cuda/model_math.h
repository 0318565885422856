// Per-element arithmetic of the whole-model kernels (src/cuda/model_kernels.cu), shared with the
// CPU backend (src/device/cpu_backend.cpp) and tested on the CPU against src/nn:
//   bf16 rounding of GEMM operands, the FFN non-linearities and their derivatives (the formulas
//   of src/nn/activations.cpp in float), the RoPE rotation of one pair.
#pragma once
#include <cstdint>
#include <cstring>

#include "src/cuda/hd.h"

namespace abacus::cuda {

ABACUS_HD float expf_hd(float v) {
#if defined(__CUDA_ARCH__)
  return expf(v);
#else
  return std::exp(v);
#endif
}
ABACUS_HD float tanhf_hd(float v) {
#if defined(__CUDA_ARCH__)
  return tanhf(v);
#else
  return std::tanh(v);
#endif
}

// Round to nearest even bf16 (as __float2bfloat16_rn for finite values), kept in a float.
ABACUS_HD uint32_t float_bits(float x) {
#if defined(__CUDA_ARCH__)
  return __float_as_uint(x);
#else
  uint32_t u;
  std::memcpy(&u, &x, 4);
  return u;
#endif
}
ABACUS_HD float bits_float(uint32_t u) {
#if defined(__CUDA_ARCH__)
  return __uint_as_float(u);
#else
  float x;
  std::memcpy(&x, &u, 4);
  return x;
#endif
}
ABACUS_HD uint16_t bf16_bits(float x) {
  const uint32_t u = float_bits(x);
  if ((u & 0x7f800000u) == 0x7f800000u) return uint16_t((u >> 16) | ((u & 0xffffu) ? 0x40u : 0u));  // inf/nan
  return uint16_t((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}
ABACUS_HD float bf16_round(float x) { return bits_float(uint32_t(bf16_bits(x)) << 16); }

ABACUS_HD float sigmoid_hd(float a) { return 1.f / (1.f + expf_hd(-a)); }

// SwiGLU: h = silu(g) u; dg += dh u s (1 + g (1 - s)), du += dh g s.
ABACUS_HD float swiglu(float g, float u) { return g * sigmoid_hd(g) * u; }
ABACUS_HD void swiglu_grad(float dh, float g, float u, float& dg, float& du) {
  const float s = sigmoid_hd(g);
  dg += dh * u * s * (1.f + g * (1.f - s));
  du += dh * g * s;
}
// ReLU^2-GLU: h = relu(g)^2 u.
ABACUS_HD float relu2_glu(float g, float u) {
  const float r = g > 0.f ? g : 0.f;
  return r * r * u;
}
ABACUS_HD void relu2_glu_grad(float dh, float g, float u, float& dg, float& du) {
  const float r = g > 0.f ? g : 0.f;
  dg += dh * u * 2.f * r;
  du += dh * r * r;
}
// GELU, tanh approximation.
constexpr float kGeluC = 0.7978845608028654f;
ABACUS_HD float gelu(float x) { return 0.5f * x * (1.f + tanhf_hd(kGeluC * (x + 0.044715f * x * x * x))); }
ABACUS_HD float gelu_grad(float x) {
  const float u = kGeluC * (x + 0.044715f * x * x * x);
  const float th = tanhf_hd(u);
  const float sech2 = 1.f - th * th;
  return 0.5f * (1.f + th) + 0.5f * x * sech2 * kGeluC * (1.f + 3.f * 0.044715f * x * x);
}

// RoPE of the pair (a, b) = (v[i], v[i + hd/2]) with c = cos, s = sign * sin (float).
ABACUS_HD void rope_pair(float& a, float& b, float c, float s) {
  const float a0 = a, b0 = b;
  a = a0 * c - b0 * s;
  b = b0 * c + a0 * s;
}

}  // namespace abacus::cuda
