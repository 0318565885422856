// abacus generate: sample text from a checkpoint with a KV cache, through the packed-ternary
// integer BitLinear path for BitNet models.
#include <boost/program_options.hpp>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include "src/cli/command.h"
#include "src/cli/option_checks.h"
#include "src/cli/options.h"
#include "src/data/tokenizer.h"
#include "src/eval/sampler.h"
#include "src/model/inference.h"
#include "src/tensor/rng.h"
#include "src/train/checkpoint.h"
#include "src/util/error.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace {

int run(int argc, char** argv) {
  std::string ckpt, tokenizer, prompt;
  int64_t max_tokens = 64, top_k = 40;
  double temperature = 0.8;
  uint64_t seed = 1;
  po::options_description desc(
      "abacus generate: sample a continuation of a prompt (KV cache; BitNet models run packed\n"
      "2-bit weights and the int8 x ternary integer matmul)\n\n"
      "usage: abacus generate --checkpoint runs/x --prompt \"The jury said\" [--max-tokens N]\n\noptions");
  desc.add_options()("help,h", "show this help")
      ("checkpoint", po::value(&ckpt), "checkpoint / run directory")
      ("tokenizer", po::value(&tokenizer), "SentencePiece model (default <checkpoint>/tokenizer.model)")
      ("prompt", po::value(&prompt)->default_value("The"), "prompt text")
      ("max-tokens", po::value(&max_tokens)->default_value(64), "tokens to generate")
      ("temperature", po::value(&temperature)->default_value(0.8), "sampling temperature (0 = greedy)")
      ("top-k", po::value(&top_k)->default_value(40), "sample among the k most likely tokens (0 = all)")
      ("seed", po::value(&seed)->default_value(1), "sampling seed");
  po::variables_map vm;
  if (!abacus::cli::parse_options(argc, argv, desc, vm)) return 0;
  if (ckpt.empty()) abacus::fail("", "--checkpoint", "a checkpoint directory is required");
  abacus::cli::check_range<int64_t>("--max-tokens", max_tokens, 0, 1 << 24);
  abacus::cli::check_range<double>("--temperature", temperature, 0.0, 1e4);
  abacus::cli::check_range<int64_t>("--top-k", top_k, 0, 1 << 24);
  const abacus::train::LoadedModel lm = abacus::train::load_checkpoint_model(ckpt);
  if (tokenizer.empty()) tokenizer = (fs::path(ckpt) / "tokenizer.model").string();
  const abacus::data::Tokenizer tok = abacus::data::Tokenizer::load(tokenizer);
  abacus::model::InferenceModel model(lm.config, lm.params.data());
  std::vector<int32_t> ids = tok.encode(prompt);
  if (ids.empty()) abacus::fail("", "--prompt", "encodes to no tokens");
  const int64_t max_pos = lm.config.max_position_embeddings;
  if (int64_t(ids.size()) >= max_pos) ids.erase(ids.begin(), ids.end() - (max_pos - 1));
  max_tokens = std::min<int64_t>(max_tokens, max_pos - int64_t(ids.size()));
  abacus::tensor::Rng rng(seed);
  const int64_t V = lm.config.vocab_size;
  std::vector<float> logits = model.forward(ids.data(), int64_t(ids.size()), 0);
  const float* last = logits.data() + (int64_t(ids.size()) - 1) * V;
  std::vector<int32_t> out;
  int64_t pos = int64_t(ids.size());
  for (int64_t i = 0; i < max_tokens; ++i) {
    const int32_t next = abacus::eval::sample_token(last, V, temperature, top_k, rng);
    if (next == tok.eos_id()) break;
    out.push_back(next);
    if (pos >= max_pos) break;
    logits = model.forward(&next, 1, pos++);
    last = logits.data();
  }
  std::printf("%s%s\n", prompt.c_str(), (out.empty() ? "" : (" " + tok.decode(out)).c_str()));
  return 0;
}

}  // namespace

static const abacus::cli::CommandRegistrar reg{{"generate", "sample text from a checkpoint (KV cache, packed ternary)", 50, &run}};
