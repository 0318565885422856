#include "src/model/config.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <regex>

#include <nlohmann/json.hpp>

#include "src/io/atomic_file.h"
#include "src/io/json_fields.h"
#include "src/util/error.h"

namespace abacus {

const char* quant_name(Quant q) {
  switch (q) {
    case Quant::fp: return "fp";
    case Quant::b1: return "b1";
    case Quant::b158: return "b1.58";
    case Quant::b158_median: return "b1.58-median";
  }
  return "?";
}
const char* norm_name(NormKind n) { return n == NormKind::layernorm ? "layernorm" : "rmsnorm"; }
const char* ffn_name(FfnKind f) {
  switch (f) {
    case FfnKind::gelu: return "gelu";
    case FfnKind::swiglu: return "swiglu";
    case FfnKind::relu2_glu: return "relu2-glu";
  }
  return "?";
}

namespace {
const char* act_for(FfnKind f) {
  switch (f) {
    case FfnKind::gelu: return "gelu";
    case FfnKind::swiglu: return "silu";
    case FfnKind::relu2_glu: return "relu2";
  }
  return "?";
}

// Norm weights of one block (see params_total for where the norms sit).
int64_t block_norm_params(const ModelConfig& c) {
  const int64_t d = c.hidden_size, f = c.intermediate_size;
  const int64_t per_norm = 1;  // every norm (RMSNorm or LayerNorm) has a gain and no bias
  if (c.is_bitnet()) {
    // Each BitLinear normalizes its own input: q,k,v and (gate,)up see d; o sees d; down sees f.
    const int64_t n_in_d = 4 + (c.ffn == FfnKind::gelu ? 1 : 2);
    return per_norm * (n_in_d * d + f);
  }
  // Full-precision pre-norm block: one norm before attention, one before the FFN; subln adds a
  // norm before the attention output projection and one before the FFN down projection.
  int64_t n = 2 * d;
  if (c.subln) n += d + f;
  return per_norm * n;
}
}  // namespace

int64_t ModelConfig::params_non_embedding() const {
  const int64_t d = hidden_size, f = intermediate_size;
  const int64_t attn = 2 * d * d + 2 * d * kv_dim();
  const int64_t ffn = (this->ffn == FfnKind::gelu ? 2 : 3) * d * f;
  const int64_t final_norm = d;
  return num_hidden_layers * (attn + ffn + block_norm_params(*this)) + final_norm;
}

int64_t ModelConfig::params_total() const {
  return params_non_embedding() + vocab_size * hidden_size * (tie_word_embeddings ? 1 : 2);
}

ModelConfig ModelConfig::from_json_text(const std::string& text, const std::string& file) {
  io::Json j = io::parse_json(text, file);
  io::JsonFields f(j, file);
  ModelConfig c;
  c.name = f.get_or<std::string>("name", "");
  c.hidden_size = f.get_int("hidden_size", 1, 1 << 20);
  c.intermediate_size = f.get_int("intermediate_size", 1, 1 << 22);
  c.num_hidden_layers = f.get_int("num_hidden_layers", 1, 4096);
  c.num_attention_heads = f.get_int("num_attention_heads", 1, 4096);
  c.num_key_value_heads = f.get_int_or("num_key_value_heads", c.num_attention_heads, 1, 4096);
  c.vocab_size = f.get_int("vocab_size", 2, 1 << 24);
  c.max_position_embeddings = f.get_int("max_position_embeddings", 1, 1 << 24);
  c.rms_norm_eps = f.get_positive("rms_norm_eps");
  c.rope_theta = f.get_positive("rope_theta");
  c.tie_word_embeddings = f.get_or<bool>("tie_word_embeddings", true);
  const std::string q = f.get_enum("quant", {"fp", "b1", "b1.58", "b1.58-median"});
  c.quant = q == "fp" ? Quant::fp : q == "b1" ? Quant::b1 : q == "b1.58" ? Quant::b158 : Quant::b158_median;
  c.norm = f.get_enum("norm", {"layernorm", "rmsnorm"}) == "layernorm" ? NormKind::layernorm : NormKind::rmsnorm;
  const std::string ffn = f.get_enum("ffn", {"gelu", "swiglu", "relu2-glu"});
  c.ffn = ffn == "gelu" ? FfnKind::gelu : ffn == "swiglu" ? FfnKind::swiglu : FfnKind::relu2_glu;
  c.hidden_act = f.get_enum_or("hidden_act", act_for(c.ffn), {"silu", "relu2", "gelu"});
  c.subln = f.get_or<bool>("subln", false);
  c.quant_groups = f.get_int_or("quant_groups", 1, 1, 1 << 16);
  if (f.has("training")) {
    io::JsonFields t = f.object("training");
    TrainingHints h;
    h.lr = t.get_positive("lr");
    if (t.has("lr_stage2")) h.lr_stage2 = t.get_positive("lr_stage2");
    h.weight_decay = t.get_or<double>("weight_decay", h.weight_decay);
    if (h.weight_decay < 0) t.error("weight_decay", "must be >= 0");
    if (t.has("weight_decay_stage2")) {
      h.weight_decay_stage2 = t.get<double>("weight_decay_stage2");
      if (*h.weight_decay_stage2 < 0) t.error("weight_decay_stage2", "must be >= 0");
    }
    h.beta1 = t.get_or<double>("beta1", h.beta1);
    h.beta2 = t.get_or<double>("beta2", h.beta2);
    if (!(h.beta1 >= 0 && h.beta1 < 1)) t.error("beta1", "must be in [0, 1)");
    if (!(h.beta2 >= 0 && h.beta2 < 1)) t.error("beta2", "must be in [0, 1)");
    h.warmup_steps = t.get_int_or("warmup_steps", h.warmup_steps, 0, 1ll << 40);
    h.schedule = t.get_enum_or("schedule", h.schedule, {"linear", "polynomial", "cosine", "two-stage"});
    t.finish();
    c.training = h;
  }
  f.finish();

  if (c.hidden_size % c.num_attention_heads != 0)
    f.error("num_attention_heads", "must divide hidden_size (" + std::to_string(c.hidden_size) + ")");
  if (c.num_attention_heads % c.num_key_value_heads != 0)
    f.error("num_key_value_heads", "must divide num_attention_heads (" + std::to_string(c.num_attention_heads) + ")");
  if (c.hidden_act != act_for(c.ffn))
    f.error("hidden_act", "\"" + c.hidden_act + "\" does not match ffn \"" + ffn + "\" (expected \"" + act_for(c.ffn) + "\")");
  if (c.head_dim() % 2 != 0) f.error("num_attention_heads", "head dimension must be even for rotary embeddings");
  if (c.quant_groups > 1 && (c.hidden_size % c.quant_groups || c.intermediate_size % c.quant_groups))
    f.error("quant_groups", "must divide hidden_size and intermediate_size");
  return c;
}

ModelConfig ModelConfig::load(const std::string& path) { return from_json_text(io::read_file(path), path); }

std::string ModelConfig::to_json_text() const {
  nlohmann::ordered_json j;
  if (!name.empty()) j["name"] = name;
  j["hidden_size"] = hidden_size;
  j["intermediate_size"] = intermediate_size;
  j["num_hidden_layers"] = num_hidden_layers;
  j["num_attention_heads"] = num_attention_heads;
  j["num_key_value_heads"] = num_key_value_heads;
  j["vocab_size"] = vocab_size;
  j["max_position_embeddings"] = max_position_embeddings;
  j["hidden_act"] = hidden_act;
  j["rms_norm_eps"] = rms_norm_eps;
  j["rope_theta"] = rope_theta;
  j["tie_word_embeddings"] = tie_word_embeddings;
  j["quant"] = quant_name(quant);
  j["norm"] = norm_name(norm);
  j["ffn"] = ffn_name(ffn);
  j["subln"] = subln;
  j["quant_groups"] = quant_groups;
  if (training) {
    nlohmann::ordered_json t;
    t["lr"] = training->lr;
    if (training->lr_stage2) t["lr_stage2"] = *training->lr_stage2;
    t["weight_decay"] = training->weight_decay;
    if (training->weight_decay_stage2) t["weight_decay_stage2"] = *training->weight_decay_stage2;
    t["beta1"] = training->beta1;
    t["beta2"] = training->beta2;
    t["warmup_steps"] = training->warmup_steps;
    t["schedule"] = training->schedule;
    j["training"] = t;
  }
  return j.dump(2) + "\n";
}

void ModelConfig::save(const std::string& path) const { io::write_file_atomic(path, to_json_text()); }

std::string default_models_dir() {
#ifdef ABACUS_SOURCE_DIR
  return std::string(ABACUS_SOURCE_DIR) + "/models";
#else
  return "models";
#endif
}

std::vector<std::string> list_preset_files(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) fail(dir, "", "not a directory of model presets");
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (e.is_regular_file() && e.path().extension() == ".json") files.push_back(e.path().string());
  std::sort(files.begin(), files.end());
  return files;
}

