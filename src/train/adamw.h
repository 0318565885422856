// AdamW with fp32 states (PyTorch semantics): decoupled weight decay p -= lr * wd * p on the
// parameters marked `decay` (matrices; norms and embeddings are not decayed), then
//   m = b1 m + (1 - b1) g,  v = b2 v + (1 - b2) g^2,
//   p -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps),   t = 1, 2, ...
#pragma once
#include <cstdint>
#include <vector>

namespace abacus::train {

struct AdamWConfig {
  double beta1 = 0.9, beta2 = 0.95, eps = 1e-8;
};

struct ParamSegment {  // a contiguous parameter range and whether weight decay applies
  int64_t offset = 0, numel = 0;
  bool decay = false;
};

class AdamW {
 public:
  AdamW(int64_t num_params, AdamWConfig config, std::vector<ParamSegment> segments);
  void step(float* params, const float* grads, double lr, double weight_decay);

  int64_t t() const { return t_; }
  void set_t(int64_t t) { t_ = t; }
  std::vector<float>& m() { return m_; }
  std::vector<float>& v() { return v_; }
  const AdamWConfig& config() const { return config_; }

 private:
  AdamWConfig config_;
  std::vector<ParamSegment> segments_;
  std::vector<float> m_, v_;
  int64_t t_ = 0;
};

// Scales grads so their global L2 norm is at most max_norm; returns the norm before clipping.
double clip_grad_norm(float* grads, int64_t n, double max_norm);
double grad_norm(const float* grads, int64_t n);

}  // namespace abacus::train
