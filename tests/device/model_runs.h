// N training steps of one model from the same weights and batches on the CPU core
// (LanguageModel<float> + train::AdamW, the reference) and on a device backend (DeviceLM), for
// the device-path tests (tests/device on the CPU backend, tests/cuda on the GPU).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "src/device/device_lm.h"
#include "src/model/lm.h"
#include "src/train/adamw.h"

namespace abacus::test {

struct StepRun {
  std::vector<double> losses;           // loss of every step
  std::vector<float> params;            // after the last step
  std::vector<device::BitLinearCall> first_calls;  // BitLinear calls of the first forward (device only)
};

inline std::vector<int32_t> random_tokens(int64_t n, int64_t V, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_int_distribution<int32_t> d(0, int32_t(V - 1));
  std::vector<int32_t> t(static_cast<size_t>(n));
  for (int32_t& x : t) x = d(rng);
  return t;
}

struct RunSpec {
  int64_t steps = 4, B = 2, T = 8;
  double lr = 2e-3, wd = 0.1;
  uint64_t init_seed = 7;
};

// Every step sees the same random batch (so the loss must fall as the model fits it); targets
// are the next tokens.
inline void batch_of(const ModelConfig& c, const RunSpec& r, int64_t, std::vector<int32_t>& in,
                     std::vector<int32_t>& tg) {
  const std::vector<int32_t> t = random_tokens(r.B * r.T + 1, c.vocab_size, 100u);
  in.assign(t.begin(), t.end() - 1);
  tg.assign(t.begin() + 1, t.end());
}

inline StepRun run_reference(const ModelConfig& c, const RunSpec& r) {
  model::LanguageModel<float> m(c);
  m.init_weights(r.init_seed);
  std::vector<train::ParamSegment> segs;
  for (const model::ParamSpec& p : m.layout().params()) segs.push_back({p.offset, p.numel, p.decay});
  train::AdamW adam(m.num_params(), train::AdamWConfig{}, segs);
  StepRun out;
  std::vector<int32_t> in, tg;
  for (int64_t s = 0; s < r.steps; ++s) {
    batch_of(c, r, s, in, tg);
    out.losses.push_back(m.forward(in.data(), tg.data(), r.B, r.T));
    m.zero_grad();
    m.backward();
    adam.step(m.params(), m.grads(), r.lr, r.wd);
  }
  out.params.assign(m.params(), m.params() + m.num_params());
  return out;
}

inline StepRun run_device(device::Backend& be, const ModelConfig& c, const RunSpec& r) {
  model::LanguageModel<float> init(c);
  init.init_weights(r.init_seed);
  device::DeviceLM m(c, be);
  m.set_params(init.params());
  const train::AdamWConfig ac;
  const device::AdamWSettings as{ac.beta1, ac.beta2, ac.eps};
  StepRun out;
  std::vector<int32_t> in, tg;
  for (int64_t s = 0; s < r.steps; ++s) {
    batch_of(c, r, s, in, tg);
    out.losses.push_back(m.forward(in.data(), tg.data(), r.B, r.T));
    if (s == 0) out.first_calls = m.bitlinear_calls();
    m.zero_grad();
    m.backward();
    m.adamw_step(as, r.lr, r.wd);
  }
  out.params.resize(size_t(m.num_params()));
  m.get_params(out.params.data());
  return out;
}

inline double max_abs_diff(const std::vector<float>& a, const std::vector<float>& b) {
  double d = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) d = std::max(d, double(std::fabs(a[i] - b[i])));
  return d;
}

}  // namespace abacus::test
