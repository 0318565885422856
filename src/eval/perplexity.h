// Validation loss and perplexity over a token stream with NON-OVERLAPPING windows: window w
// feeds tokens [w*T, w*T+T) and scores the next token at every position (targets
// [w*T+1, w*T+T]), so each token after the first of its window is predicted with 0..T-1 tokens
// of context. Loss is the mean over every scored token; perplexity = exp(loss).
#pragma once
#include <cstdint>
#include <vector>

#include "src/model/config.h"
#include "src/model/lm.h"

namespace abacus::eval {

struct LossResult {
  double loss = 0.0, perplexity = 0.0;
  int64_t tokens = 0, windows = 0;
};

// max_windows <= 0: all windows. Batches of `batch` windows.
LossResult evaluate_loss(model::LanguageModel<float>& m, const std::vector<int32_t>& tokens, int64_t seq,
                         int64_t batch, int64_t max_windows = 0);

// The same windows through the integer inference path (model::InferenceModel: packed weights,
// integer matmul, KV cache), built from params in ParamLayout order when this is called, so it
// follows the accelerator configuration active then (src/accel). Needs seq <=
// max_position_embeddings.
LossResult evaluate_loss_inference(const ModelConfig& config, const float* params, const std::vector<int32_t>& tokens,
                                   int64_t seq, int64_t max_windows = 0);

}  // namespace abacus::eval
