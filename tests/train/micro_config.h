// Micro model configurations for the training tests (built in code, not from files).
#pragma once
#include "src/model/config.h"

namespace abacus::test {

inline ModelConfig micro_config(Quant q, NormKind norm, FfnKind ffn, bool subln, int64_t kv_heads = 2,
                                bool tied = true) {
  ModelConfig c;
  c.name = "micro";
  c.hidden_size = 16;
  c.intermediate_size = 24;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 2;
  c.num_key_value_heads = kv_heads;
  c.vocab_size = 32;
  c.max_position_embeddings = 16;
  c.quant = q;
  c.norm = norm;
  c.ffn = ffn;
  c.subln = subln;
  c.tie_word_embeddings = tied;
  c.hidden_act = ffn == FfnKind::gelu ? "gelu" : ffn == FfnKind::swiglu ? "silu" : "relu2";
  return c;
}

}  // namespace abacus::test
