// The shape facts the energy model needs from a model: widths, depth, heads and whether its
// linear layers are BitLinear. Built from a ModelConfig (models/*.json, checkpoints) or read
// from a reference-model file (energy/reference_models/*.json), which can state a head_dim
// that differs from hidden/heads (Gemma-3 1B) and cites where the shape comes from.
#pragma once
#include <cstdint>
#include <string>

#include "src/model/config.h"

namespace abacus::energy {

struct ModelShape {
  std::string name;
  int64_t hidden = 0;
  int64_t intermediate = 0;  // FFN hidden width
  int64_t layers = 0;
  int64_t heads = 0;
  int64_t kv_heads = 0;
  int64_t head_dim = 0;
  bool glu = true;      // FFN with gate, up, down (3 matrices); false: up, down (2 matrices)
  bool bitnet = false;  // linear layers are BitLinear (ternary or binary weights, int8 activations)
  bool subln = false;   // extra norm before attn.o and ffn.down inputs
  std::string source;   // where the shape comes from

  int64_t q_dim() const { return heads * head_dim; }
  int64_t kv_dim() const { return kv_heads * head_dim; }
  // Weights of the linear projections of one layer (q, k, v, o, FFN), no embeddings/LM head.
  int64_t linear_params_per_layer() const;

  static ModelShape from_config(const ModelConfig& c);
  // Reference-model file: {"name", "hidden_size", "intermediate_size", "num_hidden_layers",
  // "num_attention_heads", "num_key_value_heads", "head_dim", "ffn": "glu"|"mlp",
  // "quant": "fp"|"b1"|"b1.58", "source"}.
  static ModelShape from_json_text(const std::string& text, const std::string& file);
  static ModelShape load(const std::string& path);
  // A file of energy/reference_models by stem ("llama-3.2-1b").
  static ModelShape reference(const std::string& stem);
};

std::string reference_models_dir();

}  // namespace abacus::energy
