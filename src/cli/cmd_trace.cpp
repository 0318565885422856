// abacus trace: runs a BitNet checkpoint's integer inference path (prefill, then greedy decode
// steps with the KV cache) and records every BitLinear call into a trace (design.md 5.2,
// src/trace/trace.h).
#include <algorithm>
#include <chrono>
#include <boost/program_options.hpp>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <sys/resource.h>

#include "src/cli/accel_option.h"
#include "src/cli/command.h"
#include "src/cli/inference_source.h"
#include "src/cli/token_ids.h"
#include "src/cli/option_checks.h"
#include "src/cli/options.h"
#include "src/data/tokenizer.h"
#include "src/device/device_inference.h"
#include "src/io/atomic_file.h"
#include "src/model/inference.h"
#include "src/train/checkpoint.h"
#include "src/quant/packing.h"
#include "src/trace/operand_stats.h"
#include "src/trace/trace.h"
#include "src/trace/workload.h"
#include "src/util/device.h"
#include "src/util/error.h"

namespace po = boost::program_options;

namespace {

std::string human_bytes(double b) {
  char buf[32];
  if (b >= 1 << 30) std::snprintf(buf, sizeof buf, "%.2f GiB", b / (1 << 30));
  else if (b >= 1 << 20) std::snprintf(buf, sizeof buf, "%.2f MiB", b / (1 << 20));
  else std::snprintf(buf, sizeof buf, "%.1f KiB", b / 1024);
  return buf;
}

int run(int argc, char** argv) {
  std::string checkpoint, hf, prompt, tokens_file, out, layers, accel_path;
  int64_t max_tokens = 0;
  int64_t decode_steps = 0;
  double max_mib = 1024;
  std::string device;
  po::options_description opts("abacus trace: record every BitLinear call of a BitNet model's inference");
  opts.add_options()("help,h", "this help")
      ("checkpoint", po::value(&checkpoint), "checkpoint directory (config.json, model.safetensors, tokenizer.model)")
      ("hf", po::value(&hf), "or a Hugging Face BitNet folder, read lazily (abacus import --help); needs --tokens")
      ("prompt", po::value(&prompt), "prompt text (encoded with the checkpoint's tokenizer.model)")
      ("tokens", po::value(&tokens_file), "file of whitespace-separated token ids (instead of --prompt)")
      ("out", po::value(&out)->required(), "output trace file (trace.safetensors)")
      ("decode-steps", po::value(&decode_steps)->default_value(0), "greedy decode steps recorded after the prefill")
      ("max-mib", po::value(&max_mib)->default_value(1024), "refuse to write a trace larger than this (MiB)")
      ("layers", po::value(&layers), "record only these layers, e.g. 0,14,29 or 0-3 (default: all)")
      ("max-tokens", po::value(&max_tokens)->default_value(0), "record only the first M token rows of every call (0: all)")
      ("accel", po::value(&accel_path), abacus::cli::kAccelHelp)
      ("device", po::value(&device)->default_value("cpu"), "cpu | cuda | auto (cuda: the GPU's integer inference, W2A8 decode)")
      ("force", po::bool_switch(), "allow --out to be one of the input files");
  po::variables_map vm;
  if (!abacus::cli::parse_options(argc, argv, opts, vm,
                                  "The trace format is described in README.md (formats) and src/trace/trace.h.\n"))
    return 0;
  if (vm.count("prompt") == vm.count("tokens")) abacus::fail("", "--prompt/--tokens", "give exactly one of them");
  abacus::cli::check_range<int64_t>("--decode-steps", decode_steps, 0, 1 << 24);
  abacus::cli::check_positive("--max-mib", max_mib);
  if (max_tokens < 0) abacus::fail("", "--max-tokens", "must be >= 0 (0 records every token row)");
  abacus::cli::check_output_folder("--out", out);
  abacus::cli::refuse_output_onto_input(
      "--out", out,
      {checkpoint + "/model.safetensors", checkpoint + "/config.json", checkpoint + "/tokenizer.model", tokens_file},
      vm["force"].as<bool>());

  const abacus::cli::InferenceSource m = abacus::cli::open_inference_source(checkpoint, hf);
  if (!m.config.is_bitnet())
    abacus::fail(m.dir + "/config.json", "quant", "is fp: only BitNet models (b1, b1.58, b1.58-median) have BitLinear calls to trace");
  std::vector<int32_t> ids;
  if (vm.count("tokens")) {
    ids = abacus::cli::read_token_ids(tokens_file, m.config.vocab_size);
  } else {
    if (!hf.empty()) abacus::fail("", "--prompt", "a Hugging Face folder ships tokenizer.json, which abacus cannot read: give --tokens");
    abacus::data::Tokenizer tok = abacus::data::Tokenizer::load(checkpoint + "/tokenizer.model");
    ids = tok.encode(prompt);
    if (ids.empty()) abacus::fail("", "--prompt", "encodes to no tokens");
  }
  if (int64_t(ids.size()) + decode_steps > m.config.max_position_embeddings)
    abacus::fail("", "--decode-steps", "prompt (" + std::to_string(ids.size()) + " tokens) + decode steps exceed max_position_embeddings = " +
                                           std::to_string(m.config.max_position_embeddings));

  abacus::trace::TraceSampling sampling;
  if (vm.count("layers")) sampling.layers = abacus::trace::parse_layer_list(layers, "--layers");
  for (int64_t l : sampling.layers)
    if (l >= m.config.num_hidden_layers)
      abacus::fail("", "--layers", "layer " + std::to_string(l) + " is past num_hidden_layers = " +
                                       std::to_string(m.config.num_hidden_layers));
  sampling.max_tokens = max_tokens;
  const double traced_layers = sampling.layers.empty() ? double(m.config.num_hidden_layers) : double(sampling.layers.size());
  // Size estimate before running (format v2): packed weights once per traced layer, then per
  // record x_q, scales, acc and y of its stored rows.
  double est = 0;
  for (const auto& p : abacus::model::block_projections(m.config))
    est += traced_layers * (double(p.out) * double(abacus::quant::ternary_row_bytes(p.in)) + 4 * m.config.quant_groups + 200);
  for (int64_t s = 0; s <= decode_steps; ++s) {
    double T = s == 0 ? double(ids.size()) : 1.0;
    if (max_tokens > 0) T = std::min<double>(T, double(max_tokens));
    for (const auto& p : abacus::model::block_projections(m.config))
      est += traced_layers * (T * p.in + 8 * T + 8 * T * p.out + 400);
  }
  std::printf("trace: %zu prompt tokens, %lld decode steps, %lld layers: estimated size %s\n", ids.size(),
              (long long)decode_steps, (long long)m.config.num_hidden_layers, human_bytes(est).c_str());
  if (est > max_mib * 1024 * 1024)
    abacus::fail("", "--max-mib", "the trace would be about " + human_bytes(est) + "; raise --max-mib to write it");

  const bool emulated = abacus::cli::activate_accel(accel_path);
  const auto t_load = std::chrono::steady_clock::now();
  // The CPU inference path, or the same integer path on the GPU (src/device/device_inference.h).
  std::unique_ptr<abacus::device::Backend> gpu;
  if (abacus::select_device(device) == abacus::Device::cuda) {
    if (emulated) abacus::fail("", "--accel", "is modelled on the CPU path only; use --device cpu");
    if (!m.checkpoint) abacus::fail("", "--device", "cuda needs an abacus checkpoint (--checkpoint); import the --hf folder first");
    gpu = abacus::device::make_cuda_backend();
  }
  std::unique_ptr<abacus::model::InferenceModel> cpu_model;
  std::unique_ptr<abacus::device::DeviceInference> gpu_model;
  if (gpu) {
    gpu_model = std::make_unique<abacus::device::DeviceInference>(m.config, m.checkpoint->params.data(), *gpu);
    std::printf("trace: on %s\n", gpu->name());
  } else {
    cpu_model = m.build();
  }
  struct {
    abacus::model::InferenceModel* c;
    abacus::device::DeviceInference* g;
    std::vector<float> forward(const int32_t* t, int64_t n, int64_t p, const abacus::nn::BitLinearObserver* o) {
      return g ? g->forward(t, n, p, o) : c->forward(t, n, p, o);
    }
  } model{cpu_model.get(), gpu_model.get()};
  const auto t_run = std::chrono::steady_clock::now();
  abacus::trace::TraceWriter writer(m.config, ids, sampling);
  // Recording streams tensor data to a temporary file; a failed write there is this output's failure.
  auto recorded = [&](auto&& step) -> std::vector<float> {
    try {
      return step();
    } catch (const abacus::Error& e) {
      abacus::fail(out, "", e.what());
    }
    return {};
  };
  writer.begin_step(0, ids);
  std::vector<float> logits =
      recorded([&] { return model.forward(ids.data(), int64_t(ids.size()), 0, &writer.observer()); });
  int64_t pos = int64_t(ids.size());
  const int64_t V = m.config.vocab_size;
  for (int64_t s = 1; s <= decode_steps; ++s) {
    const float* last = logits.data() + (logits.size() / std::size_t(V) - 1) * std::size_t(V);
    const int32_t next = int32_t(std::max_element(last, last + V) - last);
    writer.begin_step(pos, {next});
    logits = recorded([&] { return model.forward(&next, 1, pos, &writer.observer()); });
    ++pos;
    std::printf("\rtrace: decode step %lld/%lld", (long long)s, (long long)decode_steps);
    std::fflush(stdout);
  }
  if (decode_steps) std::printf("\n");
  const auto t_write = std::chrono::steady_clock::now();
  writer.write(out);
  const auto t_done = std::chrono::steady_clock::now();
  auto secs = [](auto a, auto b) { return std::chrono::duration<double>(b - a).count(); };
  struct rusage ru {};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("trace: load %.1f s, run + record %.1f s, write %.1f s; peak memory %.2f GiB\n", secs(t_load, t_run),
              secs(t_run, t_write), secs(t_write, t_done), double(ru.ru_maxrss) / (1024.0 * 1024.0));

  // Read it back through the validating reader, so a trace we write is one we accept.
  const abacus::trace::TraceFile t = abacus::trace::TraceFile::open(out);
  const abacus::trace::TraceWorkload w = abacus::trace::extract_workload(t);
  std::printf("trace: wrote %s: %zu records, %lld tokens, %.3g MACs, zero weights %.2f%%, zero activations %.2f%%, mean |x_q| %.2f\n",
              out.c_str(), t.records().size(), (long long)w.tokens, w.macs, 100 * w.zero_weight_fraction,
              100 * w.zero_activation_fraction, w.mean_abs_x_q);
  if (t.sampled())
    std::printf("trace: sampled: %zu of %lld layers, %s token rows per call\n", t.layers().size(),
                (long long)m.config.num_hidden_layers,
                t.max_tokens() ? ("at most " + std::to_string(t.max_tokens())).c_str() : "all");
  std::fputs(abacus::trace::operand_stats_table(abacus::trace::operand_stats(t)).c_str(), stdout);
  return 0;
}

const abacus::cli::CommandRegistrar reg{{"trace", "record every BitLinear call of a model's inference into a trace", 60, &run}};

}  // namespace
