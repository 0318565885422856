// abacus import --hf DIR --out CKPT: a Hugging Face BitNetForCausalLM folder (packed or bf16
// release, single file or sharded) -> an abacus b1.58 checkpoint (src/io/hf_bitnet.h).
#include <boost/program_options.hpp>
#include <cstdio>
#include <filesystem>
#include <unistd.h>

#include "src/cli/command.h"
#include "src/cli/options.h"
#include "src/io/hf_bitnet.h"
#include "src/train/checkpoint.h"
#include "src/util/error.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace {

int run(int argc, char** argv) {
  std::string hf, out;
  po::options_description opts(
      "abacus import: read a Hugging Face BitNetForCausalLM folder into an abacus checkpoint\n\n"
      "usage: abacus import --hf DIR --out CKPT\n\noptions");
  opts.add_options()("help,h", "this help")
      ("hf", po::value(&hf)->required(), "Hugging Face folder: config.json + model.safetensors (or model.safetensors.index.json + shards)")
      ("out", po::value(&out)->required(), "abacus checkpoint directory to create (config.json, model.safetensors)");
  po::variables_map vm;
  if (!abacus::cli::parse_options(argc, argv, opts, vm,
                                  "Packed (uint8, 4 ternary values per byte + weight_scale) and bf16 master-weight\n"
                                  "releases are both read; the forward of the imported model is the HF forward.\n"
                                  "Tokenizer: tokenizer.json (LLaMA-3 BPE) is copied but not used; give token ids\n"
                                  "(abacus trace --tokens, abacus generate --tokens).\n"))
    return 0;
  if (fs::exists(out)) abacus::fail(out, "", "already exists (import writes a new checkpoint directory)");
  const abacus::io::HfImport m = abacus::io::import_hf_bitnet(hf);
  const std::string tmp = out + ".partial-" + std::to_string(::getpid());
  fs::remove_all(tmp);
  try {
    abacus::train::save_checkpoint(tmp, m.config, m.params.data(), nullptr, nullptr);
    if (m.tokenizer_json) fs::copy_file(fs::path(hf) / "tokenizer.json", fs::path(tmp) / "tokenizer.json");
    fs::rename(tmp, out);
  } catch (...) {
    std::error_code ec;
    fs::remove_all(tmp, ec);
    throw;
  }
  std::printf("import: %s (%s form, %zu file%s): %lld layers, %lld BitLinear weights", hf.c_str(),
              abacus::io::hf_weight_form_name(m.form), m.files.size(), m.files.size() == 1 ? "" : "s",
              (long long)m.config.num_hidden_layers, (long long)m.projections);
  if (m.form == abacus::io::HfWeightForm::packed)
    std::printf(", weight scales reproduced exactly %lld/%lld (worst relative error %.2g)", (long long)m.scales_exact,
                (long long)m.projections, m.max_scale_rel_error);
  std::printf("\nimport: wrote %s%s\n", out.c_str(),
              m.tokenizer_json ? " (tokenizer.json copied; abacus has no reader for it: pass token ids with --tokens)" : "");
  return 0;
}

const abacus::cli::CommandRegistrar reg{{"import", "read a Hugging Face BitNet checkpoint (--hf DIR) into an abacus checkpoint", 15, &run}};

}  // namespace