std::string resolve_model_config(const std::string& name_or_path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_regular_file(name_or_path, ec)) return name_or_path;
  if (fs::is_directory(name_or_path, ec) && fs::is_regular_file(name_or_path + "/config.json", ec))
    return name_or_path + "/config.json";
  const std::string preset = default_models_dir() + "/" + name_or_path + ".json";
  if (fs::is_regular_file(preset, ec)) return preset;
  fail(name_or_path, "", "no such config file, checkpoint folder or preset (looked for " + preset + ")");
}

std::optional<double> nominal_params_from_name(const std::string& name) {
  static const std::regex part_re(R"(^(\d+(?:\.\d+)?)([kKmMbB])(?:\d+[A-Za-z])?$)");
  std::size_t start = 0;
  while (start <= name.size()) {
    const std::size_t dash = std::min(name.find('-', start), name.size());
    const std::string part = name.substr(start, dash - start);
    std::smatch m;
    if (std::regex_match(part, m, part_re)) {
      const char unit = static_cast<char>(std::tolower(static_cast<unsigned char>(m[2].str()[0])));
      const double scale = unit == 'k' ? 1e3 : unit == 'm' ? 1e6 : 1e9;
      return std::stod(m[1].str()) * scale;
    }
    start = dash + 1;
  }
  return std::nullopt;
}

std::string format_count(double n) {
  const char* unit = "";
  double v = n;
  if (std::fabs(n) >= 1e9) { v = n / 1e9; unit = "B"; }
  else if (std::fabs(n) >= 1e6) { v = n / 1e6; unit = "M"; }
  else if (std::fabs(n) >= 1e3) { v = n / 1e3; unit = "K"; }
  char buf[32];
  const int decimals = std::fabs(v) >= 100 ? 0 : std::fabs(v) >= 10 ? 1 : 2;
  std::snprintf(buf, sizeof buf, "%.*f%s", *unit ? decimals : 0, v, unit);
  return buf;
}

}  // namespace abacus
