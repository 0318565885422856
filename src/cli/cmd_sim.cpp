// abacus sim: one workload (prefill of L tokens or decode of a batch against a KV cache) on one
// accelerator configuration, by the analytic fast path or the event-driven SystemC model;
// prints a Timeloop-style summary and optionally writes it as JSON. See sim/systemc/*.h.
#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>
#include <string>

#include "src/cli/command.h"
#include "src/cli/options.h"
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
#endif

namespace po = boost::program_options;

namespace {

int run(int argc, char** argv) {
  std::string model, trace_path, accel, phase = "prefill", json, fidelity = "analytic";
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
      ("fidelity", po::value(&fidelity)->default_value(fidelity), "analytic | systemc");
  po::variables_map vm;
  if (!abacus::cli::parse_options(argc, argv, opts, vm)) return 0;
#ifdef ABACUS_SIM_AVAILABLE
  using namespace abacus;
  if (model.empty() == trace_path.empty()) fail("abacus sim", "--model/--trace", "give exactly one of them");
  if (phase != "prefill" && phase != "decode") fail("abacus sim", "--phase", "must be prefill or decode");
  if (fidelity != "analytic" && fidelity != "systemc") fail("abacus sim", "--fidelity", "must be analytic or systemc");
  const sim::AccelConfig c = accel.empty() ? sim::AccelConfig{} : sim::AccelConfig::load(accel);
  sim::Workload w;
  if (!trace_path.empty()) {  // the traced run (all its steps), instead of --phase/--tokens
    const trace::TraceFile tf = trace::TraceFile::open(trace_path);
    w = trace::sim_workload(tf, trace::extract_workload(tf));
  } else {
    const ModelConfig m = ModelConfig::load(model);
    w = phase == "prefill" ? sim::prefill_workload(m, tokens) : sim::decode_workload(m, batch, kv_len);
  }
  if (w.name.empty()) w.name = model;
  const sim::SimCounters s = fidelity == "analytic" ? sim::analytic_run(c, w) : sim::systemc_run(c, w);
  const sim::SimReport r = sim::make_report(c, w, s, fidelity);
  std::cout << sim::report_text(r);
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

static const abacus::cli::CommandRegistrar reg{
    {"sim", "simulate a model on the accelerator (analytic or SystemC): cycles, traffic, energy, area", 80, &run}};

}  // namespace
