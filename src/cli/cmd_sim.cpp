// abacus sim: one workload (prefill of L tokens or decode of a batch against a KV cache, or a
// trace) on one accelerator configuration, by the analytic fast path, the event-driven SystemC
// model, or the SystemC model co-simulating the Verilated RTL tile (src/cli/sim_cosim.h);
// prints a Timeloop-style summary and optionally writes it as JSON. See sim/systemc/*.h.
#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>
#include <string>

#include "src/cli/command.h"
#include "src/cli/option_checks.h"
#include "src/cli/options.h"
#include "src/cli/sim_cosim.h"
#include "src/cli/sim_workload_options.h"
#include "src/util/error.h"

#ifdef ABACUS_SIM_AVAILABLE
#include "sim/accel_config.h"
#include "sim/systemc/analytic_model.h"
#include "sim/systemc/report.h"
#include "sim/systemc/systemc_model.h"
#include "sim/systemc/workload.h"
#include "src/io/atomic_file.h"
#include "src/model/config.h"
#include "src/trace/sim_workload.h"
#ifdef ABACUS_SIM_AVAILABLE
#include "src/cli/sim_acc_overflow.h"
#endif
#endif

namespace po = boost::program_options;

namespace {

int run(int argc, char** argv) {
  std::string model, trace_path, accel, phase = "prefill", json, fidelity = "analytic", wave;
  int64_t tokens = 128, batch = 1, kv_len = 512;
  po::options_description opts("abacus sim: simulate a model workload on the accelerator");
  opts.add_options()("help,h", "show this help")
      ("trace", po::value(&trace_path), "trace.safetensors (abacus trace) instead of --model: its layer shapes, token count and measured zero-weight fraction")
      ("model", po::value(&model), "model config JSON (models/*.json)")
      ("accel", po::value(&accel), "accelerator config JSON (sim/configs/*.json); default: built-in defaults")
      ("phase", po::value(&phase)->default_value(phase), "prefill | decode")
      ("tokens", po::value(&tokens)->default_value(tokens), "prefill: prompt length L")
      ("batch", po::value(&batch)->default_value(batch), "decode: batch B")
      ("kv-len", po::value(&kv_len)->default_value(kv_len), "decode: KV cache length C")
      ("json", po::value(&json), "write the report as JSON to this file")
      ("wave", po::value(&wave), "cosim: write the RTL tile's port signals as a VCD waveform (large: data buses every cycle)")
      ("fidelity", po::value(&fidelity)->default_value(fidelity),
       "analytic | systemc | cosim (with --trace: the SystemC model with the Verilated RTL tile as its tile, "
       "checked against the SystemC tile model and the trace)")
      ("force", po::bool_switch(), "allow --json/--wave to be one of the input files");
  po::variables_map vm;
  if (!abacus::cli::parse_options(argc, argv, opts, vm)) return 0;
#ifdef ABACUS_SIM_AVAILABLE
  using namespace abacus;
  cli::refuse_output_onto_input("--json", json, {accel, model, trace_path}, vm["force"].as<bool>());
  cli::refuse_output_onto_input("--wave", wave, {accel, model, trace_path}, vm["force"].as<bool>());
  const sim::AccelConfig c = accel.empty() ? sim::AccelConfig{} : sim::AccelConfig::load(accel);
  const cli::SimWorkloadOptions wo{model, trace_path, phase, fidelity, tokens, batch, kv_len};
  if (fidelity == "cosim") {
    if (!model.empty()) fail("abacus sim", "--model", "the co-simulation runs a trace's operands; give --trace instead");
#ifdef ABACUS_COSIM_AVAILABLE
    return cli::run_trace_cosim(c, trace_path, json, wave);
#else
    fail("abacus sim", "--fidelity cosim", "this build has no co-simulation (the Verilated SystemC tiles)");
#endif
  }
  if (!wave.empty()) fail("abacus sim", "--wave", "only with --fidelity cosim");
  const sim::Workload w = cli::load_sim_workload("abacus sim", wo);
  const sim::SimCounters s = cli::run_sim(wo.fidelity, c, w);
  const sim::SimReport r = sim::make_report(c, w, s, fidelity);
  std::cout << sim::report_text(r);
  if (!trace_path.empty()) cli::print_acc_overflows(c, trace_path);
  if (!json.empty()) {
    io::write_file_atomic(json, sim::report_json(r));
    std::cout << "wrote " << json << "\n";
  }
  return 0;
#else
  (void)tokens;
  (void)batch;
  (void)kv_len;
  throw abacus::Error("abacus sim: this build has no simulator (built without sim/, e.g. the ASan build)");
#endif
}

#ifdef ABACUS_SIM_AVAILABLE
constexpr const char* kMissing = nullptr;
#else
constexpr const char* kMissing = "simulator";
#endif
static const abacus::cli::CommandRegistrar reg{
    {"sim", "simulate a workload on the accelerator (analytic, SystemC, or SystemC co-simulating the RTL tile)", 80,
     &run, kMissing}};

}  // namespace
