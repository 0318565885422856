#include "src/families/family_config.h"

#include "src/io/json_fields.h"

namespace abacus::families {

const char* family_name(Family f) {
  switch (f) {
    case Family::mlp: return "mlp";
    case Family::sgc: return "sgc";
    case Family::gcn: return "gcn";
    case Family::encoder: return "encoder";
    case Family::encdec: return "encdec";
  }
  return "?";
}

FamilyConfig parse_family_config(const std::string& text, const std::string& file) {
  const io::Json j = io::parse_json(text, file);
  if (!j.is_object()) fail(file, "", "a family config must be a JSON object");
  io::JsonFields f(j, file);
  FamilyConfig c;
  const std::string fam = f.get_enum("family", {"mlp", "sgc", "gcn", "encoder", "encdec"});
  c.family = fam == "mlp" ? Family::mlp : fam == "sgc" ? Family::sgc : fam == "gcn" ? Family::gcn
           : fam == "encoder" ? Family::encoder : Family::encdec;
  c.name = f.get_or<std::string>("name", "");
  const std::string q = f.get_enum("quant", {"fp", "b1.58", "b1.58-median"});
  c.quant = q == "fp" ? Quant::fp : q == "b1.58" ? Quant::b158 : Quant::b158_median;
  c.act_scale = float(f.get_int_or("act_scale", 128, 127, 128));
  // SGC is one linear layer on S^2 X: no hidden size.
  c.hidden_size = c.family == Family::sgc ? 0 : f.get_int("hidden_size", 1, 1 << 16);
  io::JsonFields d = f.object("data");
  const bool graph = c.family == Family::sgc || c.family == Family::gcn;
  c.data.vocab_size = d.get_int("vocab_size", 16, 1 << 20);
  if (!c.transformer()) {
    c.data.labels = d.get_enum_or("labels", "genre", {"genre", "coarse"});
    c.data.chunk_words = d.get_int_or("chunk_words", 200, 10, 100000);
  }
  if (c.family == Family::mlp) c.data.features = d.get_enum_or("features", "tfidf", {"tfidf", "binary"});
  if (graph) c.data.window = d.get_int_or("window", 20, 2, 1000);
  if (c.transformer()) {
    c.data.seq_len = d.get_int("seq_len", 4, 4096);
    c.data.mask_fraction = d.get_positive("mask_fraction");
    if (c.data.mask_fraction >= 0.9) d.error("mask_fraction", "must be in (0, 0.9)");
  }
  if (c.family == Family::encdec) {
    c.data.mean_span = d.get_positive("mean_span");
    if (c.data.mean_span < 1) d.error("mean_span", "must be >= 1");
  }
  d.finish();
  if (c.transformer()) {
    c.layers = f.get_int("layers", 1, 64);
    c.heads = f.get_int("heads", 1, 256);
    c.ffn_size = f.get_int("ffn_size", 1, 1 << 18);
    c.max_positions = f.get_int_or("max_positions", c.data.seq_len, 4, 1 << 16);
    if (c.hidden_size % c.heads != 0) f.error("heads", "must divide hidden_size");
    if (c.max_positions < c.data.seq_len) f.error("max_positions", "must be >= data.seq_len");
  }
  if (c.family == Family::encdec) {
    c.decoder_layers = f.get_int("decoder_layers", 1, 64);
    c.rel_buckets = f.get_int_or("rel_buckets", 32, 4, 1024);
    c.rel_max_distance = f.get_int_or("rel_max_distance", 128, 4, 1 << 16);
  }
  io::JsonFields t = f.object("training");
  c.training.steps = t.get_int("steps", 1, 10000000);
  if (c.family == Family::mlp || c.transformer()) c.training.batch_size = t.get_int("batch_size", 1, 1 << 16);
  c.training.lr = t.get_positive("lr");
  c.training.weight_decay = t.get_or<double>("weight_decay", 0.0);
  if (c.training.weight_decay < 0 || c.training.weight_decay > 1) t.error("weight_decay", "must be in [0, 1]");
  c.training.warmup = t.get_int_or("warmup", 0, 0, 10000000);
  c.training.beta1 = t.get_or<double>("beta1", 0.9);
  c.training.beta2 = t.get_or<double>("beta2", 0.999);
  if (!(c.training.beta1 >= 0 && c.training.beta1 < 1)) t.error("beta1", "must be in [0, 1)");
  if (!(c.training.beta2 >= 0 && c.training.beta2 < 1)) t.error("beta2", "must be in [0, 1)");
  t.finish();
  f.finish();
  return c;
}

FamilyConfig load_family_config(const std::string& path) {
  const io::Json j = io::load_json_file(path);
  return parse_family_config(j.dump(), path);
}

std::string family_config_json(const FamilyConfig& c) {
  io::Json j;
  j["family"] = family_name(c.family);
  if (!c.name.empty()) j["name"] = c.name;
  j["quant"] = quant_name(c.quant);
  j["act_scale"] = int(c.act_scale);
  if (c.family != Family::sgc) j["hidden_size"] = c.hidden_size;
  io::Json d;
  d["vocab_size"] = c.data.vocab_size;
  if (!c.transformer()) {
    d["labels"] = c.data.labels;
    d["chunk_words"] = c.data.chunk_words;
  }
  if (c.family == Family::mlp) d["features"] = c.data.features;
  if (c.family == Family::sgc || c.family == Family::gcn) d["window"] = c.data.window;
  if (c.transformer()) {
    d["seq_len"] = c.data.seq_len;
    d["mask_fraction"] = c.data.mask_fraction;
    j["layers"] = c.layers;
    j["heads"] = c.heads;
    j["ffn_size"] = c.ffn_size;
    j["max_positions"] = c.max_positions;
  }
  if (c.family == Family::encdec) {
    d["mean_span"] = c.data.mean_span;
    j["decoder_layers"] = c.decoder_layers;
    j["rel_buckets"] = c.rel_buckets;
    j["rel_max_distance"] = c.rel_max_distance;
  }
  j["data"] = d;
  io::Json t;
  t["steps"] = c.training.steps;
  if (c.family == Family::mlp || c.transformer()) t["batch_size"] = c.training.batch_size;
  t["lr"] = c.training.lr;
  t["weight_decay"] = c.training.weight_decay;
  t["warmup"] = c.training.warmup;
  t["beta1"] = c.training.beta1;
  t["beta2"] = c.training.beta2;
  j["training"] = t;
  return j.dump(2);
}

}  // namespace abacus::families
