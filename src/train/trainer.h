// The training loop: data preparation (tokenizer, shards), model init, AdamW + schedule,
// periodic validation, progress line, metrics.csv, checkpoints and exact resume.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace abacus::dist {
class Communicator;
}

namespace abacus::train {

struct TrainOptions {
  std::string config_path;     // model config (optional with resume: the run dir's config.json)
  std::string data_path;       // corpus directory or .txt file
  std::string out_dir;         // run directory = checkpoint directory
  std::string tokenizer_path;  // default: <data>/tokenizer-<vocab>.model, trained when missing
  int64_t steps = 300, batch = 8, seq = 128;
  bool resume = false;
  uint64_t seed = 1337;
  int threads = 0;  // 0: library defaults
  std::string device = "auto";
  // Overrides of the config's training hints.
  std::optional<double> lr, lr2, weight_decay, weight_decay2, beta1, beta2, end_lr_ratio;
  std::optional<int64_t> warmup;
  std::optional<std::string> schedule;
  double power = 1.0;       // polynomial decay power
  double clip = 0.0;        // gradient clipping max norm (0 = off, as the papers)
  int64_t eval_every = 0;   // 0: steps / 5
  int64_t eval_windows = 128;
  int64_t checkpoint_every = 0;  // 0: at evaluations and at the end
  int64_t log_every = 10;
  int64_t keep_checkpoints = 2;  // checkpoint generations kept (0 = all)
  int64_t stop_after = 0;   // > 0: stop after this step (checkpointed), as if interrupted
  bool quiet = false;
  // Data parallel (src/dist/data_parallel.h): sequences per micro-batch (0: batch / ranks)
  // and the communicator (null: dist::world(), i.e. MPI under mpirun, else one process).
  // Rank 0 prepares the data, evaluates, logs and checkpoints; the run directory must be
  // visible to every rank.
  int64_t micro_batch = 0;
  dist::Communicator* comm = nullptr;
};

struct TrainResult {
  std::vector<double> losses;  // training loss of every step run by this call
  int64_t first_step = 0;      // step index of losses[0]
  double val_loss = 0.0;       // last validation loss (NaN if none)
  double tokens_per_s = 0.0;
  int64_t params = 0;
};

TrainResult run_training(const TrainOptions& opt);

}  // namespace abacus::train
