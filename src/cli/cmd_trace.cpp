// abacus trace: runs a BitNet checkpoint's integer inference path (prefill, then greedy decode
// steps with the KV cache) and records every BitLinear call into a trace (design.md 5.2,
// src/trace/trace.h).
#include <algorithm>
#include <boost/program_options.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include "src/cli/command.h"
#include "src/cli/option_checks.h"
#include "src/cli/options.h"
#include "src/data/tokenizer.h"
#include "src/io/atomic_file.h"
#include "src/model/inference.h"
#include "src/train/checkpoint.h"
#include "src/trace/trace.h"
#include "src/trace/workload.h"
#include "src/util/error.h"

namespace po = boost::program_options;

namespace {

// Whitespace-separated token ids.
std::vector<int32_t> read_token_file(const std::string& path, int64_t vocab) {
  std::istringstream in(abacus::io::read_file(path));
  std::vector<int32_t> ids;
  std::string word;
  while (in >> word) {
    long long v = 0;
    try {
      std::size_t used = 0;
      v = std::stoll(word, &used);
      if (used != word.size()) throw std::invalid_argument("");
    } catch (const std::exception&) {
      abacus::fail(path, "token " + std::to_string(ids.size()), "\"" + word + "\" is not an integer token id");
    }
    if (v < 0 || v >= vocab)
      abacus::fail(path, "token " + std::to_string(ids.size()), std::to_string(v) + " is not in [0, vocab_size = " +
                                                                    std::to_string(vocab) + ")");
    ids.push_back(int32_t(v));
  }
  if (ids.empty()) abacus::fail(path, "", "holds no token ids");
  return ids;
}

std::string human_bytes(double b) {
  char buf[32];
  if (b >= 1 << 30) std::snprintf(buf, sizeof buf, "%.2f GiB", b / (1 << 30));
  else if (b >= 1 << 20) std::snprintf(buf, sizeof buf, "%.2f MiB", b / (1 << 20));
  else std::snprintf(buf, sizeof buf, "%.1f KiB", b / 1024);
  return buf;
}

int run(int argc, char** argv) {
  std::string checkpoint, prompt, tokens_file, out;
  int64_t decode_steps = 0;
  double max_mib = 1024;
  po::options_description opts("abacus trace: record every BitLinear call of a BitNet model's inference");
  opts.add_options()("help,h", "this help")
      ("checkpoint", po::value(&checkpoint)->required(), "checkpoint directory (config.json, model.safetensors, tokenizer.model)")
      ("prompt", po::value(&prompt), "prompt text (encoded with the checkpoint's tokenizer.model)")
      ("tokens", po::value(&tokens_file), "file of whitespace-separated token ids (instead of --prompt)")
      ("out", po::value(&out)->required(), "output trace file (trace.safetensors)")
      ("decode-steps", po::value(&decode_steps)->default_value(0), "greedy decode steps recorded after the prefill")
      ("max-mib", po::value(&max_mib)->default_value(1024), "refuse to write a trace larger than this (MiB)")
      ("force", po::bool_switch(), "allow --out to be one of the input files");
  po::variables_map vm;
  if (!abacus::cli::parse_options(argc, argv, opts, vm,
                                  "The trace format is described in README.md (formats) and src/trace/trace.h.\n"))
    return 0;
  if (vm.count("prompt") == vm.count("tokens")) abacus::fail("", "--prompt/--tokens", "give exactly one of them");
  abacus::cli::check_range<int64_t>("--decode-steps", decode_steps, 0, 1 << 24);
  abacus::cli::check_positive("--max-mib", max_mib);
  abacus::cli::check_output_folder("--out", out);
  abacus::cli::refuse_output_onto_input(
      "--out", out,
      {checkpoint + "/model.safetensors", checkpoint + "/config.json", checkpoint + "/tokenizer.model", tokens_file},
      vm["force"].as<bool>());

  abacus::train::LoadedModel m = abacus::train::load_checkpoint_model(checkpoint);
  if (!m.config.is_bitnet())
    abacus::fail(checkpoint + "/config.json", "quant", "is fp: only BitNet models (b1, b1.58, b1.58-median) have BitLinear calls to trace");
  std::vector<int32_t> ids;
  if (vm.count("tokens")) {
    ids = read_token_file(tokens_file, m.config.vocab_size);
  } else {
    abacus::data::Tokenizer tok = abacus::data::Tokenizer::load(checkpoint + "/tokenizer.model");
    ids = tok.encode(prompt);
    if (ids.empty()) abacus::fail("", "--prompt", "encodes to no tokens");
  }
  if (int64_t(ids.size()) + decode_steps > m.config.max_position_embeddings)
    abacus::fail("", "--decode-steps", "prompt (" + std::to_string(ids.size()) + " tokens) + decode steps exceed max_position_embeddings = " +
                                           std::to_string(m.config.max_position_embeddings));

  // Size estimate before running: per record x_q, scales, w_q, acc and y.
  double est = 0;
  {
    abacus::model::ParamLayout layout(m.config);
    for (int64_t s = 0; s <= decode_steps; ++s) {
      const double T = s == 0 ? double(ids.size()) : 1.0;
      for (const auto& p : abacus::model::block_projections(m.config))
        est += double(m.config.num_hidden_layers) *
               (T * p.in + 8 * T + double(p.out) * p.in + 4 * m.config.quant_groups + 8 * T * p.out + 400);
    }
  }
  std::printf("trace: %zu prompt tokens, %lld decode steps, %lld layers: estimated size %s\n", ids.size(),
              (long long)decode_steps, (long long)m.config.num_hidden_layers, human_bytes(est).c_str());
  if (est > max_mib * 1024 * 1024)
    abacus::fail("", "--max-mib", "the trace would be about " + human_bytes(est) + "; raise --max-mib to write it");

  abacus::model::InferenceModel model(m.config, m.params.data());
  abacus::trace::TraceWriter writer(m.config, ids);
  writer.begin_step(0, ids);
  std::vector<float> logits = model.forward(ids.data(), int64_t(ids.size()), 0, &writer.observer());
  int64_t pos = int64_t(ids.size());
  const int64_t V = m.config.vocab_size;
  for (int64_t s = 1; s <= decode_steps; ++s) {
    const float* last = logits.data() + (logits.size() / std::size_t(V) - 1) * std::size_t(V);
    const int32_t next = int32_t(std::max_element(last, last + V) - last);
    writer.begin_step(pos, {next});
    logits = model.forward(&next, 1, pos, &writer.observer());
    ++pos;
    std::printf("\rtrace: decode step %lld/%lld", (long long)s, (long long)decode_steps);
    std::fflush(stdout);
  }
  if (decode_steps) std::printf("\n");
  writer.write(out);

  // Read it back through the validating reader, so a trace we write is one we accept.
  const abacus::trace::TraceFile t = abacus::trace::TraceFile::open(out);
  const abacus::trace::TraceWorkload w = abacus::trace::extract_workload(t);
  std::printf("trace: wrote %s: %zu records, %lld tokens, %.3g MACs, zero weights %.2f%%, zero activations %.2f%%, mean |x_q| %.2f\n",
              out.c_str(), t.records().size(), (long long)w.tokens, w.macs, 100 * w.zero_weight_fraction,
              100 * w.zero_activation_fraction, w.mean_abs_x_q);
  return 0;
}

const abacus::cli::CommandRegistrar reg{{"trace", "record every BitLinear call of a model's inference into a trace", 60, &run}};

}  // namespace
