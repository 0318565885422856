// Checkpoints (design.md 5.1): a directory with
//   config.json            the model configuration
//   model.safetensors      fp32 latent weights under the ParamLayout names
//   optimizer.safetensors  AdamW m and v ("m.<name>", "v.<name>"), metadata "t" (step count)
//   trainer.json           step, total_steps, batch, seq, data position/epoch, RNG state, seed, tokens
// plus, written by the trainer, tokenizer.model, train.bin / val.bin and metrics.csv.
// Every file is written atomically. Loading checks every tensor's dtype and shape against the
// configuration and rejects missing and extra tensors, naming the file and the tensor.
//
// A training run's resumable state is kept in generations: <run>/checkpoints/step-<N>/ holds
// the four files above for step N. A generation is written into step-<N>.tmp.<pid>/ and
// committed by one rename to step-<N>/, so a kill at any point leaves either the whole
// generation or none of it. After the commit, config.json, model.safetensors and trainer.json
// are published to the run directory (hard links renamed into place) for the other commands,
// older generations beyond `keep` and stray temporaries are removed. Resume takes the newest
// generation that loads cleanly (checksums included) and says which.
#pragma once
#include <cstdint>
#include <optional>
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

// Commits generation st.step of the run in `run_dir` (see above); keep <= 0 keeps all.
void save_checkpoint_generation(const std::string& run_dir, const ModelConfig& config, const float* params,
                                AdamW& opt, const TrainerState& st, int64_t keep = 2);

// True when `run_dir` holds a committed generation or a legacy top-level trainer.json.
bool run_has_checkpoint(const std::string& run_dir);
// The trainer state of the newest generation whose trainer.json parses (or the legacy one);
// nullopt when there is none. Used to default --batch/--seq/--steps on resume.
std::optional<TrainerState> peek_latest_trainer_state(const std::string& run_dir);

// The run's config.json, or the newest generation's when a kill came between a generation's
// commit and its publication in the run folder.
std::string resume_config_path(const std::string& run_dir);

// Loads the newest complete generation into params/opt and returns its state and folder.
// A generation that fails to load (corrupt, truncated) is reported in `skipped` and the next
// older one is tried; none loading is an Error naming the run directory.
struct ResumedCheckpoint {
  std::string dir;
  TrainerState state;
  std::vector<std::string> skipped;  // "folder: reason"
};
ResumedCheckpoint load_latest_checkpoint(const std::string& run_dir, const ModelConfig& config, float* params,
                                         AdamW& opt);

// Removes every generation and temporary of `run_dir` (a fresh run into an old folder).
void remove_checkpoint_generations(const std::string& run_dir);

// A checkpoint directory's config.json + model.safetensors.
struct LoadedModel {
  ModelConfig config;
  std::vector<float> params;
};
LoadedModel load_checkpoint_model(const std::string& dir);

}  // namespace abacus::train
