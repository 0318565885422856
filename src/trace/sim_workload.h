// Adapter: a trace's workload as a sim::Workload (sim/systemc/workload.h), for `abacus sim
// --trace` and `abacus dse --trace`: every step of the trace becomes the model workload of
// that step (prefill of the prompt, then one decode step against pos cached tokens), with the
// BitLinear GEMMs replaced by the traced records (their real shapes, in call order); the vector
// work and the LM head, which the trace does not record, come from the model workload. The
// zero-weight fraction is the MAC-weighted fraction measured on the recorded w_q.
// `records`, when given, receives for each command the trace record it came from (-1 for the
// commands that come from the model workload), so a co-simulation can feed the GEMMs their
// recorded operands. Header-only so the core library does not depend on the sim library
// (absent under ASan).
#pragma once
#include <set>
#include <string>
#include <vector>

#include "sim/systemc/workload.h"
#include "src/trace/workload.h"

namespace abacus::trace {

// gate_zero_activations: as energy_workload.h, the gated share counts zero activations too.
inline sim::Workload sim_workload(const TraceFile& trace, const TraceWorkload& w,
                                  std::vector<int64_t>* records = nullptr, bool gate_zero_activations = false) {
  static const std::set<std::string> kProjections = {"q", "k", "v", "o", "gate", "up", "down"};
  sim::Workload out;
  out.name = w.config.name.empty() ? "trace" : w.config.name;
  out.phase = "trace";
  out.tokens = w.tokens;
  out.weight_zero_fraction = gate_zero_activations ? w.skippable_mac_fraction : w.zero_weight_mac_fraction;
  std::size_t next = 0;  // next traced gemm (records are in step order)
  for (const TraceStep& s : trace.steps()) {
    const sim::Workload model = s.step == 0 ? sim::prefill_workload(w.config, s.tokens)
                                            : sim::decode_workload(w.config, 1, s.pos);
    for (; next < w.gemms.size() && w.gemms[next].step == s.step; ++next) {
      const TraceGemm& g = w.gemms[next];
      // k and v outputs are KV-cache entries (written at the accelerator's kv_bits).
      const bool kv = g.name == "k" || g.name == "v";
      out.add_gemm(g.name, g.T, g.K, g.N, 1, 0, kv ? sim::GemmRole::kv_projection : sim::GemmRole::projection);
      if (records) records->push_back(int64_t(next));
    }
    for (const sim::Command& c : model.commands)
      if (c.kind == sim::Command::Kind::vector || !kProjections.count(c.gemm.name)) {
        out.commands.push_back(c);
        if (records) records->push_back(-1);
      }
  }
  return out;
}

}  // namespace abacus::trace
