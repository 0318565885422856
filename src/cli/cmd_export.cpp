// abacus export --hf: an abacus b1.58 checkpoint -> a Hugging Face BitNetForCausalLM folder in
// the packed (uint8 + weight_scale) or bf16 master-weight form (src/io/hf_bitnet.h).
#include <boost/program_options.hpp>
#include <cstdio>

#include "src/cli/command.h"
#include "src/cli/options.h"
#include "src/io/hf_bitnet.h"
#include "src/train/checkpoint.h"
#include "src/util/error.h"

namespace po = boost::program_options;

namespace {

int run(int argc, char** argv) {
  std::string ckpt, out, form = "packed";
  double shard_mib = 0;
  po::options_description opts(
      "abacus export: write an abacus b1.58 checkpoint as a Hugging Face BitNetForCausalLM folder\n\n"
      "usage: abacus export --hf --checkpoint CKPT --out DIR [--form packed|bf16]\n\noptions");
  opts.add_options()("help,h", "this help")
      ("hf", "Hugging Face BitNet format (the one export format)")
      ("checkpoint", po::value(&ckpt)->required(), "abacus checkpoint directory")
      ("out", po::value(&out)->required(), "folder to create")
      ("form", po::value(&form)->default_value("packed"), "packed (uint8, 4 ternary values per byte + weight_scale) or bf16 (master weights)")
      ("float32", "store embeddings, norms and scales (and bf16-form weights) as F32 instead of BF16")
      ("shard-mib", po::value(&shard_mib)->default_value(0), "split into shards of at most this many MiB + model.safetensors.index.json (0: one file)");
  po::variables_map vm;
  if (!abacus::cli::parse_options(argc, argv, opts, vm)) return 0;
  if (!vm.count("hf")) abacus::fail("", "--hf", "give --hf (Hugging Face BitNet is the export format)");
  abacus::io::HfExportOptions o;
  if (form == "packed") o.form = abacus::io::HfWeightForm::packed;
  else if (form == "bf16") o.form = abacus::io::HfWeightForm::bf16;
  else abacus::fail("", "--form", "expected packed or bf16, got \"" + form + "\"");
  if (shard_mib < 0) abacus::fail("", "--shard-mib", "must be >= 0");
  o.float32 = vm.count("float32") > 0;
  o.shard_bytes = int64_t(shard_mib * 1024 * 1024);
  const abacus::train::LoadedModel m = abacus::train::load_checkpoint_model(ckpt);
  abacus::io::export_hf_bitnet(m.config, m.params.data(), out, o);
  std::printf("export: wrote %s (%s form%s)\n", out.c_str(), form.c_str(), o.float32 ? ", F32 floats" : ", BF16 floats");
  return 0;
}

const abacus::cli::CommandRegistrar reg{{"export", "write a checkpoint as a Hugging Face BitNet folder (--hf)", 16, &run}};

}  // namespace
