// The workload a trace describes, for sim, dse and energy `--trace`: the BitLinear GEMMs as
// they were called (name, T, K, N), the token count, and operand statistics measured on the
// trace instead of assumed.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "src/model/config.h"
#include "src/trace/trace.h"

namespace abacus::trace {

struct TraceGemm {
  std::string name;   // record name, "step0.layers.3.attn.q"
  std::string layer;  // "layers.3.attn.q"
  std::string proj;   // "attn.q"
  int64_t step = 0;
  int64_t T = 0, K = 0, N = 0;  // [T x K] x [K x N]
  int64_t zero_weights = 0;     // zeros in this call's w_q [N, K]
  double macs() const { return double(T) * double(K) * double(N); }
};

struct TraceWorkload {
  ModelConfig config;
  std::vector<TraceGemm> gemms;  // one per record, in call order
  int64_t tokens = 0;            // tokens processed by all steps (prompt + decoded)
  int64_t prompt_tokens = 0;     // T of the prefill step
  int64_t decode_steps = 0;
  double macs = 0;               // sum over gemms of T*K*N
  // Weights: over the distinct layers (each layer's w_q counted once).
  int64_t weight_count = 0, zero_weight_count = 0;
  double zero_weight_fraction = 0;
  // MAC-weighted zero weights: the fraction of the T*K*N multiply-adds whose weight is 0
  // (the adds a zero-gating PE skips).
  double zero_weight_mac_fraction = 0;
  // Activations: over every x_q element of every record.
  int64_t activation_count = 0, zero_activation_count = 0;
  double zero_activation_fraction = 0;
  double mean_abs_x_q = 0;  // mean |x_q| (int8 units)
  // MAC-weighted fraction with a zero weight or a zero activation: what a PE that gates its
  // adder on either operand skips (operand_stats.h).
  double skippable_mac_fraction = 0;
  // The trace records only some layers or token rows (version 2 sampling): gemms then cover
  // what was recorded, not the whole model run.
  bool sampled = false;
};

TraceWorkload extract_workload(const TraceFile& trace);

}  // namespace abacus::trace
