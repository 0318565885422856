#include "src/eval/perplexity.h"

#include <algorithm>
#include <cmath>

#include "src/model/inference.h"
#include "src/util/error.h"

namespace abacus::eval {

LossResult evaluate_loss(model::LanguageModel<float>& m, const std::vector<int32_t>& tokens, int64_t seq,
                         int64_t batch, int64_t max_windows) {
  const int64_t n = int64_t(tokens.size());
  int64_t windows = (n - 1) / seq;
  if (windows <= 0) fail("", "validation data", "fewer than seq+1 tokens");
  if (max_windows > 0) windows = std::min(windows, max_windows);
  LossResult r;
  double sum = 0.0;
  std::vector<int32_t> in, tg;
  for (int64_t w0 = 0; w0 < windows; w0 += batch) {
    const int64_t B = std::min(batch, windows - w0);
    in.resize(size_t(B * seq));
    tg.resize(size_t(B * seq));
    for (int64_t b = 0; b < B; ++b)
      for (int64_t t = 0; t < seq; ++t) {
        in[size_t(b * seq + t)] = tokens[size_t((w0 + b) * seq + t)];
        tg[size_t(b * seq + t)] = tokens[size_t((w0 + b) * seq + t + 1)];
      }
    sum += m.forward(in.data(), tg.data(), B, seq) * double(B * seq);
    r.tokens += B * seq;
  }
  r.windows = windows;
  r.loss = sum / double(r.tokens);
  r.perplexity = std::exp(r.loss);
  return r;
}

LossResult evaluate_loss_inference(const ModelConfig& config, const float* params, const std::vector<int32_t>& tokens,
                                   int64_t seq, int64_t max_windows) {
  const int64_t n = int64_t(tokens.size());
  int64_t windows = (n - 1) / seq;
  if (windows <= 0) fail("", "validation data", "fewer than seq+1 tokens");
  if (seq > config.max_position_embeddings)
    fail("", "--seq", std::to_string(seq) + " exceeds max_position_embeddings " +
                          std::to_string(config.max_position_embeddings));
  if (max_windows > 0) windows = std::min(windows, max_windows);
  model::InferenceModel m(config, params);
  const int64_t V = config.vocab_size;
  LossResult r;
  double sum = 0.0;
  for (int64_t w = 0; w < windows; ++w) {
    const std::vector<float> logits = m.forward(tokens.data() + w * seq, seq, 0);
    for (int64_t t = 0; t < seq; ++t) {
      const float* l = logits.data() + t * V;
      double mx = l[0];
      for (int64_t v = 1; v < V; ++v) mx = std::max(mx, double(l[v]));
      double z = 0.0;
      for (int64_t v = 0; v < V; ++v) z += std::exp(double(l[v]) - mx);
      const int32_t target = tokens[size_t(w * seq + t + 1)];
      sum += mx + std::log(z) - double(l[target]);  // -log softmax(l)[target]
    }
    r.tokens += seq;
  }
  r.windows = windows;
  r.loss = sum / double(r.tokens);
  r.perplexity = std::exp(r.loss);
  return r;
}

}  // namespace abacus::eval
