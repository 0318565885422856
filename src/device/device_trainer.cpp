#include "src/device/device_trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "src/data/batch_loader.h"
#include "src/data/corpus.h"
#include "src/data/token_shard.h"
#include "src/data/tokenizer.h"
#include "src/io/atomic_file.h"
#include "src/model/lm.h"
#include "src/tensor/rng.h"
#include "src/train/adamw.h"
#include "src/train/checkpoint.h"
#include "src/train/run_log.h"
#include "src/train/schedule.h"
#include "src/util/error.h"

namespace abacus::device {

namespace fs = std::filesystem;

eval::LossResult evaluate_loss(DeviceLM& m, const std::vector<int32_t>& tokens, int64_t seq, int64_t batch,
                               int64_t max_windows) {
  const int64_t n = int64_t(tokens.size());
  int64_t windows = (n - 1) / seq;
  if (windows <= 0) fail("", "validation data", "fewer than seq+1 tokens");
  if (max_windows > 0) windows = std::min(windows, max_windows);
  eval::LossResult r;
  double sum = 0.0;
  std::vector<int32_t> in, tg;
  for (int64_t w0 = 0; w0 < windows; w0 += batch) {
    const int64_t B = std::min(batch, windows - w0);
    in.resize(size_t(B * seq));
    tg.resize(size_t(B * seq));
    for (int64_t b = 0; b < B; ++b)
      for (int64_t t = 0; t < seq; ++t) {
        in[size_t(b * seq + t)] = tokens[size_t((w0 + b) * seq + t)];
        tg[size_t(b * seq + t)] = tokens[size_t((w0 + b) * seq + t + 1)];
      }
    sum += m.forward(in.data(), tg.data(), B, seq) * double(B * seq);
    r.tokens += B * seq;
  }
  r.windows = windows;
  r.loss = sum / double(r.tokens);
  r.perplexity = std::exp(r.loss);
  return r;
}

train::TrainResult run_device_training(const train::TrainOptions& opt, Backend& be,
                                       const GradientReducer& reduce_grads) {
  using namespace abacus::train;
  if (opt.out_dir.empty()) fail("", "--out", "a run directory is required");
  if (opt.steps <= 0) fail("", "--steps", "must be positive");
  const fs::path out(opt.out_dir);
  const bool resuming = opt.resume && run_has_checkpoint(opt.out_dir);
  if (opt.resume && !resuming && !opt.quiet)
    std::printf("no checkpoint in %s; starting from scratch\n", opt.out_dir.c_str());

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
  fs::create_directories(out);

  // Tokenizer and shards, as the CPU trainer prepares them.
  const std::string run_tok = (out / "tokenizer.model").string();
  const std::string train_bin = (out / "train.bin").string(), val_bin = (out / "val.bin").string();
  std::vector<int32_t> train_tokens, val_tokens;
  if (resuming && fs::exists(train_bin) && fs::exists(val_bin) && fs::exists(run_tok)) {
    train_tokens = data::read_token_shard(train_bin);
    val_tokens = data::read_token_shard(val_bin);
  } else {
    if (opt.data_path.empty()) fail("", "--data", "a corpus directory is required");
    const data::DocumentSplit split = data::split_documents(data::read_documents(opt.data_path));
    const std::string tok_path =
        opt.tokenizer_path.empty() ? default_tokenizer_path(opt.data_path, config.vocab_size) : opt.tokenizer_path;
    if (!fs::exists(tok_path)) {
      if (!opt.tokenizer_path.empty()) data::Tokenizer::load(tok_path);
      if (!opt.quiet)
        std::printf("training a %lld-piece BPE tokenizer -> %s\n", (long long)config.vocab_size, tok_path.c_str());
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

  DeviceLM m(config, be);
  const model::ParamLayout& layout = m.layout();
  const TrainingHints hints = config.training.value_or(TrainingHints{});
  AdamWConfig acfg;
  acfg.beta1 = opt.beta1.value_or(hints.beta1);
  acfg.beta2 = opt.beta2.value_or(hints.beta2);
  std::vector<ParamSegment> segs;
  for (const model::ParamSpec& p : layout.params()) segs.push_back({p.offset, p.numel, p.decay});
  AdamW host_adam(m.num_params(), acfg, segs);  // the checkpoint's copy of the moments
  const AdamWSettings dev_adam{acfg.beta1, acfg.beta2, acfg.eps};

  TrainerState st;
  st.total_steps = opt.steps;
  st.batch = opt.batch;
  st.seq = opt.seq;
  st.seed = opt.seed;
  tensor::Rng rng(opt.seed);
  data::BatchLoader loader(train_tokens, opt.batch, opt.seq);
  MetricsLog metrics{(out / "metrics.csv").string(), {}};
  std::vector<float> host_params(static_cast<size_t>(m.num_params()));
  if (resuming) {
    const ResumedCheckpoint ck = load_latest_checkpoint(opt.out_dir, config, host_params.data(), host_adam);
    for (const std::string& why : ck.skipped) std::fprintf(stderr, "resume: skipped %s\n", why.c_str());
    st = ck.state;
    if (st.batch != opt.batch || st.seq != opt.seq)
      fail(ck.dir + "/trainer.json", "batch/seq", "resume needs the same --batch and --seq as the run (" +
                                          std::to_string(st.batch) + ", " + std::to_string(st.seq) + ")");
    st.total_steps = opt.steps;
    m.set_optimizer(host_adam.m().data(), host_adam.v().data(), host_adam.t());
    rng = tensor::Rng::from_string(st.rng);
    loader.set_state(st.data_position, st.data_epoch);
    metrics.load_until(st.step);
    if (!opt.quiet) std::printf("resumed %s at step %lld\n", opt.out_dir.c_str(), (long long)st.step);
  } else {
    // The CPU model's initializer, so both devices start from the same weights for a seed.
    model::LanguageModel<float> init(config);
    init.init_weights(rng.next_u64());
    std::copy(init.params(), init.params() + m.num_params(), host_params.begin());
    st.rng = rng.to_string();
    fs::remove(metrics.path);
    remove_checkpoint_generations(opt.out_dir);  // an old run's generations must not be resumed
  }
  m.set_params(host_params.data());

  Schedule sched;
  sched.kind = parse_schedule(opt.schedule.value_or(hints.schedule));
  sched.peak = opt.lr.value_or(hints.lr);
  sched.peak2 = opt.lr2.value_or(hints.lr_stage2.value_or(sched.peak * 2.0 / 3.0));
  sched.wd = opt.weight_decay.value_or(hints.weight_decay);
  sched.wd2 = opt.weight_decay2.value_or(hints.weight_decay_stage2.value_or(0.0));
  sched.end_ratio = opt.end_lr_ratio.value_or(0.1);
  sched.power = opt.power;
  sched.warmup = opt.warmup.value_or(std::min<int64_t>(hints.warmup_steps, opt.steps / 10));
  sched.total = opt.steps;

  if (!opt.quiet)
    std::printf("model %s: %lld parameters, quant %s | batch %lld x seq %lld | %s schedule, lr %.3g, wd %.3g | on %s\n",
                config.name.empty() ? "(unnamed)" : config.name.c_str(), (long long)m.num_params(),
                quant_name(config.quant), (long long)opt.batch, (long long)opt.seq, schedule_name(sched.kind),
                sched.peak, sched.wd, be.name());

  const int64_t eval_every = opt.eval_every > 0 ? opt.eval_every : std::max<int64_t>(1, opt.steps / 5);
  const int64_t ckpt_every = opt.checkpoint_every > 0 ? opt.checkpoint_every : eval_every;
  const int64_t end_step = opt.stop_after > 0 ? std::min(opt.stop_after, opt.steps) : opt.steps;

  TrainResult res;
  res.first_step = st.step;
  res.val_loss = std::nan("");
  res.params = m.num_params();
  std::vector<int32_t> in(size_t(opt.batch * opt.seq)), tg(size_t(opt.batch * opt.seq));
  const auto t_start = std::chrono::steady_clock::now();
  auto t_log = t_start;
  int64_t tokens_since_log = 0, steps_run = 0;
  auto checkpoint = [&]() {
    st.data_position = loader.position();
    st.data_epoch = loader.epoch();
    st.rng = rng.to_string();
    m.get_params(host_params.data());
    m.get_optimizer(host_adam.m().data(), host_adam.v().data());
    host_adam.set_t(m.optimizer_t());
    save_checkpoint_generation(opt.out_dir, config, host_params.data(), host_adam, st, opt.keep_checkpoints);
  };
  while (st.step < end_step) {
    loader.next(in.data(), tg.data());
    const double loss = m.forward(in.data(), tg.data(), opt.batch, opt.seq);
    if (!std::isfinite(loss))
      fail(opt.out_dir, "training", "loss became " + std::to_string(loss) + " at step " + std::to_string(st.step));
    m.zero_grad();
    m.backward();
    if (reduce_grads) reduce_grads(m.device_grads(), m.num_params());
    if (opt.clip > 0) m.clip_grad_norm(opt.clip);
    const double lr = sched.lr_at(st.step);
    m.adamw_step(dev_adam, lr, sched.wd_at(st.step));
    res.losses.push_back(loss);
    ++st.step;
    ++steps_run;
    st.tokens += opt.batch * opt.seq;
    tokens_since_log += opt.batch * opt.seq;

    const bool do_eval = st.step % eval_every == 0 || st.step == opt.steps;
    const bool do_log = do_eval || st.step % opt.log_every == 0 || st.step == end_step;
    double val = std::nan("");
    if (do_eval) {
      val = evaluate_loss(m, val_tokens, opt.seq, opt.batch, opt.eval_windows).loss;
      res.val_loss = val;
    }
    if (do_log) {
      const auto now = std::chrono::steady_clock::now();
      const double dt = std::chrono::duration<double>(now - t_log).count();
      const double total_dt = std::chrono::duration<double>(now - t_start).count();
      const double tps = dt > 0 ? double(tokens_since_log) / dt : 0.0;
      const double eta = total_dt / double(steps_run) * double(end_step - st.step);
      metrics.add(st.step, st.tokens, lr, loss, val, tps);
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
  be.synchronize();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  res.tokens_per_s = secs > 0 ? double(steps_run * opt.batch * opt.seq) / secs : 0.0;
  return res;
}

}  // namespace abacus::device
