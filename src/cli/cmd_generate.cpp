// abacus generate: sample text from a checkpoint with a KV cache, through the packed-ternary
// integer BitLinear path for BitNet models.
#include <boost/program_options.hpp>
#include <algorithm>
#include <chrono>
#include <memory>
#include <optional>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

#include "src/cli/accel_option.h"
#include "src/cli/command.h"
#include "src/cli/inference_source.h"
#include "src/cli/token_ids.h"
#include "src/cli/option_checks.h"
#include "src/cli/options.h"
#include "src/data/tokenizer.h"
#include "src/device/device_inference.h"
#include "src/eval/sampler.h"
#include "src/model/inference.h"
#include "src/tensor/rng.h"
#include "src/train/checkpoint.h"
#include "src/util/device.h"
#include "src/util/error.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace {

int run(int argc, char** argv) {
  std::string ckpt, hf, tokenizer, prompt, tokens_file, accel_path;
  int64_t max_tokens = 64, top_k = 40;
  double temperature = 0.8;
  uint64_t seed = 1;
  std::string device = "cpu";
  po::options_description desc(
      "abacus generate: sample a continuation of a prompt (KV cache; BitNet models run packed\n"
      "2-bit weights and the int8 x ternary integer matmul)\n\n"
      "usage: abacus generate --checkpoint runs/x --prompt \"The jury said\" [--max-tokens N]\n\noptions");
  desc.add_options()("help,h", "show this help")
      ("checkpoint", po::value(&ckpt), "checkpoint / run directory")
      ("hf", po::value(&hf), "or a Hugging Face BitNet folder, read lazily (needs --tokens)")
      ("tokens", po::value(&tokens_file), "prompt as whitespace-separated token ids (no tokenizer); prints token ids")
      ("tokenizer", po::value(&tokenizer), "SentencePiece model (default <checkpoint>/tokenizer.model)")
      ("prompt", po::value(&prompt)->default_value("The"), "prompt text")
      ("max-tokens", po::value(&max_tokens)->default_value(64), "tokens to generate")
      ("temperature", po::value(&temperature)->default_value(0.8), "sampling temperature (0 = greedy)")
      ("top-k", po::value(&top_k)->default_value(40), "sample among the k most likely tokens (0 = all)")
      ("seed", po::value(&seed)->default_value(1), "sampling seed")
      ("accel", po::value(&accel_path), abacus::cli::kAccelHelp)
      ("device", po::value(&device)->default_value("cpu"), "cpu | cuda | auto (cuda: W2A8 decode on the GPU)");
  po::variables_map vm;
  if (!abacus::cli::parse_options(argc, argv, desc, vm)) return 0;
  if (ckpt.empty() && hf.empty()) abacus::fail("", "--checkpoint", "a checkpoint directory (or --hf folder) is required");
  abacus::cli::check_range<int64_t>("--max-tokens", max_tokens, 0, 1 << 24);
  abacus::cli::check_range<double>("--temperature", temperature, 0.0, 1e4);
  abacus::cli::check_range<int64_t>("--top-k", top_k, 0, 1 << 24);
  const abacus::cli::InferenceSource src = abacus::cli::open_inference_source(ckpt, hf);
  const abacus::ModelConfig& config = src.config;
  std::optional<abacus::data::Tokenizer> tok;
  std::vector<int32_t> ids;
  if (vm.count("tokens")) {
    ids = abacus::cli::read_token_ids(tokens_file, config.vocab_size);
  } else {
    if (!hf.empty()) abacus::fail("", "--prompt", "a Hugging Face folder ships tokenizer.json, which abacus cannot read: give --tokens");
    if (tokenizer.empty()) tokenizer = (fs::path(ckpt) / "tokenizer.model").string();
    tok.emplace(abacus::data::Tokenizer::load(tokenizer));
    ids = tok->encode(prompt);
  }
  const bool emulated = abacus::cli::activate_accel(accel_path);
  const auto t0 = std::chrono::steady_clock::now();
  // The CPU inference path, or the same integer path on the GPU (src/device/device_inference.h).
  std::unique_ptr<abacus::device::Backend> gpu;
  if (abacus::select_device(device) == abacus::Device::cuda) {
    if (emulated) abacus::fail("", "--accel", "is modelled on the CPU path only; use --device cpu");
    if (!src.checkpoint) abacus::fail("", "--device", "cuda needs an abacus checkpoint (--checkpoint); import the --hf folder first");
    gpu = abacus::device::make_cuda_backend();
  }
  std::unique_ptr<abacus::model::InferenceModel> cpu_model;
  std::unique_ptr<abacus::device::DeviceInference> gpu_model;
  if (gpu) gpu_model = std::make_unique<abacus::device::DeviceInference>(config, src.checkpoint->params.data(), *gpu);
  else cpu_model = src.build();
  struct {
    abacus::model::InferenceModel* c;
    abacus::device::DeviceInference* g;
    std::vector<float> forward(const int32_t* t, int64_t n, int64_t p) { return g ? g->forward(t, n, p) : c->forward(t, n, p); }
    // The GPU holds the same packed projections; the bandwidth line is for the CPU path.
    int64_t projection_weight_bytes() const { return c ? c->projection_weight_bytes() : 0; }
  } model{cpu_model.get(), gpu_model.get()};
  if (ids.empty()) abacus::fail("", "--prompt", "encodes to no tokens");
  const int64_t max_pos = config.max_position_embeddings;
  if (int64_t(ids.size()) >= max_pos) ids.erase(ids.begin(), ids.end() - (max_pos - 1));
  max_tokens = std::min<int64_t>(max_tokens, max_pos - int64_t(ids.size()));
  abacus::tensor::Rng rng(seed);
  const int64_t V = config.vocab_size;
  const auto t1 = std::chrono::steady_clock::now();
  std::vector<float> logits = model.forward(ids.data(), int64_t(ids.size()), 0);
  const auto t2 = std::chrono::steady_clock::now();
  const float* last = logits.data() + (int64_t(ids.size()) - 1) * V;
  std::vector<int32_t> out;
  int64_t pos = int64_t(ids.size()), decoded = 0;
  for (int64_t i = 0; i < max_tokens; ++i) {
    const int32_t next = abacus::eval::sample_token(last, V, temperature, top_k, rng);
    if (tok && next == tok->eos_id()) break;
    out.push_back(next);
    if (pos >= max_pos || i + 1 == max_tokens) break;
    logits = model.forward(&next, 1, pos++);
    ++decoded;
    last = logits.data();
  }
  const auto t3 = std::chrono::steady_clock::now();
  if (tok) {
    std::printf("%s%s\n", prompt.c_str(), (out.empty() ? "" : (" " + tok->decode(out)).c_str()));
  } else {
    for (int32_t t : out) std::printf("%d ", t);
    std::printf("\n");
  }
  // Speed: every decode step streams all projection weights (packed) and the fp32 LM head.
  auto secs = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count(); };
  const double proj = double(model.projection_weight_bytes());
  const double head = double(config.vocab_size) * double(config.hidden_size) * 4;
  const double dt = secs(t2, t3);
  std::fprintf(stderr,
               "generate: load %.1f s; prefill %zu tokens %.2f s (%.1f tokens/s); decode %lld tokens %.2f s (%.2f tokens/s); "
               "weights per token: %.0f MB packed projections + %.0f MB fp32 LM head -> %.2f GB/s (projections %.2f GB/s)\n",
               secs(t0, t1), ids.size(), secs(t1, t2), double(ids.size()) / secs(t1, t2), (long long)decoded, dt,
               decoded ? double(decoded) / dt : 0.0, proj / 1e6, head / 1e6,
               decoded ? double(decoded) * (proj + head) / dt / 1e9 : 0.0, decoded ? double(decoded) * proj / dt / 1e9 : 0.0);
  return 0;
}

}  // namespace

static const abacus::cli::CommandRegistrar reg{{"generate", "sample text from a checkpoint (KV cache, packed ternary)", 50, &run}};
