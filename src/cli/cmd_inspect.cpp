// abacus inspect FILE: a safetensors file's metadata and tensor table, a config.json's
// summary, or both for a checkpoint folder (config.json + *.safetensors).
#include <boost/program_options.hpp>
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "src/cli/command.h"
#include "src/io/safetensors.h"
#include "src/model/config.h"
#include "src/util/error.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace {

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

void print_safetensors(const std::string& path) {
  const auto f = abacus::io::SafetensorsFile::open(path);
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  std::printf("%s: safetensors, %s bytes, %zu tensors\n", path.c_str(), std::to_string(size).c_str(), f.tensors().size());
  if (!f.metadata().empty()) {
    std::printf("metadata:\n");
    for (const auto& [k, v] : f.metadata()) std::printf("  %s = %s\n", k.c_str(), v.c_str());
  }
  std::size_t name_w = 4;
  for (const auto& t : f.tensors()) name_w = std::max(name_w, t.name.size());
  std::printf("%-*s  %-5s  %-20s  %12s  %12s\n", int(name_w), "name", "dtype", "shape", "bytes", "offset");
  uint64_t bytes = 0;
  int64_t numel = 0;
  for (const auto& t : f.tensors()) {
    std::printf("%-*s  %-5s  %-20s  %12llu  %12llu\n", int(name_w), t.name.c_str(), abacus::io::dtype_name(t.dtype),
                shape_text(t.shape).c_str(), (unsigned long long)t.nbytes(), (unsigned long long)t.begin);
    bytes += t.nbytes();
    numel += t.numel();
  }
  std::printf("total: %s elements, %s bytes\n", abacus::format_count(double(numel)).c_str(),
              std::to_string(bytes).c_str());
}

void print_config(const std::string& path) {
  const abacus::ModelConfig c = abacus::ModelConfig::load(path);
  std::printf("%s: model config%s%s\n", path.c_str(), c.name.empty() ? "" : " ", c.name.c_str());
  std::printf("  quant %s, norm %s, ffn %s (%s)%s\n", abacus::quant_name(c.quant), abacus::norm_name(c.norm),
              abacus::ffn_name(c.ffn), c.hidden_act.c_str(), c.subln ? ", subln" : "");
  std::printf("  hidden %lld, intermediate %lld, layers %lld, heads %lld (kv %lld, head dim %lld)\n",
              (long long)c.hidden_size, (long long)c.intermediate_size, (long long)c.num_hidden_layers,
              (long long)c.num_attention_heads, (long long)c.num_key_value_heads, (long long)c.head_dim());
  std::printf("  vocab %lld (%s embeddings), context %lld, rope theta %g, norm eps %g\n", (long long)c.vocab_size,
              c.tie_word_embeddings ? "tied" : "untied", (long long)c.max_position_embeddings, c.rope_theta,
              c.rms_norm_eps);
  std::printf("  parameters: %s total, %s without embeddings\n", abacus::format_count(double(c.params_total())).c_str(),
              abacus::format_count(double(c.params_non_embedding())).c_str());
  if (c.training) {
    const auto& t = *c.training;
    std::printf("  training: lr %g", t.lr);
    if (t.lr_stage2) std::printf(" -> %g", *t.lr_stage2);
    std::printf(", weight decay %g", t.weight_decay);
    if (t.weight_decay_stage2) std::printf(" -> %g", *t.weight_decay_stage2);
    std::printf(", betas (%g, %g), warm-up %lld, schedule %s\n", t.beta1, t.beta2, (long long)t.warmup_steps,
                t.schedule.c_str());
  }
}

bool is_json(const std::string& path) {
  if (fs::path(path).extension() == ".json") return true;
  std::ifstream in(path, std::ios::binary);
  char c = 0;
  while (in.get(c) && std::isspace(static_cast<unsigned char>(c))) {
  }
  return c == '{';  // a safetensors file starts with its binary header length
}

int run(int argc, char** argv) {
  std::string file;
  po::options_description opts("abacus inspect FILE: safetensors metadata and tensors, or a config summary");
  opts.add_options()("help,h", "show this help")("file", po::value(&file), "safetensors file, config.json or checkpoint folder");
  po::positional_options_description pos;
  pos.add("file", 1);
  po::variables_map vm;
  po::store(po::command_line_parser(argc, argv).options(opts).positional(pos).run(), vm);
  if (vm.count("help")) {
    std::cout << opts;
    return 0;
  }
  po::notify(vm);
  if (file.empty()) abacus::fail("", "FILE", "missing (abacus inspect --help)");
  std::error_code ec;
  if (fs::is_directory(file, ec)) {
    std::vector<std::string> tensors;
    for (const auto& e : fs::directory_iterator(file))
      if (e.is_regular_file() && e.path().extension() == ".safetensors") tensors.push_back(e.path().string());
    std::sort(tensors.begin(), tensors.end());
    const bool has_config = fs::is_regular_file(file + "/config.json", ec);
    if (!has_config && tensors.empty()) abacus::fail(file, "", "folder has neither config.json nor *.safetensors");
    if (has_config) print_config(file + "/config.json");
    for (const auto& t : tensors) {
      std::printf("\n");
      print_safetensors(t);
    }
    return 0;
  }
  if (!fs::exists(file, ec)) file = abacus::resolve_model_config(file);  // a preset name, or an Error
  if (is_json(file))
    print_config(file);
  else
    print_safetensors(file);
  return 0;
}

}  // namespace

static const abacus::cli::CommandRegistrar reg{
    {"inspect", "show a safetensors file's tensors or a model config's summary", 20, &run}};
