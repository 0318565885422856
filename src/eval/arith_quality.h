// Model quality under accelerator arithmetic, for design-space sweeps: validation loss and
// perplexity of one model through the integer inference path for each distinct arithmetic
// configuration (src/accel/arith_config.h), computed once per ArithConfig::key() and cached, so
// design points that differ only in timing, buffer or energy fields cost no evaluation.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "src/accel/arith_config.h"
#include "src/eval/perplexity.h"
#include "src/model/config.h"

namespace abacus::eval {

class ArithQuality {
 public:
  // Evaluates the software reference at construction (the baseline of every delta).
  ArithQuality(const ModelConfig& config, std::vector<float> params, std::vector<int32_t> tokens, int64_t seq,
               int64_t max_windows);
  const LossResult& reference() const { return reference_; }
  const LossResult& at(const accel::ArithConfig& cfg);  // cached by cfg.key()
  int64_t evaluations() const { return evaluations_; }   // model evaluations under an accelerator config

 private:
  ModelConfig config_;
  std::vector<float> params_;
  std::vector<int32_t> tokens_;
  int64_t seq_, max_windows_;
  LossResult reference_;
  std::map<std::string, LossResult> cache_;
  int64_t evaluations_ = 0;
};

}  // namespace abacus::eval
