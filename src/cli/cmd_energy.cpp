// abacus energy: the arithmetic energy model of the BitNet papers (--paper) and the fuller
// per-token model beyond them (--config/--model): accumulator width, zero-weight gating from
// a checkpoint, memory traffic and non-matmul work. See energy/*.h.
#include <boost/program_options.hpp>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "src/cli/command.h"
#include "src/cli/energy_on_accel.h"
#include "src/cli/option_checks.h"
#include "src/cli/options.h"
#include "src/util/error.h"

#ifdef ABACUS_ENERGY_AVAILABLE
#include "energy/inference_energy.h"
#include "energy/matmul_energy.h"
#include "energy/model_shape.h"
#include "energy/paper_tables.h"
#include "energy/ternary_zeros.h"
#include "src/io/atomic_file.h"
#include "src/io/json_fields.h"
#include "src/trace/energy_workload.h"
#endif

namespace po = boost::program_options;

namespace {

#ifdef ABACUS_ENERGY_AVAILABLE
using namespace abacus::energy;

std::string fixed(double v, int decimals) {
  char b[64];
  std::snprintf(b, sizeof b, "%.*f", decimals, v);
  return b;
}

void print_paper(const std::vector<PaperCell>& cells) {
  std::printf("## 2310.11453 Table 1: matmul energy (J) for a 512-token input\n\n");
  std::printf("| model | size | W bits | node | op | model J | paper J | diff | within rounding |\n");
  std::printf("|---|---|---|---|---|---:|---:|---:|---|\n");
  for (const auto& c : cells) {
    if (c.table != "2310.11453-T1") continue;
    std::printf("| %s | %s | %s | %s | %s | %s | %s | %+.4f | %s |\n", c.model.c_str(), c.size.c_str(), c.bits.c_str(),
                c.node.c_str(), c.op.c_str(), fixed(c.value, 4).c_str(), fixed(c.paper, c.decimals).c_str(),
                c.difference(), c.within_rounding() ? "yes" : "NO (reported)");
  }
  for (const auto& c : cells) {
    if (c.table != "2402.17764-F3") continue;
    std::printf("\n## 2402.17764 Figure 3: arithmetic saving of a b1.58 matmul at 7nm\n\n");
    std::printf("(FP16 ADD + FP16 MUL) / INT8 ADD = %.2fx (paper %.1fx, %s)\n", c.value, c.paper,
                c.within_rounding() ? "equal at one decimal" : "DIFFERENT");
  }
  std::printf("\n## 2504.12285 Table 1: matmul energy (J) at 7nm, 512 tokens\n\n");
  std::printf("| model | W bits | model J | paper J | diff | within rounding |\n|---|---|---:|---:|---:|---|\n");
  for (const auto& c : cells) {
    if (c.table != "2504.12285-T1") continue;
    std::printf("| %s | %s | %s | %s | %+.4f | %s |\n", c.model.c_str(), c.bits.c_str(), fixed(c.value, 4).c_str(),
                fixed(c.paper, c.decimals).c_str(), c.difference(), c.within_rounding() ? "yes" : "NO (reported)");
  }
  int off = 0;
  for (const auto& c : cells) off += !c.within_rounding();
  std::printf("\n%zu cells, %d outside the printed rounding (see README results-energy).\n", cells.size(), off);
}

std::string paper_csv(const std::vector<PaperCell>& cells) {
  std::string s = "table,model,size,bits,node,op,joules,paper_joules\n";
  char b[512];
  for (const auto& c : cells) {
    std::snprintf(b, sizeof b, "%s,%s,%s,%s,%s,%s,%.9g,%.9g\n", c.table.c_str(), c.model.c_str(), c.size.c_str(),
                  c.bits.c_str(), c.node.c_str(), c.op.c_str(), c.value, c.paper);
    s += b;
  }
  return s;
}

// --config: a models/*.json ModelConfig, or a reference-model shape file (has "source").
ModelShape load_shape(const std::string& path) {
  const abacus::io::Json j = abacus::io::load_json_file(path);
  if (j.is_object() && j.contains("source")) return ModelShape::load(path);
#ifdef ABACUS_ENERGY_HAVE_CONFIG_LOADER
  ModelShape s = ModelShape::from_config(abacus::ModelConfig::load(path));
  if (s.name.empty()) s.name = path;
  return s;
#else
  abacus::fail(path, "", "model configurations need the core config loader, not built yet; use a reference shape file");
#endif
}
#endif  // ABACUS_ENERGY_AVAILABLE

int run(int argc, char** argv) {
  po::options_description opts(
      "abacus energy: matmul energy of the BitNet papers, and a fuller per-token model\n\n"
      "  abacus energy --paper [--csv FILE]\n"
      "  abacus energy (--config FILE | --model NAME) [--tokens L] [--node 7nm] [--phase prefill|decode]\n"
      "                [--checkpoint DIR] [--acc-bits 32] [--json FILE]\n\noptions");
  opts.add_options()("help,h", "show this help")
      ("paper", "reproduce the papers' energy tables (2310.11453 T1, 2402.17764 71.4x, 2504.12285 T1)")
      ("csv", po::value<std::string>(), "with --paper: write table,model,size,bits,node,op,joules,paper_joules")
      ("config", po::value<std::string>(), "model configuration (models/*.json) or reference shape file")
      ("model", po::value<std::string>(), "a reference model of energy/reference_models by name (e.g. bitnet-b1.58-2b)")
      ("tokens", po::value<long long>()->default_value(512), "prefill length L, or the cached context for decode")
      ("node", po::value<std::string>()->default_value("7nm"), "technology node (energy/tech/<node>.json) or a .json file")
      ("phase", po::value<std::string>()->default_value("prefill"), "prefill (L tokens) or decode (1 token, L cached)")
      ("trace", po::value<std::string>(), "a trace (abacus trace): shape from its config, --tokens defaults to its prompt length, zero-weight fraction measured on its w_q; also prints the matmul energy of exactly the traced GEMMs and the measured activation statistics")
      ("gate-zero-activations", "with --trace: the PE gates its adder on a zero activation too, so the gated share is the measured fraction of MACs with a zero weight or a zero activation")
      ("checkpoint", po::value<std::string>(), "measure the zero-weight fraction from DIR/model.safetensors (shape from DIR/config.json unless --config/--model)")
      ("zero-fraction", po::value<double>(), "use this zero-weight fraction instead of measuring it")
      ("acc-bits", po::value<int>()->default_value(32), "accumulator width for ternary adds (16 or 32)")
      ("sram-kib", po::value<double>()->default_value(256), "on-chip buffer size (sets SRAM access energy)")
      ("weight-bits", po::value<double>()->default_value(2), "stored bits per ternary weight (2 packed, 1.58 ideal)")
      ("json", po::value<std::string>(), "write the per-token result as JSON")
      ("force", "allow --json/--csv to be one of the input files")
      ("list", "list technology nodes and reference models")
      ("accel", po::value<std::string>(), "with --config MODEL: energy per token on this accelerator configuration (sim/configs/*.json), by the simulator's accounting (equals abacus sim)")
      ("batch", po::value<long long>()->default_value(1), "with --accel and --phase decode: sequences decoded together");
  po::variables_map vm;
  if (!abacus::cli::parse_options(argc, argv, opts, vm)) return 0;
#ifndef ABACUS_ENERGY_AVAILABLE
  abacus::fail("", "energy", "this build has no energy library");
#else
  {  // numbers and output paths, before any work
    namespace cli = abacus::cli;
    cli::check_range<long long>("--tokens", vm["tokens"].as<long long>(), 1, 1ll << 40);
    const int acc = vm["acc-bits"].as<int>();
    if (acc != 16 && acc != 32) abacus::fail("", "--acc-bits", "must be 16 or 32, got " + std::to_string(acc));
    cli::check_range<double>("--sram-kib", vm["sram-kib"].as<double>(), 1.0 / 1024, double(1 << 24));
    cli::check_range<double>("--weight-bits", vm["weight-bits"].as<double>(), 1.0, 16.0);
    if (vm.count("zero-fraction")) cli::check_range<double>("--zero-fraction", vm["zero-fraction"].as<double>(), 0.0, 1.0);
    std::vector<std::string> inputs;
    for (const char* k : {"config", "trace", "node"})
      if (vm.count(k)) inputs.push_back(vm[k].as<std::string>());
    if (vm.count("checkpoint"))
      for (const char* f : {"/config.json", "/model.safetensors"}) inputs.push_back(vm["checkpoint"].as<std::string>() + f);
    for (const char* k : {"json", "csv"})
      if (vm.count(k)) cli::refuse_output_onto_input(k, vm[k].as<std::string>(), inputs, vm.count("force") > 0);
  }
  if (vm.count("list")) {
    std::printf("technology nodes (%s):", tech_dir().c_str());
    for (const auto& n : TechTable::available_nodes()) std::printf(" %s", n.c_str());
    std::printf("\nreference models: %s/*.json\n", reference_models_dir().c_str());
    return 0;
  }
  if (vm.count("paper")) {
    const auto cells = paper_cells(TechTable::load("7nm"), TechTable::load("45nm"));
    print_paper(cells);
    if (vm.count("csv")) {
      abacus::io::write_file_atomic(vm["csv"].as<std::string>(), paper_csv(cells));
      std::printf("wrote %s\n", vm["csv"].as<std::string>().c_str());
    }
    return 0;
  }
  if (vm.count("csv")) abacus::fail("", "--csv", "only with --paper (use --json for a model)");
  if (vm.count("accel")) {
#ifdef ABACUS_SIM_AVAILABLE
    if (!vm.count("config")) abacus::fail("", "--accel", "needs --config MODEL (a models/*.json configuration)");
    const std::string ph = vm["phase"].as<std::string>();
    if (ph != "prefill" && ph != "decode") abacus::fail("", "--phase", "must be prefill or decode");
    const long long toks = vm["tokens"].as<long long>(), batch = vm["batch"].as<long long>();
    if (toks <= 0) abacus::fail("", "--tokens", "must be positive");
    if (batch <= 0) abacus::fail("", "--batch", "must be positive");
    abacus::cli::energy_on_accel(vm["config"].as<std::string>(), vm["accel"].as<std::string>(), ph, toks, batch,
                                 vm.count("json") ? vm["json"].as<std::string>() : "");
    return 0;
#else
    abacus::fail("", "--accel", "this build has no simulator");
#endif
  }
  if (vm.count("config") && vm.count("model")) throw po::error("give --config FILE or --model NAME, not both");
  if (!vm.count("config") && !vm.count("model") && !vm.count("checkpoint") && !vm.count("trace"))
    throw po::error("give --paper, --config FILE, --model NAME, --checkpoint DIR or --trace FILE");
  if (vm.count("trace") && (vm.count("config") || vm.count("model") || vm.count("checkpoint") || vm.count("zero-fraction")))
    throw po::error("--trace gives the shape and the zero-weight fraction: not with --config/--model/--checkpoint/--zero-fraction");
  std::optional<abacus::trace::TraceFile> traced;
  abacus::trace::TraceWorkload traced_work;
  if (vm.count("trace")) {
    traced.emplace(abacus::trace::TraceFile::open(vm["trace"].as<std::string>()));
    traced_work = abacus::trace::extract_workload(*traced);
  }
  // Without --config/--model the checkpoint's own config.json gives the shape.
  const ModelShape shape = traced ? ModelShape::from_config(traced->config())
                           : vm.count("config") ? load_shape(vm["config"].as<std::string>())
                           : vm.count("model") ? ModelShape::reference(vm["model"].as<std::string>())
                                               : load_shape(vm["checkpoint"].as<std::string>() + "/config.json");
  InferenceOptions o;
  const std::string phase = vm["phase"].as<std::string>();
  if (phase != "prefill" && phase != "decode") abacus::fail("", "--phase", "must be prefill or decode");
  o.phase = phase == "prefill" ? Phase::prefill : Phase::decode;
  o.tokens = vm["tokens"].as<long long>();
  if (traced && vm["tokens"].defaulted()) o.tokens = traced_work.prompt_tokens;
  if (o.tokens <= 0) abacus::fail("", "--tokens", "must be positive");
  o.acc_bits = vm["acc-bits"].as<int>();
  o.sram_kib = vm["sram-kib"].as<double>();
  o.bitnet_weight_bits = vm["weight-bits"].as<double>();
  if (!(o.bitnet_weight_bits > 0)) abacus::fail("", "--weight-bits", "must be positive");
  if (vm.count("zero-fraction") && vm.count("checkpoint")) throw po::error("give --zero-fraction or --checkpoint, not both");
  if (vm.count("zero-fraction")) o.zero_fraction = vm["zero-fraction"].as<double>();
  if (vm.count("checkpoint")) {
#ifdef ABACUS_ENERGY_HAVE_SAFETENSORS
    const std::string dir = vm["checkpoint"].as<std::string>();
    std::string quant = shape.bitnet ? "b1.58" : "fp";
    const abacus::io::Json cfg = abacus::io::load_json_file(dir + "/config.json");
    if (cfg.is_object() && cfg.contains("quant") && cfg["quant"].is_string()) quant = cfg["quant"].get<std::string>();
    const ZeroCount z = checkpoint_zeros(dir, quant);
    o.zero_fraction = z.fraction();
    o.zero_fraction_source = "measured from " + dir;
    std::printf("zero weights: %lld of %lld (%.2f%%) over %d BitLinear tensors of %s (%s quantization)\n\n",
                static_cast<long long>(z.zeros), static_cast<long long>(z.weights), 100 * z.fraction(), z.tensors,
                dir.c_str(), quant.c_str());
#else
    abacus::fail("", "--checkpoint", "needs the core safetensors reader, not built yet; use --zero-fraction");
#endif
  }
  const bool gate_x = vm.count("gate-zero-activations") > 0;
  if (gate_x && !traced) abacus::fail("", "--gate-zero-activations", "needs --trace (the activations are measured there)");
  if (traced) {
    o.zero_fraction = gate_x ? traced_work.skippable_mac_fraction : traced_work.zero_weight_mac_fraction;
    o.zero_fraction_source = std::string("measured from trace ") + traced->path() +
                             (gate_x ? " (MACs with a zero weight or a zero activation)" : "");
  }
  if (!shape.bitnet && o.zero_fraction) abacus::fail("", "--zero-fraction", "the model is full precision (no ternary weights)");
  const TechTable tech = TechTable::load(vm["node"].as<std::string>());
  const InferenceEnergy e = inference_energy(shape, tech, o);
  std::fputs(to_markdown(e).c_str(), stdout);
  if (traced) {  // exactly the traced GEMMs (every step), and the operand statistics measured on them
    const Workload w = abacus::trace::energy_workload(*traced, traced_work, gate_x);
    const MatmulEnergy m = matmul_energy(w, tech, o.acc_bits);
    const double per = 1.0 / double(w.tokens);
    std::printf("\ntraced run %s: %zu BitLinear records, %lld tokens; measured: zero weights %.2f%% (MAC-weighted), "
                "zero activations %.2f%%, mean |x_q| %.2f\n",
                traced->path().c_str(), traced->records().size(), (long long)w.tokens,
                100 * traced_work.zero_weight_mac_fraction, 100 * traced_work.zero_activation_fraction,
                traced_work.mean_abs_x_q);
    std::printf("matmul energy of the traced GEMMs, J/token: BitLinear %.4g (paper adds), %.4g (int%d accumulator), "
                "%.4g (accumulator, zero-gated); attention %.4g\n",
                m.linear_paper * per, m.linear_accumulator * per, o.acc_bits, m.linear_gated * per, m.attention * per);
  }
  if (vm.count("json")) {
    abacus::io::write_file_atomic(vm["json"].as<std::string>(), to_json(e));
    std::printf("\nwrote %s\n", vm["json"].as<std::string>().c_str());
  }
  return 0;
#endif
}

#ifdef ABACUS_ENERGY_AVAILABLE
constexpr const char* kMissing = nullptr;
#else
constexpr const char* kMissing = "energy library";
#endif
const abacus::cli::CommandRegistrar reg{
    {"energy", "energy model: the papers' tables and a per-token model beyond them", 90, &run, kMissing}};

}  // namespace
