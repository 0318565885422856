// What `abacus sim` and `abacus dse` share: the workload (a trace's steps, or a model's prefill
// or decode) and the choice of model fidelity. Only for builds with the simulator.
#pragma once
#ifdef ABACUS_SIM_AVAILABLE
#include <cstdint>
#include <string>

#include "sim/accel_config.h"
#include "sim/systemc/analytic_model.h"
#include "sim/systemc/systemc_model.h"
#include "sim/systemc/workload.h"
#include "src/model/config.h"
#include "src/trace/sim_workload.h"
#include "src/util/error.h"

namespace abacus::cli {

struct SimWorkloadOptions {
  std::string model, trace_path, phase = "prefill", fidelity = "analytic";
  int64_t tokens = 128, batch = 1, kv_len = 512;
};

// Checks the options (errors name `command` and the flag) and builds the workload. `fidelities`
// lists the ones the command accepts.
inline sim::Workload load_sim_workload(const std::string& command, const SimWorkloadOptions& o,
                                       const std::string& fidelities = "analytic | systemc") {
  if (o.model.empty() == o.trace_path.empty()) fail(command, "--model/--trace", "give exactly one of them");
  if (o.phase != "prefill" && o.phase != "decode") fail(command, "--phase", "must be prefill or decode");
  if ((" | " + fidelities + " | ").find(" | " + o.fidelity + " | ") == std::string::npos)
    fail(command, "--fidelity", "must be one of " + fidelities + ", got \"" + o.fidelity + "\"");
  if (o.tokens < 1 || o.tokens > (int64_t(1) << 24)) fail(command, "--tokens", "must be in [1, 2^24]");
  if (o.batch < 1 || o.batch > (int64_t(1) << 20)) fail(command, "--batch", "must be in [1, 2^20]");
  if (o.kv_len < 0 || o.kv_len > (int64_t(1) << 24)) fail(command, "--kv-len", "must be in [0, 2^24]");
  sim::Workload w;
  if (!o.trace_path.empty()) {  // the traced run (all its steps), instead of --phase/--tokens
    const trace::TraceFile tf = trace::TraceFile::open(o.trace_path);
    w = trace::sim_workload(tf, trace::extract_workload(tf));
  } else {
    const ModelConfig m = ModelConfig::load(o.model);
    w = o.phase == "prefill" ? sim::prefill_workload(m, o.tokens) : sim::decode_workload(m, o.batch, o.kv_len);
  }
  if (w.name.empty()) w.name = o.model;
  return w;
}

inline sim::SimCounters run_sim(const std::string& fidelity, const sim::AccelConfig& c, const sim::Workload& w) {
  return fidelity == "analytic" ? sim::analytic_run(c, w) : sim::systemc_run(c, w);
}

}  // namespace abacus::cli
#endif
