#include "energy/model_shape.h"

#include "src/io/atomic_file.h"
#include "src/io/json_fields.h"
#include "src/util/error.h"

namespace abacus::energy {

int64_t ModelShape::linear_params_per_layer() const {
  const int64_t attn = hidden * q_dim() * 2 + hidden * kv_dim() * 2;
  const int64_t ffn = hidden * intermediate * (glu ? 3 : 2);
  return attn + ffn;
}

ModelShape ModelShape::from_config(const ModelConfig& c) {
  ModelShape s;
  s.name = c.name;
  s.hidden = c.hidden_size;
  s.intermediate = c.intermediate_size;
  s.layers = c.num_hidden_layers;
  s.heads = c.num_attention_heads;
  s.kv_heads = c.num_key_value_heads > 0 ? c.num_key_value_heads : c.num_attention_heads;
  if (s.heads <= 0 || s.hidden % s.heads != 0) fail("", "num_attention_heads", "must divide hidden_size");
  s.head_dim = c.head_dim();
  s.glu = c.ffn != FfnKind::gelu;
  s.bitnet = c.is_bitnet();
  s.subln = c.subln;
  s.source = "model configuration";
  return s;
}

ModelShape ModelShape::from_json_text(const std::string& text, const std::string& file) {
  const io::Json root = io::parse_json(text, file);
  if (!root.is_object()) fail(file, "", "expected a JSON object at top level");
  io::JsonFields f(root, file);
  ModelShape s;
  s.name = f.get<std::string>("name");
  s.hidden = f.get_int("hidden_size", 1, 1 << 20);
  s.intermediate = f.get_int("intermediate_size", 1, 1 << 22);
  s.layers = f.get_int("num_hidden_layers", 1, 100000);
  s.heads = f.get_int("num_attention_heads", 1, 1 << 16);
  s.kv_heads = f.get_int_or("num_key_value_heads", s.heads, 1, s.heads);
  if (s.heads % s.kv_heads != 0) f.error("num_key_value_heads", "must divide num_attention_heads");
  if (f.has("head_dim")) {
    s.head_dim = f.get_int("head_dim", 1, 1 << 16);
  } else {
    if (s.hidden % s.heads != 0) f.error("num_attention_heads", "must divide hidden_size when head_dim is not given");
    s.head_dim = s.hidden / s.heads;
  }
  s.glu = f.get_enum("ffn", {"glu", "mlp"}) == "glu";
  const std::string q = f.get_enum("quant", {"fp", "b1", "b1.58", "b1.58-median"});
  s.bitnet = q != "fp";
  s.subln = f.get_or<bool>("subln", false);
  s.source = f.get<std::string>("source");
  if (s.source.empty()) f.error("source", "must say where the shape comes from");
  f.finish();
  return s;
}

ModelShape ModelShape::load(const std::string& path) { return from_json_text(io::read_file(path), path); }

std::string reference_models_dir() { return ABACUS_ENERGY_REFERENCE_DIR; }

ModelShape ModelShape::reference(const std::string& stem) { return load(reference_models_dir() + "/" + stem + ".json"); }

}  // namespace abacus::energy
