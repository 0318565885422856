// Adapter: a trace's workload as an energy::Workload (energy/workload.h), for `abacus energy
// --trace`: one linear Gemm per BitLinear record with its traced shape, the attention products
// of every step (T new tokens against the pos + T cached ones, per layer and head), the token
// count, and the MAC-weighted zero-weight fraction measured on the recorded w_q.
// Header-only so the core library does not depend on the energy library.
#pragma once
#include "energy/workload.h"
#include "src/trace/workload.h"

namespace abacus::trace {

// gate_zero_activations: the PE gates its adder when either operand is zero (not only a zero
// weight), so the gated share is the measured fraction of MACs with w == 0 or x == 0.
inline energy::Workload energy_workload(const TraceFile& trace, const TraceWorkload& w,
                                        bool gate_zero_activations = false) {
  energy::Workload e;
  e.name = (w.config.name.empty() ? std::string("trace") : w.config.name) + " (trace " + trace.path() + ")";
  e.phase = trace.steps().size() == 1 ? energy::Phase::prefill : energy::Phase::decode;
  e.tokens = w.tokens;
  e.context = w.tokens;
  e.bitnet = true;
  for (const TraceGemm& g : w.gemms)
    e.gemms.push_back({g.layer, energy::GemmKind::linear, g.T, g.K, g.N, 1});
  const int64_t layers = w.config.num_hidden_layers, heads = w.config.num_attention_heads;
  const int64_t hd = w.config.head_dim();
  for (const TraceStep& s : trace.steps()) {
    const int64_t ctx = s.pos + s.tokens;
    const std::string step = "step" + std::to_string(s.step) + ".";
    e.gemms.push_back({step + "attn.scores", energy::GemmKind::attention, s.tokens, hd, ctx, layers * heads});
    e.gemms.push_back({step + "attn.values", energy::GemmKind::attention, s.tokens, ctx, hd, layers * heads});
  }
  e.zero_fraction = gate_zero_activations ? w.skippable_mac_fraction : w.zero_weight_mac_fraction;
  return e;
}

}  // namespace abacus::trace
