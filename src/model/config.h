// Model configuration (config.json): Hugging Face-like keys plus the BitNet quantization mode
// and the norm/FFN kinds. Unknown or missing fields and bad values are errors naming the field.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace abacus {

enum class Quant { fp, b1, b158, b158_median };  // "fp", "b1", "b1.58", "b1.58-median"
enum class NormKind { layernorm, rmsnorm };      // "layernorm", "rmsnorm"
enum class FfnKind { gelu, swiglu, relu2_glu };  // "gelu" (2-matrix), "swiglu", "relu2-glu"

const char* quant_name(Quant q);
const char* norm_name(NormKind n);
const char* ffn_name(FfnKind f);

// Optional training recipe carried with a preset (papers.md section 3); flags override it.
struct TrainingHints {
  double lr = 1e-3;
  std::optional<double> lr_stage2;        // b1.58 two-stage schedule: peak LR of stage 2
  double weight_decay = 0.1;
  std::optional<double> weight_decay_stage2;
  double beta1 = 0.9, beta2 = 0.95;
  int64_t warmup_steps = 375;
  std::string schedule = "linear";        // "linear", "polynomial", "cosine", "two-stage"
};

struct ModelConfig {
  std::string name;  // optional display name ("b1.58-700M")
  int64_t hidden_size = 0;
  int64_t intermediate_size = 0;
  int64_t num_hidden_layers = 0;
  int64_t num_attention_heads = 0;
  int64_t num_key_value_heads = 0;
  int64_t vocab_size = 0;
  int64_t max_position_embeddings = 0;
  std::string hidden_act = "silu";  // "silu" (swiglu), "relu2" (relu2-glu), "gelu"
  double rms_norm_eps = 1e-5;
  double rope_theta = 10000.0;
  bool tie_word_embeddings = true;
  Quant quant = Quant::fp;
  NormKind norm = NormKind::rmsnorm;
  FfnKind ffn = FfnKind::swiglu;
  bool subln = false;          // extra norm inside attention output / FFN down input (b1, 2B4T)
  int64_t quant_groups = 1;    // G of group quantization
  std::optional<TrainingHints> training;

  int64_t head_dim() const { return hidden_size / num_attention_heads; }
  int64_t kv_dim() const { return head_dim() * num_key_value_heads; }
  bool is_bitnet() const { return quant != Quant::fp; }

  // Parameter counts, matching src/model/param_layout.h: embeddings V*d (+ V*d LM head when
  // untied); per layer q,o: d*d each, k,v: d*kv_dim each, FFN 3*d*f (GLU) or 2*d*f (gelu); norm
  // gains (no biases): BitNet models give every projection its own norm over its input (d, or f
  // for down); fp models have two pre-norms per block (+ d + f with subln); one final norm.
  int64_t params_total() const;
  int64_t params_non_embedding() const;

  // Field-checked parsing; `file` is used in error messages.
  static ModelConfig from_json_text(const std::string& text, const std::string& file);
  static ModelConfig load(const std::string& path);
  std::string to_json_text() const;  // round-trips through from_json_text
  void save(const std::string& path) const;  // atomic
};

// Presets (models/*.json). The default folder is ABACUS_SOURCE_DIR/models.
std::string default_models_dir();
// Preset files (*.json) of `dir`, sorted by file name.
std::vector<std::string> list_preset_files(const std::string& dir);
// `name_or_path` if it is an existing file, else default_models_dir()/<name>.json; an unknown
// name is an Error listing where it looked.
std::string resolve_model_config(const std::string& name_or_path);
// Nominal parameter count written in a preset name: the first '-'-separated part that reads
// <number><k|M|B> (case-insensitive, optional suffix like "4T"): "b1.58-700M" -> 7e8,
// "tiny-4m-fp" -> 4e6, "b1.58-2B4T" -> 2e9. Nothing when the name has no size.
std::optional<double> nominal_params_from_name(const std::string& name);
// Human units with 3 significant digits: 1085312 -> "1.09M", 6.74e9 -> "6.74B".
std::string format_count(double n);

}  // namespace abacus
