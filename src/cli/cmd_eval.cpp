// abacus eval: validation loss / perplexity of a checkpoint, and multiple-choice task scoring.
#include <boost/program_options.hpp>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

#include "src/cli/accel_option.h"
#include "src/cli/command.h"
#include "src/cli/option_checks.h"
#include "src/cli/options.h"
#include "src/data/corpus.h"
#include "src/data/token_shard.h"
#include "src/data/tokenizer.h"
#include "src/device/device_trainer.h"
#include "src/eval/multiple_choice.h"
#include "src/eval/perplexity.h"
#include "src/model/lm.h"
#include "src/tensor/matmul.h"
#include "src/tensor/parallel.h"
#include "src/train/checkpoint.h"
#include "src/util/device.h"
#include "src/util/error.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace {

int run(int argc, char** argv) {
  std::string ckpt, data, tokenizer, task, accel_path;
  int64_t seq = 0, batch = 8, max_windows = 0;
  int threads = 0;
  std::string device = "cpu";
  po::options_description desc(
      "abacus eval: validation loss and perplexity of a checkpoint; multiple-choice accuracy\n\n"
      "usage: abacus eval --checkpoint runs/x [--data data/brown] [--seq T] [--task task.jsonl]\n\n"
      "Perplexity uses non-overlapping windows of --seq tokens over the validation split (every\n"
      "10th document), scoring every next-token prediction in each window. Without --data the\n"
      "run directory's val.bin is used. Task files: JSONL {\"context\", \"choices\", \"label\"}.\n\noptions");
  desc.add_options()("help,h", "show this help")
      ("checkpoint", po::value(&ckpt), "checkpoint / run directory")
      ("data", po::value(&data), "corpus to take the validation split from (default: <checkpoint>/val.bin)")
      ("tokenizer", po::value(&tokenizer), "SentencePiece model (default <checkpoint>/tokenizer.model)")
      ("seq", po::value(&seq)->default_value(0), "window length (0 = the checkpoint's training seq, else 128)")
      ("batch", po::value(&batch)->default_value(8), "windows per forward pass")
      ("max-windows", po::value(&max_windows)->default_value(0), "limit the windows (0 = all)")
      ("task", po::value(&task), "multiple-choice JSONL task file to score")
      ("threads", po::value(&threads)->default_value(0), "CPU threads (0 = all)")
      ("accel", po::value(&accel_path),
       "also evaluate through the integer inference path, as the software reference and under this accelerator config's arithmetic (k_t, acc_bits, acc_overflow, act_bits, topk_ratio, hadamard, ppu_*, kv_bits), and print the delta")
      ("device", po::value(&device)->default_value("cpu"), "cpu | cuda | auto (perplexity on the GPU; tasks on the CPU)");
  po::variables_map vm;
  if (!abacus::cli::parse_options(argc, argv, desc, vm)) return 0;
  if (ckpt.empty()) abacus::fail("", "--checkpoint", "a checkpoint directory is required");
  abacus::cli::check_range<int64_t>("--seq", seq, 0, 1 << 24);
  abacus::cli::check_range<int64_t>("--batch", batch, 1, 1 << 20);
  abacus::cli::check_range<int64_t>("--max-windows", max_windows, 0, int64_t(1) << 40);
  abacus::cli::check_range<int>("--threads", threads, 0, 4096);
  if (!accel_path.empty()) abacus::accel::ArithConfig::load(accel_path);  // a bad config fails before any work
  if (threads > 0) {
    abacus::tensor::set_num_threads(threads);
  }
  const abacus::train::LoadedModel lm = abacus::train::load_checkpoint_model(ckpt);
  abacus::model::LanguageModel<float> m(lm.config);
  std::copy(lm.params.begin(), lm.params.end(), m.params());
  if (tokenizer.empty()) tokenizer = (fs::path(ckpt) / "tokenizer.model").string();
  const abacus::data::Tokenizer tok = abacus::data::Tokenizer::load(tokenizer);
  if (seq <= 0) {
    const fs::path tj = fs::path(ckpt) / "trainer.json";
    seq = fs::exists(tj) ? abacus::train::load_trainer_state(tj.string()).seq : 128;
  }
  std::vector<int32_t> val;
  std::string source;
  if (!data.empty()) {
    val = abacus::data::tokenize_documents(
        tok, abacus::data::split_documents(abacus::data::read_documents(data)).validation);
    source = data + " (validation split: every 10th document)";
  } else {
    const std::string vb = (fs::path(ckpt) / "val.bin").string();
    if (!fs::exists(vb)) abacus::fail(vb, "", "no validation shard; pass --data");
    val = abacus::data::read_token_shard(vb);
    source = vb;
  }
  if (val.size() < 2)
    abacus::fail(source, "", "holds " + std::to_string(val.size()) + " validation tokens; at least 2 are needed to score one");
  abacus::eval::LossResult r;
  std::unique_ptr<abacus::device::Backend> gpu;
  if (abacus::select_device(device) == abacus::Device::cuda) gpu = abacus::device::make_cuda_backend();
  if (gpu) {  // the whole model on the GPU (src/device)
    abacus::device::DeviceLM dm(lm.config, *gpu);
    dm.set_params(lm.params.data());
    r = abacus::device::evaluate_loss(dm, val, seq, batch, max_windows);
    std::printf("device     %s\n", gpu->name());
  } else {
    r = abacus::eval::evaluate_loss(m, val, seq, batch, max_windows);
  }
  std::printf("model      %s (quant %s, %lld parameters)\n", lm.config.name.c_str(), abacus::quant_name(lm.config.quant),
              (long long)m.num_params());
  std::printf("tokenizer  %s (SentencePiece BPE, %d pieces)\n", tokenizer.c_str(), tok.vocab_size());
  std::printf("data       %s\n", source.c_str());
  std::printf("windowing  non-overlapping windows of %lld tokens (context 0..%lld), %lld windows, %lld tokens scored\n",
              (long long)seq, (long long)seq - 1, (long long)r.windows, (long long)r.tokens);
  std::printf("val_loss   %.4f\nperplexity %.2f\n", r.loss, r.perplexity);
  if (!accel_path.empty()) {
    // Both through the integer inference path (packed weights, KV cache), so the delta is the
    // arithmetic's alone.
    const abacus::eval::LossResult ref =
        abacus::eval::evaluate_loss_inference(lm.config, lm.params.data(), val, seq, max_windows);
    const abacus::accel::ArithConfig* a = abacus::cli::activate_accel(accel_path);
    const abacus::eval::LossResult acc =
        abacus::eval::evaluate_loss_inference(lm.config, lm.params.data(), val, seq, max_windows);
    abacus::accel::set_active(nullptr);
    std::printf("accel      %s: %s\n", accel_path.c_str(), a->key().c_str());
    std::printf("int_ref    val_loss %.6f perplexity %.4f (integer inference path, software reference)\n", ref.loss,
                ref.perplexity);
    std::printf("int_accel  val_loss %.6f perplexity %.4f (integer inference path, accelerator arithmetic)\n",
                acc.loss, acc.perplexity);
    std::printf("delta      val_loss %+.6f perplexity %+.4f\n", acc.loss - ref.loss, acc.perplexity - ref.perplexity);
  }
  if (!task.empty()) {
    const auto items = abacus::eval::load_choice_task(task);
    const abacus::eval::ChoiceResult c = abacus::eval::score_choices(m, tok, items);
    std::printf("task       %s: %lld items, acc %.4f, acc_norm %.4f (by characters)\n", task.c_str(),
                (long long)c.items, c.acc, c.acc_norm);
  }
  return 0;
}

}  // namespace

static const abacus::cli::CommandRegistrar reg{{"eval", "validation perplexity and multiple-choice accuracy of a checkpoint", 40, &run}};
