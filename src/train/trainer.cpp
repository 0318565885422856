#include "src/train/trainer.h"

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "src/data/batch_loader.h"
#include "src/data/corpus.h"
#include "src/data/token_shard.h"
#include "src/data/tokenizer.h"
#include "src/dist/communicator.h"
#include "src/dist/data_parallel.h"
#include "src/device/device_trainer.h"
#include "src/eval/perplexity.h"
#include "src/io/atomic_file.h"
#include "src/model/lm.h"
#include "src/tensor/matmul.h"
#include "src/tensor/parallel.h"
#include "src/tensor/rng.h"
#include "src/train/adamw.h"
#include "src/train/checkpoint.h"
#include "src/train/memory_estimate.h"
#include "src/train/run_log.h"
#include "src/train/schedule.h"
#include "src/util/device.h"
#include "src/util/error.h"

namespace abacus::train {

namespace fs = std::filesystem;

TrainResult run_training(const TrainOptions& options) {
  dist::Communicator& comm = options.comm ? *options.comm : dist::world();
  const bool root = comm.rank() == 0;  // rank 0 alone writes files and prints
  TrainOptions opt = options;
  opt.quiet = options.quiet || !root;
  if (opt.out_dir.empty()) fail("", "--out", "a run directory is required");
  if (opt.steps <= 0) fail("", "--steps", "must be positive");
  const Device dev = select_device(opt.device);
  if (dev == Device::cuda) {  // the whole model on the GPU (src/device/device_trainer.h)
    if (std::unique_ptr<device::Backend> gpu = device::make_cuda_backend()) return device::run_device_training(opt, *gpu);
    if (!opt.quiet) std::printf("note: this program was linked without the CUDA backend; training on the CPU\n");
  }
  // Resize the pool only when the count changes (re-sizing a running pool to the same size
  // crashed in src/tensor/parallel.cpp as of this writing).
  if (opt.threads > 0 && opt.threads != tensor::num_threads()) {
    tensor::set_num_threads(opt.threads);
  }
  const fs::path out(opt.out_dir);
  const bool resuming = opt.resume && run_has_checkpoint(opt.out_dir);
  if (opt.resume && !resuming && !opt.quiet)
    std::printf("no checkpoint in %s; starting from scratch\n", opt.out_dir.c_str());

  // Configuration: the run directory's on resume, else --config.
  ModelConfig config;
  if (resuming) {
    config = ModelConfig::load(resume_config_path(opt.out_dir));
    if (!opt.config_path.empty()) {
      const ModelConfig given = ModelConfig::load(opt.config_path);
      if (given.to_json_text() != config.to_json_text())
        fail(opt.config_path, "", "differs from the config.json of the run being resumed in " + opt.out_dir);
    }
  } else {
    if (opt.config_path.empty()) fail("", "--config", "a model configuration is required");
    config = ModelConfig::load(opt.config_path);
  }
  check_training_fits(config, opt.batch, opt.seq, resuming ? resume_config_path(opt.out_dir) : opt.config_path);
  fs::create_directories(out);

  // Tokenizer and token shards.
  const std::string run_tok = (out / "tokenizer.model").string();
  const std::string train_bin = (out / "train.bin").string(), val_bin = (out / "val.bin").string();
  std::vector<int32_t> train_tokens, val_tokens;
  if (!root) {
    comm.barrier();  // rank 0 has written the shards
    train_tokens = data::read_token_shard(train_bin);
    val_tokens = data::read_token_shard(val_bin);
  } else if (resuming && fs::exists(train_bin) && fs::exists(val_bin) && fs::exists(run_tok)) {
    train_tokens = data::read_token_shard(train_bin);
    val_tokens = data::read_token_shard(val_bin);
  } else {
    if (opt.data_path.empty()) fail("", "--data", "a corpus directory is required");
    const data::DocumentSplit split = data::split_documents(data::read_documents(opt.data_path));
    const std::string tok_path =
        opt.tokenizer_path.empty() ? default_tokenizer_path(opt.data_path, config.vocab_size) : opt.tokenizer_path;
    if (!fs::exists(tok_path)) {
      if (!opt.tokenizer_path.empty()) data::Tokenizer::load(tok_path);  // an explicit path must exist: Error
      if (!opt.quiet) std::printf("training a %lld-piece BPE tokenizer -> %s\n", (long long)config.vocab_size, tok_path.c_str());
      data::Tokenizer::train(split.train, int(config.vocab_size), tok_path);
    }
    const data::Tokenizer tok = data::Tokenizer::load(tok_path);
    if (tok.vocab_size() > config.vocab_size)
      fail(tok_path, "vocab_size", "tokenizer has " + std::to_string(tok.vocab_size()) +
                                       " pieces, more than the model's vocab_size " + std::to_string(config.vocab_size));
    train_tokens = data::tokenize_documents(tok, split.train);
    val_tokens = data::tokenize_documents(tok, split.validation);
    io::write_file_atomic(run_tok, io::read_file(tok_path));
    data::write_token_shard(train_bin, train_tokens);
    data::write_token_shard(val_bin, val_tokens);
    if (!opt.quiet)
      std::printf("data: %zu train docs (%zu tokens), %zu validation docs (%zu tokens)\n", split.train.size(),
                  train_tokens.size(), split.validation.size(), val_tokens.size());
  }
  if (root) comm.barrier();

  // Model, optimizer, schedule.
  model::LanguageModel<float> m(config);
  const model::ParamLayout& layout = m.layout();
  const TrainingHints hints = config.training.value_or(TrainingHints{});
  AdamWConfig acfg;
  acfg.beta1 = opt.beta1.value_or(hints.beta1);
  acfg.beta2 = opt.beta2.value_or(hints.beta2);
  std::vector<ParamSegment> segs;
  for (const model::ParamSpec& p : layout.params()) segs.push_back({p.offset, p.numel, p.decay});
  AdamW adam(m.num_params(), acfg, segs);

  TrainerState st;
  st.total_steps = opt.steps;
  st.batch = opt.batch;
  st.seq = opt.seq;
  st.seed = opt.seed;
  tensor::Rng rng(opt.seed);
  data::BatchLoader loader(train_tokens, opt.batch, opt.seq);
  MetricsLog metrics{(out / "metrics.csv").string(), {}};
  if (resuming) {
    const ResumedCheckpoint rc = load_latest_checkpoint(opt.out_dir, config, m.params(), adam);
    for (const std::string& why : rc.skipped) std::fprintf(stderr, "warning: skipped checkpoint %s\n", why.c_str());
    st = rc.state;
    if (st.batch != opt.batch || st.seq != opt.seq)
      fail(rc.dir + "/trainer.json", "batch/seq", "resume needs the same --batch and --seq as the run (" +
                                          std::to_string(st.batch) + ", " + std::to_string(st.seq) + ")");
    if (st.step > opt.steps)
      fail(rc.dir + "/trainer.json", "step", "the run is at step " + std::to_string(st.step) + ", beyond --steps " +
                                                 std::to_string(opt.steps));
    st.total_steps = opt.steps;
    rng = tensor::Rng::from_string(st.rng);
    loader.set_state(st.data_position, st.data_epoch);
    metrics.load_until(st.step);
    if (!opt.quiet) std::printf("resumed %s from %s (step %lld)\n", opt.out_dir.c_str(), rc.dir.c_str(), (long long)st.step);
  } else {
    m.init_weights(rng.next_u64());
    st.rng = rng.to_string();
    if (root) {
      fs::remove(metrics.path);
      remove_checkpoint_generations(opt.out_dir);  // an old run's generations must not be resumed
    }
  }

  Schedule sched;
  sched.kind = parse_schedule(opt.schedule.value_or(hints.schedule));
  sched.peak = opt.lr.value_or(hints.lr);
  sched.peak2 = opt.lr2.value_or(hints.lr_stage2.value_or(sched.peak * 2.0 / 3.0));
  sched.wd = opt.weight_decay.value_or(hints.weight_decay);
  sched.wd2 = opt.weight_decay2.value_or(hints.weight_decay_stage2.value_or(0.0));
  sched.end_ratio = opt.end_lr_ratio.value_or(0.1);
  sched.power = opt.power;
  // The presets' warm-up is sized for long runs; short runs warm up over at most a tenth.
  sched.warmup = opt.warmup.value_or(std::min<int64_t>(hints.warmup_steps, opt.steps / 10));
  sched.total = opt.steps;

  if (!opt.quiet)
    std::printf("model %s: %lld parameters, quant %s | batch %lld x seq %lld | %s schedule, lr %.3g, wd %.3g\n",
                config.name.empty() ? "(unnamed)" : config.name.c_str(), (long long)m.num_params(),
                quant_name(config.quant), (long long)opt.batch, (long long)opt.seq, schedule_name(sched.kind),
                sched.peak, sched.wd);

  const int64_t eval_every = opt.eval_every > 0 ? opt.eval_every : std::max<int64_t>(1, opt.steps / 5);
  const int64_t ckpt_every = opt.checkpoint_every > 0 ? opt.checkpoint_every : eval_every;
  const int64_t end_step = opt.stop_after > 0 ? std::min(opt.stop_after, opt.steps) : opt.steps;

  TrainResult res;
  res.first_step = st.step;
  res.val_loss = std::nan("");
  res.params = m.num_params();
  std::vector<int32_t> in(size_t(opt.batch * opt.seq)), tg(size_t(opt.batch * opt.seq));
  dist::DataParallelStep grad_step(comm, opt.batch,
                                   opt.micro_batch > 0 ? opt.micro_batch : dist::default_micro_batch(opt.batch, comm.size()),
                                   opt.seq);
  if (!opt.quiet && (comm.size() > 1 || grad_step.micro_batches() > 1))
    std::printf("data parallel: %d rank(s) (%s), %lld micro-batches of %lld sequences per step\n", comm.size(),
                comm.backend().c_str(), (long long)grad_step.micro_batches(), (long long)grad_step.micro_batch());
  const auto t_start = std::chrono::steady_clock::now();
  auto t_log = t_start;
  int64_t tokens_since_log = 0, steps_run = 0;
  auto checkpoint = [&]() {
    st.data_position = loader.position();
    st.data_epoch = loader.epoch();
    st.rng = rng.to_string();
    if (root) save_checkpoint_generation(opt.out_dir, config, m.params(), adam, st, opt.keep_checkpoints);
  };
  while (st.step < end_step) {
    loader.next(in.data(), tg.data());
    const double loss = grad_step.run(m, in.data(), tg.data());  // forward + backward, all ranks
    if (!std::isfinite(loss)) fail(opt.out_dir, "training", "loss became " + std::to_string(loss) + " at step " + std::to_string(st.step));
    if (opt.clip > 0) clip_grad_norm(m.grads(), m.num_params(), opt.clip);
    const double lr = sched.lr_at(st.step);
    adam.step(m.params(), m.grads(), lr, sched.wd_at(st.step));
    res.losses.push_back(loss);
    ++st.step;
    ++steps_run;
    st.tokens += opt.batch * opt.seq;
    tokens_since_log += opt.batch * opt.seq;

    const bool do_eval = st.step % eval_every == 0 || st.step == opt.steps;
    const bool do_log = do_eval || st.step % opt.log_every == 0 || st.step == end_step;
    double val = std::nan("");
    if (do_eval && root) {
      val = eval::evaluate_loss(m, val_tokens, opt.seq, opt.batch, opt.eval_windows).loss;
      res.val_loss = val;
    }
    if (do_log) {
      const auto now = std::chrono::steady_clock::now();
      const double dt = std::chrono::duration<double>(now - t_log).count();
      const double total_dt = std::chrono::duration<double>(now - t_start).count();
      const double tps = dt > 0 ? double(tokens_since_log) / dt : 0.0;
      const double eta = total_dt / double(steps_run) * double(end_step - st.step);
      if (root) metrics.add(st.step, st.tokens, lr, loss, val, tps);
      if (!opt.quiet) {
        std::printf("step %5lld/%lld | loss %.4f | lr %.3e | %7.0f tok/s | ETA %s", (long long)st.step,
                    (long long)opt.steps, loss, lr, tps, fmt_duration(eta).c_str());
        if (!std::isnan(val)) std::printf(" | val %.4f (ppl %.2f)", val, std::exp(val));
        std::printf("\n");
        std::fflush(stdout);
      }
      t_log = now;
      tokens_since_log = 0;
    }
    if (st.step % ckpt_every == 0 || st.step == end_step) checkpoint();
  }
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  res.tokens_per_s = secs > 0 ? double(steps_run * opt.batch * opt.seq) / secs : 0.0;
  return res;
}

}  // namespace abacus::train
