// abacus family: the bottom-up paper's model families (src/families): WideMLP, SGC and GCN
// over Brown genres, a BERT-style encoder (masked LM) and a T5-style encoder-decoder (span
// corruption), each fp / b1.58 / b1.58-median. Subcommands train, eval, trace, sim, energy;
// the LM commands (train, eval, trace, sim, energy) are untouched.
#include <boost/program_options.hpp>
#include <chrono>
#include <filesystem>
#include <cstdio>
#include <iostream>
#include <string>

#include "src/cli/command.h"
#include "src/cli/options.h"
#include "src/families/family_model.h"
#include "src/families/family_trace.h"
#include "src/io/atomic_file.h"
#include "src/io/json_fields.h"
#include "src/util/error.h"

#ifdef ABACUS_SIM_AVAILABLE
#include "sim/accel_config.h"
#include "sim/systemc/analytic_model.h"
#include "sim/systemc/report.h"
#include "src/families/family_sim_workload.h"
#endif
#ifdef ABACUS_ENERGY_AVAILABLE
#include "energy/matmul_energy.h"
#include "energy/tech_table.h"
#include "src/families/family_energy_workload.h"
#endif

namespace po = boost::program_options;
using namespace abacus;
using namespace abacus::families;

namespace {

const char* kUsage =
    "usage: abacus family <train|eval|trace|sim|energy> [options]   (abacus family <sub> --help)\n"
    "  train   --config models/families/X.json [--data data/brown] [--seed 1] [--quant fp|b1.58|b1.58-median]\n"
    "          [--act-scale 127|128] [--hidden-size H] [--steps N] [--out ck.safetensors] [--json result.json]\n"
    "  eval    --checkpoint ck.safetensors [--data data/brown]\n"
    "  trace   --checkpoint ck.safetensors --out trace.safetensors [--items 1] [--data data/brown]\n"
    "  sim     --trace trace.safetensors [--accel sim/configs/X.json] [--json out.json]\n"
    "  energy  --trace trace.safetensors [--node 7nm] [--acc-bits 32]\n";

std::string fmt(const char* f, double a, double b = 0, double c = 0) {
  char buf[256];
  std::snprintf(buf, sizeof buf, f, a, b, c);
  return buf;
}

int cmd_train(int argc, char** argv) {
  std::string config, data = "data/brown", out, json, quant, log_every_s;
  int64_t seed = 1, hidden = 0, steps = 0, act_scale = 0, log_every = 0;
  po::options_description o("abacus family train: train one family model and evaluate it on the test split");
  o.add_options()("help,h", "show this help")("config", po::value(&config)->required(), "family config JSON")
      ("data", po::value(&data)->default_value(data), "Brown corpus directory (scripts/fetch-corpus.sh)")
      ("seed", po::value(&seed)->default_value(seed), "initialisation and shuffling seed")
      ("quant", po::value(&quant), "override the config's quant: fp | b1.58 | b1.58-median")
      ("act-scale", po::value(&act_scale), "override act_scale: 128 (the authors' code) | 127 (abacus)")
      ("hidden-size", po::value(&hidden), "override hidden_size")
      ("steps", po::value(&steps), "override training.steps")
      ("log-every", po::value(&log_every)->default_value(0), "print the training loss every N steps (0: never)")
      ("out", po::value(&out), "write the trained model (safetensors checkpoint)")
      ("json", po::value(&json), "write the result as JSON");
  po::variables_map vm;
  if (!cli::parse_options(argc, argv, o, vm)) return 0;
  FamilyConfig c = load_family_config(config);
  if (!quant.empty()) {
    if (quant != "fp" && quant != "b1.58" && quant != "b1.58-median") fail("abacus family train", "--quant", "must be fp, b1.58 or b1.58-median");
    c.quant = quant == "fp" ? Quant::fp : quant == "b1.58" ? Quant::b158 : Quant::b158_median;
  }
  if (vm.count("act-scale")) {
    if (act_scale != 127 && act_scale != 128) fail("abacus family train", "--act-scale", "must be 127 or 128");
    c.act_scale = float(act_scale);
  }
  if (vm.count("hidden-size")) {
    if (hidden < 1 || (c.transformer() && hidden % c.heads)) fail("abacus family train", "--hidden-size", "must be >= 1 (and divisible by heads)");
    c.hidden_size = hidden;
  }
  if (vm.count("steps")) {
    if (steps < 1) fail("abacus family train", "--steps", "must be >= 1");
    c.training.steps = steps;
  }
  if (seed < 0) fail("abacus family train", "--seed", "must be >= 0");
  // Reject an output whose directory is missing before the (minutes of) training.
  for (const std::string& p : {out, json}) {
    if (p.empty()) continue;
    const std::filesystem::path dir = std::filesystem::path(p).parent_path();
    std::error_code ec;
    if (!dir.empty() && !std::filesystem::is_directory(dir, ec)) fail(p, "", "the output directory does not exist");
  }
  const auto t0 = std::chrono::steady_clock::now();
  const FamilyDataset d = build_dataset(c, data);
  const ParamLayout L = family_layout(c, d);
  std::vector<float> params = init_params(L, uint64_t(seed));
  double last_loss = 0;
  train_family(c, d, L, params, uint64_t(seed), [&](const TrainLog& l) {
    last_loss = l.loss;
    if (log_every > 0 && (l.step % log_every == 0)) std::printf("step %lld loss %.4f lr %.3g\n", (long long)l.step, l.loss, l.lr);
  });
  const EvalResult r = evaluate_family(c, d, L, params);
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const char* metric = c.transformer() ? "token accuracy" : "accuracy";
  std::printf("%s %s %s hidden %lld seed %lld: test loss %.4f, %s %.4f (%lld %s), last train loss %.4f, %.1f s, %lld params\n",
              family_name(c.family), quant_name(c.quant), c.name.c_str(), (long long)c.hidden_size, (long long)seed, r.loss,
              metric, r.accuracy, (long long)r.count, c.transformer() ? "predicted tokens" : "test chunks", last_loss, secs,
              (long long)L.total);
  if (!out.empty()) {
    save_family_checkpoint(out, c, d, L, params);
    std::printf("wrote %s\n", out.c_str());
  }
  if (!json.empty()) {
    io::Json j;
    j["family"] = family_name(c.family), j["quant"] = quant_name(c.quant), j["name"] = c.name;
    j["hidden_size"] = c.hidden_size, j["act_scale"] = int(c.act_scale), j["seed"] = seed;
    j["test_loss"] = r.loss, j["test_accuracy"] = r.accuracy, j["test_count"] = r.count;
    j["train_loss_last"] = last_loss, j["seconds"] = secs, j["params"] = L.total, j["steps"] = c.training.steps;
    j["labels"] = c.transformer() ? "" : c.data.labels;
    io::write_file_atomic(json, j.dump(2) + "\n");
  }
  return 0;
}

struct Loaded {
  FamilyCheckpoint ck;
  FamilyDataset d;
  ParamLayout L;
  std::vector<float> params;
};
Loaded load(const std::string& path, const std::string& data) {
  Loaded m;
  m.ck = load_family_checkpoint(path);
  m.d = build_dataset(m.ck.config, data);
  m.L = family_layout(m.ck.config, m.d);
  m.params = checkpoint_params(m.ck, m.d, m.L, path);
  return m;
}

int cmd_eval(int argc, char** argv) {
  std::string ck, data = "data/brown";
  po::options_description o("abacus family eval: test-split loss and accuracy of a family checkpoint");
  o.add_options()("help,h", "show this help")("checkpoint", po::value(&ck)->required(), "family checkpoint")
      ("data", po::value(&data)->default_value(data), "Brown corpus directory");
  po::variables_map vm;
  if (!cli::parse_options(argc, argv, o, vm)) return 0;
  Loaded m = load(ck, data);
  const EvalResult r = evaluate_family(m.ck.config, m.d, m.L, m.params);
  std::printf("%s %s: test loss %.4f, accuracy %.4f over %lld\n", family_name(m.ck.config.family),
              quant_name(m.ck.config.quant), r.loss, r.accuracy, (long long)r.count);
  return 0;
}

int cmd_trace(int argc, char** argv) {
  std::string ck, data = "data/brown", out;
  int64_t items = 1;
  po::options_description o("abacus family trace: record the integer inference of a b1.58 family model");
  o.add_options()("help,h", "show this help")("checkpoint", po::value(&ck)->required(), "family checkpoint")
      ("out", po::value(&out)->required(), "trace.safetensors to write")
      ("items", po::value(&items)->default_value(items), "test inferences to record (chunks / sequences; gcn: one graph pass)")
      ("data", po::value(&data)->default_value(data), "Brown corpus directory");
  po::variables_map vm;
  if (!cli::parse_options(argc, argv, o, vm)) return 0;
  Loaded m = load(ck, data);
  const int64_t n = write_family_trace(out, m.ck.config, m.d, m.L, m.params, items);
  std::printf("wrote %s: %lld BitLinear records\n", out.c_str(), (long long)n);
  return 0;
}

int cmd_sim(int argc, char** argv) {
  std::string trace, accel, json;
  po::options_description o("abacus family sim: a family trace's workload on the accelerator (analytic model)");
  o.add_options()("help,h", "show this help")("trace", po::value(&trace)->required(), "family trace")
      ("accel", po::value(&accel), "accelerator config JSON (sim/configs/*.json)")
      ("json", po::value(&json), "write the report as JSON");
  po::variables_map vm;
  if (!cli::parse_options(argc, argv, o, vm)) return 0;
#ifdef ABACUS_SIM_AVAILABLE
  const sim::AccelConfig c = accel.empty() ? sim::AccelConfig{} : sim::AccelConfig::load(accel);
  const FamilyWorkload fw = family_workload(FamilyTrace::open(trace));
  const sim::Workload w = family_sim_workload(fw);
  const sim::SimReport r = sim::make_report(c, w, sim::analytic_run(c, w), "analytic");
  std::cout << sim::report_text(r);
  std::printf("(\"per token\" above is per inference: %lld %s)\n", (long long)fw.items,
              fw.config.transformer() ? "sequence(s)" : fw.config.family == Family::gcn ? "graph pass" : "chunk(s)");
  if (!json.empty()) io::write_file_atomic(json, sim::report_json(r));
  return 0;
#else
  fail("abacus family sim", "", "this build has no simulator (built without sim/, e.g. the ASan build)");
#endif
}

int cmd_energy(int argc, char** argv) {
  std::string trace, node = "7nm";
  int acc_bits = 32;
  po::options_description o("abacus family energy: matmul energy per inference of a family trace, b1.58 vs fp");
  o.add_options()("help,h", "show this help")("trace", po::value(&trace)->required(), "family trace")
      ("node", po::value(&node)->default_value(node), "technology node (energy/tech) or a tech JSON")
      ("acc-bits", po::value(&acc_bits)->default_value(acc_bits), "accumulator bits: 16 | 32");
  po::variables_map vm;
  if (!cli::parse_options(argc, argv, o, vm)) return 0;
#ifdef ABACUS_ENERGY_AVAILABLE
  const energy::TechTable tech = energy::TechTable::load(node);
  const FamilyWorkload fw = family_workload(FamilyTrace::open(trace));
  const energy::MatmulEnergy b = energy::matmul_energy(family_energy_workload(fw, true), tech, acc_bits);
  const energy::MatmulEnergy f = energy::matmul_energy(family_energy_workload(fw, false), tech, acc_bits);
  const double per = 1.0 / double(fw.items);
  const double bit_total = (b.linear_paper + b.attention) * per, fp_total = (f.linear_paper + f.attention) * per;
  std::printf("%s (%s, %s): matmul energy per inference (%lld inference(s) in the trace), %s\n", fw.name.c_str(),
              family_name(fw.config.family), quant_name(fw.config.quant), (long long)fw.items, node.c_str());
  std::printf("  linear  b1.58 INT8 adds (papers): %.4g J | int8 into INT%d acc: %.4g J | zero-gated (%.3f zeros): %.4g J\n",
              b.linear_paper * per, acc_bits, b.linear_accumulator * per, b.gated_zero_fraction, b.linear_gated * per);
  std::printf("  linear  fp16 MACs (same shapes):  %.4g J\n", f.linear_paper * per);
  std::printf("  high-precision products (attention%s): %.4g J\n", fw.config.family == Family::gcn ? ", SpMM" : "",
              b.attention * per);
  std::printf("  total   b1.58 %.4g J vs fp %.4g J: %.2fx less\n", bit_total, fp_total, bit_total > 0 ? fp_total / bit_total : 0.0);
  return 0;
#else
  (void)acc_bits;
  fail("abacus family energy", "", "this build has no energy model");
#endif
}

int run(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    std::cout << kUsage;
    return argc < 2 ? 2 : 0;
  }
  const std::string sub = argv[1];
  std::string argv0 = std::string("abacus family ") + sub;
  argv[1] = argv0.data();
  if (sub == "train") return cmd_train(argc - 1, argv + 1);
  if (sub == "eval") return cmd_eval(argc - 1, argv + 1);
  if (sub == "trace") return cmd_trace(argc - 1, argv + 1);
  if (sub == "sim") return cmd_sim(argc - 1, argv + 1);
  if (sub == "energy") return cmd_energy(argc - 1, argv + 1);
  std::fprintf(stderr, "abacus family: unknown subcommand '%s'\n%s", sub.c_str(), kUsage);
  return 2;
}

static const cli::CommandRegistrar reg{
    {"family", "the bottom-up paper's families: MLP, SGC/GCN, BERT-style encoder, T5-style encoder-decoder (fp, b1.58, median)",
     35, &run}};

}  // namespace
