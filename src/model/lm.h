// Decoder-only language model for training, llm.c style: one flat parameter buffer and one
// flat gradient buffer (layout in param_layout.h), explicit forward(tokens, targets) -> loss
// and backward() -> grads through every layer. Templated on float (training) and double
// (gradient checks). BitNet projections run BitLinear's training path (fake quantization,
// STE); fp projections run ordinary Linear layers.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "src/model/config.h"
#include "src/model/param_layout.h"

namespace abacus::model {

template <class T>
class LanguageModel {
 public:
  explicit LanguageModel(const ModelConfig& config);
  ~LanguageModel();
  LanguageModel(LanguageModel&&) noexcept;

  const ModelConfig& config() const { return config_; }
  const ParamLayout& layout() const { return layout_; }
  int64_t num_params() const { return layout_.total(); }
  T* params() { return params_.data(); }
  const T* params() const { return params_.data(); }
  T* grads() { return grads_.data(); }
  T* param(const std::string& name) { return params_.data() + layout_.at(name).offset; }
  T* grad(const std::string& name) { return grads_.data() + layout_.at(name).offset; }

  // GPT-2 style: N(0, 0.02) matrices and embeddings (o and down scaled by 1/sqrt(2 L)), norm gains 1.
  void init_weights(uint64_t seed);

  // tokens [B*Tn]; targets [B*Tn] (negative = ignored) or null. Returns the mean loss over the
  // counted targets (0 when targets is null) and keeps the activations for backward().
  double forward(const int32_t* tokens, const int32_t* targets, int64_t B, int64_t Tn);
  // Per-position losses of the last forward with targets, [B*T].
  const T* losses() const;
  // Logits of the last forward, [B*T, vocab].
  const T* logits() const;
  void zero_grad();
  // Accumulates d(mean loss)/d(params) into grads(); needs a forward with targets first.
  void backward();

 private:
  struct Acts;
  ModelConfig config_;
  ParamLayout layout_;
  std::vector<T> params_, grads_;
  std::unique_ptr<Acts> acts_;
};

extern template class LanguageModel<float>;
extern template class LanguageModel<double>;

}  // namespace abacus::model
