#include "src/train/adamw.h"

#include <cmath>

#include "src/tensor/parallel.h"
#include "src/util/error.h"

namespace abacus::train {

AdamW::AdamW(int64_t num_params, AdamWConfig config, std::vector<ParamSegment> segments)
    : config_(config), segments_(std::move(segments)), m_(size_t(num_params), 0.f), v_(size_t(num_params), 0.f) {
  int64_t covered = 0;
  for (const ParamSegment& s : segments_) covered += s.numel;
  if (covered != num_params) fail("", "AdamW", "parameter segments do not cover the parameters");
}

void AdamW::step(float* params, const float* grads, double lr, double weight_decay) {
  ++t_;
  const float b1 = float(config_.beta1), b2 = float(config_.beta2), eps = float(config_.eps);
  const float bc1 = float(1.0 - std::pow(config_.beta1, double(t_)));
  const float bc2 = float(1.0 - std::pow(config_.beta2, double(t_)));
  const float lr_f = float(lr);
  for (const ParamSegment& s : segments_) {
    const float decay = s.decay ? float(lr * weight_decay) : 0.f;
    float* p = params + s.offset;
    const float* g = grads + s.offset;
    float* m = m_.data() + s.offset;
    float* v = v_.data() + s.offset;
    tensor::parallel_for(0, s.numel, 1 << 14, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) {
        p[i] -= decay * p[i];
        m[i] = b1 * m[i] + (1.f - b1) * g[i];
        v[i] = b2 * v[i] + (1.f - b2) * g[i] * g[i];
        const float mhat = m[i] / bc1, vhat = v[i] / bc2;
        p[i] -= lr_f * mhat / (std::sqrt(vhat) + eps);
      }
    });
  }
}

double grad_norm(const float* grads, int64_t n) {
  double s = 0.0;
  for (int64_t i = 0; i < n; ++i) s += double(grads[i]) * double(grads[i]);
  return std::sqrt(s);
}

double clip_grad_norm(float* grads, int64_t n, double max_norm) {
  const double norm = grad_norm(grads, n);
  if (max_norm > 0 && norm > max_norm) {
    const float scale = float(max_norm / (norm + 1e-6));
    for (int64_t i = 0; i < n; ++i) grads[i] *= scale;
  }
  return norm;
}

}  // namespace abacus::train
