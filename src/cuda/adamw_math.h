// One AdamW step of one parameter, the arithmetic of src/train/adamw.cpp (PyTorch semantics):
//   p -= decay * p;  m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;
//   p -= lr * (m / bc1) / (sqrt(v / bc2) + eps)
// decay = lr * weight_decay (0 for undecayed parameters); bc1 = 1 - b1^t, bc2 = 1 - b2^t are
// computed once per step on the host in double, rounded to float, as the CPU optimizer does.
// The CUDA sources are compiled with -fmad=false so the device does not contract these into
// FMAs and the result is bit-identical to the host's.
#pragma once

#include "src/cuda/hd.h"

namespace abacus::cuda {

struct AdamWStep {
  float lr, b1, b2, eps, bc1, bc2, decay;
};

ABACUS_HD void adamw_update(const AdamWStep& s, float& p, float& m, float& v, float g) {
  p -= s.decay * p;
  m = s.b1 * m + (1.f - s.b1) * g;
  v = s.b2 * v + (1.f - s.b2) * g * g;
  const float mhat = m / s.bc1, vhat = v / s.bc2;
  p -= s.lr * mhat / (sqrtf_exact(vhat) + s.eps);
}

}  // namespace abacus::cuda
