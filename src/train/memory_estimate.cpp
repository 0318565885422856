#include "src/train/memory_estimate.h"

#include <cstdio>
#include <fstream>
#include <string>

#include "src/util/error.h"

namespace abacus::train {

double training_memory_bytes(const ModelConfig& c, int64_t batch, int64_t seq) {
  const double P = double(c.params_total());
  // fp32 latent weights, gradients, AdamW m and v, one quantized/working copy.
  const double params = 5.0 * 4.0 * P;
  const double tokens = double(batch) * double(seq);
  const double d = double(c.hidden_size), f = double(c.intermediate_size), h = double(c.num_attention_heads);
  // Per token and layer: norms, q/k/v/o, residuals and their quantized inputs (~16 d), the FFN
  // (~6 f), attention probabilities (2 x heads x seq).
  const double per_token_layer = 16.0 * d + 6.0 * f + 2.0 * h * double(seq);
  const double acts = 4.0 * tokens * double(c.num_hidden_layers) * per_token_layer;
  const double logits = 3.0 * 4.0 * tokens * double(c.vocab_size);  // logits, softmax, gradient
  return params + acts + logits;
}

uint64_t available_memory_bytes() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  uint64_t kb = 0;
  std::string unit;
  while (in >> key >> kb >> unit)
    if (key == "MemAvailable:") return kb * 1024;
  return 0;
}

void check_training_fits(const ModelConfig& c, int64_t batch, int64_t seq, const std::string& config_file) {
  if (c.vocab_size > 65536)
    fail(config_file, "vocab_size", std::to_string(c.vocab_size) +
                                        " is above 65536, the most the uint16 token shards can hold");
  const double need = training_memory_bytes(c, batch, seq);
  const uint64_t avail = available_memory_bytes();
  if (avail > 0 && need > double(avail)) {
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "training needs about %.1f GiB (%lld parameters, batch %lld x seq %lld) but %.1f GiB is available",
                  need / double(1ull << 30), (long long)c.params_total(), (long long)batch, (long long)seq,
                  double(avail) / double(1ull << 30));
    fail(config_file, "", buf);
  }
}

}  // namespace abacus::train
