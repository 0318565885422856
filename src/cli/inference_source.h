// Where `abacus trace` / `abacus generate` get a model: an abacus checkpoint (--checkpoint DIR)
// or a Hugging Face BitNet folder read lazily (--hf DIR, src/io/hf_bitnet.h), so a 2B-parameter
// packed release runs without its 10 GB fp32 latent copy: one matrix is expanded at a time while
// the model packs its weights.
#pragma once
#include <memory>
#include <optional>
#include <string>

#include "src/io/hf_bitnet.h"
#include "src/model/inference.h"
#include "src/train/checkpoint.h"
#include "src/util/error.h"

namespace abacus::cli {

struct InferenceSource {
  ModelConfig config;
  std::string dir;  // the checkpoint or HF folder
  std::optional<train::LoadedModel> checkpoint;
  std::optional<io::HfBitnetReader> hf;

  std::unique_ptr<model::InferenceModel> build() const {
    if (checkpoint) return std::make_unique<model::InferenceModel>(config, checkpoint->params.data());
    const io::HfBitnetReader& r = *hf;
    return std::make_unique<model::InferenceModel>(config, [&r](const std::string& name) { return r.param(name); });
  }
};

inline InferenceSource open_inference_source(const std::string& checkpoint, const std::string& hf) {
  if (checkpoint.empty() == hf.empty()) fail("", "--checkpoint/--hf", "give exactly one of them");
  InferenceSource s;
  if (!hf.empty()) {
    s.dir = hf;
    s.hf.emplace(io::HfBitnetReader::open(hf));
    s.config = s.hf->config();
  } else {
    s.dir = checkpoint;
    s.checkpoint.emplace(train::load_checkpoint_model(checkpoint));
    s.config = s.checkpoint->config;
  }
  return s;
}

}  // namespace abacus::cli
