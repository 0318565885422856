// A tiny BitNet model (random init) and a trace of its inference: prefill of 7 tokens, then
// greedy decode steps; also captures each call's y and acc as the model handed them over.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "src/model/inference.h"
#include "src/model/lm.h"
#include "src/trace/trace.h"

namespace abacus::test {

inline ModelConfig tiny_config(Quant q) {
  ModelConfig c;
  c.name = "trace-test";
  c.hidden_size = 32;
  c.intermediate_size = 48;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 2;
  c.vocab_size = 40;
  c.max_position_embeddings = 24;
  c.quant = q;
  c.norm = q == Quant::b1 ? NormKind::layernorm : NormKind::rmsnorm;
  c.ffn = FfnKind::swiglu;
  c.hidden_act = "silu";
  return c;
}

struct Captured {
  std::vector<float> y;
  std::vector<int32_t> acc;
};

// Runs prefill + `decode` greedy steps, writing the trace and capturing each call's y and acc
// as the model handed them to the observer.
inline std::map<std::string, Captured> make_trace(const ModelConfig& c, const std::string& path, int decode) {
  model::LanguageModel<float> lm(c);
  lm.init_weights(7);
  model::InferenceModel inf(c, lm.params());
  std::vector<int32_t> prompt = {1, 5, 9, 3, 17, 22, 8};
  trace::TraceWriter writer(c, prompt);
  std::map<std::string, Captured> captured;
  int64_t step = 0;
  nn::BitLinearObserver both = [&](const nn::BitLinearRecord& r) {
    writer.add(r);
    Captured& k = captured["step" + std::to_string(step) + "." + r.name];
    k.y.assign(r.y, r.y + r.T * r.N);
    k.acc.assign(r.acc, r.acc + r.T * r.N);
  };
  writer.begin_step(0, prompt);
  std::vector<float> logits = inf.forward(prompt.data(), int64_t(prompt.size()), 0, &both);
  int64_t pos = int64_t(prompt.size());
  for (int s = 1; s <= decode; ++s) {
    const float* last = logits.data() + logits.size() - std::size_t(c.vocab_size);
    int32_t next = 0;
    for (int32_t v = 1; v < c.vocab_size; ++v)
      if (last[v] > last[next]) next = v;
    step = s;
    writer.begin_step(pos, {next});
    logits = inf.forward(&next, 1, pos, &both);
    ++pos;
  }
  writer.write(path);
  return captured;
}

}  // namespace abacus::test
