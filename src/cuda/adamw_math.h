// One AdamW step of one parameter, the arithmetic of src/train/adamw.cpp (PyTorch semantics):
//   p -= decay * p;  m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;
//   p -= lr * (m / bc1) / (sqrt(v / bc2) + eps)
// decay = lr * weight_decay (0 for undecayed parameters); bc1 = 1 - b1^t, bc2 = 1 - b2^t are
// computed once per step on the host in double, rounded to float, as the CPU optimizer does.
// The CUDA sources are compiled with -fmad=false so the device does not contract these into
// FMAs and the result is bit-identical to the host's.
#pragma once

#include <cmath>
#include <cstdint>

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

// The step's scalars, computed on the host exactly as src/train/adamw.cpp does.
inline AdamWStep adamw_step_scalars(int64_t t, double lr, double beta1, double beta2, double eps, double weight_decay,
                                    bool decay) {
  AdamWStep s{};
  s.lr = float(lr);
  s.b1 = float(beta1);
  s.b2 = float(beta2);
  s.eps = float(eps);
  s.bc1 = float(1.0 - std::pow(beta1, double(t)));
  s.bc2 = float(1.0 - std::pow(beta2, double(t)));
  s.decay = decay ? float(lr * weight_decay) : 0.f;
  return s;
}

}  // namespace abacus::cuda
