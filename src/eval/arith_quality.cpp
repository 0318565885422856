#include "src/eval/arith_quality.h"

#include "src/accel/accel_arith.h"

namespace abacus::eval {

ArithQuality::ArithQuality(const ModelConfig& config, std::vector<float> params, std::vector<int32_t> tokens,
                           int64_t seq, int64_t max_windows)
    : config_(config), params_(std::move(params)), tokens_(std::move(tokens)), seq_(seq), max_windows_(max_windows) {
  const accel::ScopedArith none(nullptr);
  reference_ = evaluate_loss_inference(config_, params_.data(), tokens_, seq_, max_windows_);
}

const LossResult& ArithQuality::at(const accel::ArithConfig& cfg) {
  const std::string key = cfg.key();
  auto it = cache_.find(key);
  if (it != cache_.end()) return it->second;
  const accel::ScopedArith scope(&cfg);
  ++evaluations_;
  return cache_[key] = evaluate_loss_inference(config_, params_.data(), tokens_, seq_, max_windows_);
}

}  // namespace abacus::eval
