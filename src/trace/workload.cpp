#include "src/trace/workload.h"

#include <cstdlib>
#include <map>

#include "src/trace/operand_stats.h"

namespace abacus::trace {

TraceWorkload extract_workload(const TraceFile& trace) {
  TraceWorkload w;
  w.config = trace.config();
  w.tokens = int64_t(trace.tokens().size());
  w.prompt_tokens = trace.steps().front().tokens;
  w.decode_steps = int64_t(trace.steps().size()) - 1;

  w.sampled = trace.sampled();
  std::map<std::string, int64_t> layer_zeros;  // zeros of each layer's w_q, counted once
  double zero_macs = 0;
  int64_t abs_sum = 0;
  for (const TraceRecord& r : trace.records()) {
    TraceGemm g;
    g.name = r.name;
    g.layer = r.layer;
    g.proj = r.proj;
    g.step = r.step;
    g.T = r.T;
    g.K = r.K;
    g.N = r.N;
    auto lz = layer_zeros.find(r.layer);
    if (lz == layer_zeros.end()) {
      int64_t z = 0;
      for (int64_t i = 0; i < r.N * r.K; ++i) z += r.w_q[i] == 0;
      lz = layer_zeros.emplace(r.layer, z).first;
      w.weight_count += r.N * r.K;
      w.zero_weight_count += z;
    }
    g.zero_weights = lz->second;
    w.macs += g.macs();
    zero_macs += double(r.T) * double(g.zero_weights);
    for (int64_t i = 0; i < r.T * r.K; ++i) {
      const int v = r.x_q[i];
      abs_sum += std::abs(v);
      w.zero_activation_count += v == 0;
    }
    w.activation_count += r.T * r.K;
    w.gemms.push_back(std::move(g));
  }
  if (w.weight_count) w.zero_weight_fraction = double(w.zero_weight_count) / double(w.weight_count);
  if (w.macs > 0) w.zero_weight_mac_fraction = zero_macs / w.macs;
  if (w.activation_count) {
    w.zero_activation_fraction = double(w.zero_activation_count) / double(w.activation_count);
    w.mean_abs_x_q = double(abs_sum) / double(w.activation_count);
  }
  w.skippable_mac_fraction = operand_stats(trace).back().skippable_mac_fraction();
  return w;
}

}  // namespace abacus::trace
