// Configuration of one bottom-up family model (models/families/*.json), field-checked: every
// field is validated, unknown fields (including those of another family) are errors naming
// the file and field.
//
//   family        "mlp" | "sgc" | "gcn" | "encoder" | "encdec"
//   name          display name (optional)
//   quant         "fp" | "b1.58" | "b1.58-median"
//   act_scale     128 (the authors' code, default) | 127 (abacus's LM convention)
//   hidden_size   MLP/GCN hidden units; transformer model width d (absent for sgc)
//   data          { labels: "genre" | "coarse" (mlp/sgc/gcn), features: "tfidf" | "binary"
//                   (mlp), vocab_size, chunk_words (words per document chunk), window (PMI
//                   window, sgc/gcn), seq_len (encoder/encdec), mask_fraction (encoder/encdec),
//                   mean_span (encdec) }
//   layers, heads, ffn_size, max_positions (encoder); plus decoder_layers, rel_buckets,
//   rel_max_distance (encdec)
//   training      { steps (epochs for mlp, full-batch steps for sgc/gcn, batches for the
//                   transformers), batch_size (mlp/encoder/encdec), lr, weight_decay,
//                   warmup, beta1, beta2 }
#pragma once
#include <cstdint>
#include <string>

#include "src/model/config.h"

namespace abacus::families {

enum class Family { mlp, sgc, gcn, encoder, encdec };
const char* family_name(Family f);

struct FamilyData {
  std::string labels = "genre";   // "genre" (15 Brown genres) | "coarse" (informative/imaginative)
  std::string features = "tfidf";
  int64_t vocab_size = 2000;
  int64_t chunk_words = 200;
  int64_t window = 20;
  int64_t seq_len = 64;
  double mask_fraction = 0.15;
  double mean_span = 3.0;
};

struct FamilyTraining {
  int64_t steps = 10;
  int64_t batch_size = 32;
  double lr = 1e-3;
  double weight_decay = 0.0;
  int64_t warmup = 0;
  double beta1 = 0.9, beta2 = 0.999;
};

struct FamilyConfig {
  Family family = Family::mlp;
  std::string name;
  Quant quant = Quant::fp;
  float act_scale = 128.f;
  int64_t hidden_size = 0;
  int64_t layers = 0, decoder_layers = 0, heads = 0, ffn_size = 0, max_positions = 0;
  int64_t rel_buckets = 32, rel_max_distance = 128;
  FamilyData data;
  FamilyTraining training;
  bool transformer() const { return family == Family::encoder || family == Family::encdec; }
};

FamilyConfig parse_family_config(const std::string& json_text, const std::string& file);
FamilyConfig load_family_config(const std::string& path);
std::string family_config_json(const FamilyConfig& c);  // round-trips through parse

}  // namespace abacus::families
