// abacus models: lists the model presets with their parameter counts and how those agree with
// the size in the preset's name.
#include <boost/program_options.hpp>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>

#include "src/cli/command.h"
#include "src/model/config.h"

namespace po = boost::program_options;

namespace {

// Names round to one or two significant digits; within 5% counts as agreeing.
constexpr double kAgreeTolerance = 0.05;

std::string percent(double count, double nominal) {
  char b[32];
  std::snprintf(b, sizeof b, "%+.1f%%", (count / nominal - 1.0) * 100.0);
  return b;
}

int run(int argc, char** argv) {
  std::string dir = abacus::default_models_dir();
  po::options_description opts("abacus models [--dir DIR]: lists the model presets");
  opts.add_options()("help,h", "show this help")("dir", po::value(&dir), "preset folder (default: <source>/models)");
  po::variables_map vm;
  po::store(po::command_line_parser(argc, argv).options(opts).run(), vm);
  if (vm.count("help")) {
    std::cout << opts << "\nColumns: params = total (embeddings and LM head included), non-emb = without\n"
                         "them; 'vs name' compares each with the size in the preset name (agrees within 5%).\n";
    return 0;
  }
  po::notify(vm);

  std::printf("%-22s %-12s %6s %6s %5s %4s %-9s %9s %9s %7s %8s %8s  %s\n", "name", "quant", "d", "layers", "heads",
              "kv", "ffn", "params", "non-emb", "name", "vs total", "vs n-emb", "agrees");
  int n = 0;
  for (const std::string& file : abacus::list_preset_files(dir)) {
    const abacus::ModelConfig c = abacus::ModelConfig::load(file);
    const std::string name = c.name.empty() ? std::filesystem::path(file).stem().string() : c.name;
    const double total = double(c.params_total()), non_emb = double(c.params_non_embedding());
    std::string nominal = "-", d_total = "-", d_ne = "-", agrees = "-";
    if (auto nom = abacus::nominal_params_from_name(name)) {
      nominal = abacus::format_count(*nom);
      d_total = percent(total, *nom);
      d_ne = percent(non_emb, *nom);
      const double et = std::fabs(total / *nom - 1), en = std::fabs(non_emb / *nom - 1);
      if (et <= kAgreeTolerance) agrees = "yes (total)";
      else if (en <= kAgreeTolerance) agrees = "yes (non-emb)";
      else agrees = "NO (see models/README.md)";
    }
    std::printf("%-22s %-12s %6lld %6lld %5lld %4lld %-9s %9s %9s %7s %8s %8s  %s\n", name.c_str(),
                abacus::quant_name(c.quant), (long long)c.hidden_size, (long long)c.num_hidden_layers,
                (long long)c.num_attention_heads, (long long)c.num_key_value_heads, abacus::ffn_name(c.ffn),
                abacus::format_count(total).c_str(), abacus::format_count(non_emb).c_str(), nominal.c_str(),
                d_total.c_str(), d_ne.c_str(), agrees.c_str());
    ++n;
  }
  std::printf("\n%d presets in %s\n", n, dir.c_str());
  return 0;
}

}  // namespace

static const abacus::cli::CommandRegistrar reg{{"models", "list the model presets with their parameter counts", 10, &run}};
