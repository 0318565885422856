// abacus train: train a model from a config on a text corpus (see src/train/trainer.h).
#include <boost/program_options.hpp>
#include <iostream>

#include "src/cli/accel_option.h"
#include "src/cli/command.h"
#include "src/cli/option_checks.h"
#include "src/cli/options.h"
#include "src/train/checkpoint.h"
#include "src/train/schedule.h"
#include "src/train/trainer.h"

namespace po = boost::program_options;

namespace {

int run(int argc, char** argv) {
  abacus::train::TrainOptions o;
  double lr = 0, lr2 = 0, wd = -1, wd2 = -1, beta1 = 0, beta2 = 0;
  int64_t warmup = -1;
  std::string schedule, accel_path;
  bool force = false;
  po::options_description desc(
      "abacus train: train a BitNet (b1, b1.58, b1.58-median) or fp model on a text corpus\n\n"
      "usage: abacus train --config models/tiny-1m-b1.58.json --data data/brown --out runs/x --steps N\n\n"
      "The run directory is the checkpoint: checkpoints/step-N/ holds each committed generation (config.json,\n"
      "model.safetensors, optimizer.safetensors, trainer.json; written to a temporary folder and renamed),\n"
      "the newest one's config.json, model.safetensors and trainer.json are also in the run directory, with\n"
      "tokenizer.model, train.bin/val.bin uint16 token shards and metrics.csv.\n"
      "Hyper-parameters default to the config's \"training\" hints; flags override them.\n\noptions");
  desc.add_options()("help,h", "show this help")
      ("config", po::value(&o.config_path), "model configuration JSON (optional with --resume)")
      ("data", po::value(&o.data_path), "corpus: directory of .txt documents, or one .txt file (blank-line separated)")
      ("out", po::value(&o.out_dir), "run directory (created)")
      ("tokenizer", po::value(&o.tokenizer_path),
       "SentencePiece model (default <data>/tokenizer-<vocab_size>.model, trained on first use)")
      ("steps", po::value(&o.steps)->default_value(300), "optimizer steps (schedule length)")
      ("batch", po::value(&o.batch)->default_value(8), "sequences per step")
      ("seq", po::value(&o.seq)->default_value(128), "tokens per sequence")
      ("micro-batch", po::value(&o.micro_batch)->default_value(0),
       "sequences per micro-batch; gradients of the --batch / N micro-batches are added in a fixed tree "
       "order (0 = batch / MPI ranks). Under mpirun the ranks split the micro-batches; the result equals "
       "one process with the same --batch and --micro-batch bit for bit")
      ("lr", po::value(&lr), "peak learning rate")
      ("lr2", po::value(&lr2), "two-stage schedule: peak LR of stage 2")
      ("weight-decay", po::value(&wd), "AdamW weight decay (stage 1)")
      ("weight-decay2", po::value(&wd2), "two-stage schedule: weight decay of stage 2")
      ("beta1", po::value(&beta1), "AdamW beta1")
      ("beta2", po::value(&beta2), "AdamW beta2")
      ("warmup", po::value(&warmup), "warm-up steps (default min(config hint, steps/10))")
      ("schedule", po::value(&schedule), "linear | polynomial | cosine | two-stage")
      ("power", po::value(&o.power)->default_value(1.0), "polynomial decay power")
      ("clip", po::value(&o.clip)->default_value(0.0), "gradient clipping max L2 norm (0 = off)")
      ("eval-every", po::value(&o.eval_every)->default_value(0), "validation every N steps (0 = steps/5)")
      ("eval-windows", po::value(&o.eval_windows)->default_value(128), "validation windows per evaluation (0 = all)")
      ("checkpoint-every", po::value(&o.checkpoint_every)->default_value(0), "checkpoint every N steps (0 = at evaluations)")
      ("log-every", po::value(&o.log_every)->default_value(10), "progress line every N steps")
      ("stop-after", po::value(&o.stop_after)->default_value(0), "stop (checkpointed) after this step, as if interrupted")
      ("resume", po::bool_switch(&o.resume),
       "continue the run in --out from its newest complete checkpoint (bit-identical); --batch, --seq and\n"
       "--steps default to the run's")
      ("force", po::bool_switch(&force), "start a fresh run in an --out that already holds one (its checkpoints are removed)")
      ("keep-checkpoints", po::value(&o.keep_checkpoints)->default_value(2),
       "checkpoint generations kept in <out>/checkpoints (0 = all)")
      ("seed", po::value(&o.seed)->default_value(1337), "random seed (weights init)")
      ("threads", po::value(&o.threads)->default_value(0), "CPU threads (0 = all)")
      ("device", po::value(&o.device)->default_value("auto"), "auto | cpu | cuda")
      ("accel", po::value(&accel_path), "train under an accelerator config's arithmetic (quantization-aware: its act_bits and ppu_precision in the forward, STE backward; CPU only)");
  po::variables_map vm;
  if (!abacus::cli::parse_options(argc, argv, desc, vm)) return 0;
  if (vm.count("lr")) o.lr = lr;
  if (vm.count("lr2")) o.lr2 = lr2;
  if (vm.count("weight-decay")) o.weight_decay = wd;
  if (vm.count("weight-decay2")) o.weight_decay2 = wd2;
  if (vm.count("beta1")) o.beta1 = beta1;
  if (vm.count("beta2")) o.beta2 = beta2;
  if (vm.count("warmup")) o.warmup = warmup;
  if (vm.count("schedule")) o.schedule = schedule;
  namespace cli = abacus::cli;
  // On resume the run's own batch, seq and length are the defaults (repeating them is optional).
  if (o.resume && !o.out_dir.empty()) {
    if (const auto st = abacus::train::peek_latest_trainer_state(o.out_dir)) {
      if (vm["batch"].defaulted()) o.batch = st->batch;
      if (vm["seq"].defaulted()) o.seq = st->seq;
      if (vm["steps"].defaulted()) o.steps = st->total_steps;
    }
  }
  // Every numeric option is checked before any file is touched.
  cli::check_range<int64_t>("--steps", o.steps, 1, int64_t(1) << 40);
  cli::check_range<int64_t>("--batch", o.batch, 1, 1 << 20);
  cli::check_range<int64_t>("--seq", o.seq, 1, 1 << 20);
  if (o.batch * o.seq > (int64_t(1) << 28)) abacus::fail("", "--batch x --seq", "more than 2^28 tokens per step");
  for (const auto& [name, v] : {std::pair<const char*, const std::optional<double>&>{"--lr", o.lr}, {"--lr2", o.lr2}})
    if (v) cli::check_range<double>(name, *v, 0.0, 10.0);
  for (const auto& [name, v] : {std::pair<const char*, const std::optional<double>&>{"--weight-decay", o.weight_decay},
                                {"--weight-decay2", o.weight_decay2}})
    if (v) cli::check_range<double>(name, *v, 0.0, 100.0);
  if (o.beta1) cli::check_range<double>("--beta1", *o.beta1, 0.0, 0.999999);
  if (o.beta2) cli::check_range<double>("--beta2", *o.beta2, 0.0, 0.999999999);
  if (o.warmup) cli::check_range<int64_t>("--warmup", *o.warmup, 0, o.steps);
  if (o.schedule) (void)abacus::train::parse_schedule(*o.schedule);
  cli::check_range<double>("--power", o.power, 0.0, 100.0);
  cli::check_range<double>("--clip", o.clip, 0.0, 1e30);
  cli::check_range<int64_t>("--eval-every", o.eval_every, 0, o.steps);
  cli::check_range<int64_t>("--eval-windows", o.eval_windows, 0, int64_t(1) << 40);
  cli::check_range<int64_t>("--checkpoint-every", o.checkpoint_every, 0, int64_t(1) << 40);
  cli::check_range<int64_t>("--keep-checkpoints", o.keep_checkpoints, 0, int64_t(1) << 40);
  cli::check_range<int64_t>("--log-every", o.log_every, 1, int64_t(1) << 40);
  cli::check_range<int64_t>("--stop-after", o.stop_after, 0, o.steps);
  cli::check_range<int>("--threads", o.threads, 0, 4096);
  if (o.device != "auto" && o.device != "cpu" && o.device != "cuda")
    abacus::fail("", "--device", "\"" + o.device + "\" is not one of auto, cpu, cuda");
  // A finished (or interrupted) run is never overwritten by accident.
  if (!o.resume && !force && !o.out_dir.empty() && abacus::train::run_has_checkpoint(o.out_dir)) {
    const auto st = abacus::train::peek_latest_trainer_state(o.out_dir);
    abacus::fail(o.out_dir, "--out",
                 "already holds a run" + (st ? " (step " + std::to_string(st->step) + " of " + std::to_string(st->total_steps) + ")" : std::string()) +
                     "; --resume continues it, --force starts over and removes its checkpoints");
  }
  if (abacus::cli::activate_accel(accel_path) && o.device == "cuda")
    abacus::fail("", "--accel", "is modelled on the CPU path only; use --device cpu");
  if (!accel_path.empty()) o.device = "cpu";
  const abacus::train::TrainResult r = abacus::train::run_training(o);
  std::cout << "done: " << r.losses.size() << " steps, " << r.tokens_per_s << " tokens/s";
  if (r.val_loss == r.val_loss) std::cout << ", validation loss " << r.val_loss;
  std::cout << "\n";
  return 0;
}

}  // namespace

static const abacus::cli::CommandRegistrar reg{{"train", "train a BitNet or fp model on a text corpus", 30, &run}};
