// Checkpoints (design.md 5.1): a directory with
//   config.json            the model configuration
//   model.safetensors      fp32 latent weights under the ParamLayout names
//   optimizer.safetensors  AdamW m and v ("m.<name>", "v.<name>"), metadata "t" (step count)
//   trainer.json           step, total_steps, batch, seq, data position/epoch, RNG state, seed, tokens
// plus, written by the trainer, tokenizer.model, train.bin / val.bin and metrics.csv.
// Every file is written atomically. Loading checks every tensor's dtype and shape against the
// configuration and rejects missing and extra tensors, naming the file and the tensor.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "src/model/config.h"
#include "src/model/param_layout.h"
#include "src/train/adamw.h"

namespace abacus::train {

struct TrainerState {
  int64_t step = 0, total_steps = 0, batch = 0, seq = 0, tokens = 0;
  uint64_t data_position = 0, data_epoch = 0, seed = 0;
  std::string rng;  // tensor::Rng::to_string()
};

void save_model_weights(const std::string& path, const ModelConfig& config, const float* params);
// Returns the parameters in ParamLayout(config) order.
std::vector<float> load_model_weights(const std::string& path, const ModelConfig& config);

void save_optimizer(const std::string& path, const model::ParamLayout& layout, AdamW& opt);
void load_optimizer(const std::string& path, const model::ParamLayout& layout, AdamW& opt);

void save_trainer_state(const std::string& path, const TrainerState& s);
TrainerState load_trainer_state(const std::string& path);

// The whole directory (optimizer and trainer state when given).
void save_checkpoint(const std::string& dir, const ModelConfig& config, const float* params, AdamW* opt,
                     const TrainerState* state);

// A checkpoint directory's config.json + model.safetensors.
struct LoadedModel {
  ModelConfig config;
  std::vector<float> params;
};
LoadedModel load_checkpoint_model(const std::string& dir);

}  // namespace abacus::train
