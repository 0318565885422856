// Operand statistics of a trace, per projection kind (attn.q ... ffn.down), measured on the
// recorded integers (what an accelerator's datapath would see), for the energy model and the
// README's hardware discussion:
//   zero weights        fraction of w_q == 0 over the distinct recorded layers
//   zero activations    fraction of x_q == 0 over every recorded x_q element
//   skippable MACs      fraction of the T*K*N multiply-adds with w == 0 or x == 0: what a PE
//                       that gates its adder on either operand being zero skips (the weight-only
//                       gate skips the zero-weight share)
//   activation toggles  bits that flip between consecutive beats of an activation lane: in the
//                       weight-stationary tile lane k gets x_q[t][k] then x_q[t+1][k], so the
//                       rate is popcount(x[t][k] ^ x[t+1][k]) / 8 over all t, k of records with
//                       T >= 2 (two's complement int8, 8 wires per lane)
//   accumulator peak    max |acc| (and the bits a signed accumulator needs to hold it)
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "src/trace/trace.h"

namespace abacus::trace {

struct OperandStats {
  std::string proj;  // "attn.q", ...; "all" for the total
  int64_t records = 0;
  int64_t weights = 0, zero_weights = 0;
  int64_t activations = 0, zero_activations = 0;
  double macs = 0, skippable_macs = 0, zero_weight_macs = 0;
  int64_t lane_beats = 0, toggled_bits = 0;  // beat pairs (t, t+1) x K lanes; flipped bits
  int64_t acc_peak = 0;

  double zero_weight_fraction() const { return weights ? double(zero_weights) / double(weights) : 0; }
  double zero_activation_fraction() const { return activations ? double(zero_activations) / double(activations) : 0; }
  double skippable_mac_fraction() const { return macs > 0 ? skippable_macs / macs : 0; }
  double zero_weight_mac_fraction() const { return macs > 0 ? zero_weight_macs / macs : 0; }
  double toggle_rate() const { return lane_beats ? double(toggled_bits) / (8.0 * double(lane_beats)) : 0; }
  int acc_bits() const;  // signed bits holding [-acc_peak, acc_peak]
};

// One entry per projection kind in first-call order, then "all".
std::vector<OperandStats> operand_stats(const TraceFile& trace);

// Markdown table of the above, one row per entry.
std::string operand_stats_table(const std::vector<OperandStats>& stats);

}  // namespace abacus::trace
