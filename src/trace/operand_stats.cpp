#include "src/trace/operand_stats.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>

namespace abacus::trace {

int OperandStats::acc_bits() const {
  int bits = 1;  // sign
  while ((int64_t(1) << (bits - 1)) - 1 < acc_peak) ++bits;
  return bits;
}

std::vector<OperandStats> operand_stats(const TraceFile& trace) {
  std::vector<std::string> order;
  std::map<std::string, OperandStats> by;
  // Per layer, zeros per input column k of w_q (a zero activation at k skips N MACs, a nonzero
  // one skips the column's zero weights) and in total; computed once per layer.
  std::map<std::string, std::vector<int64_t>> col_zeros;
  OperandStats all;
  all.proj = "all";
  for (const TraceRecord& r : trace.records()) {
    if (!by.count(r.proj)) {
      order.push_back(r.proj);
      by[r.proj].proj = r.proj;
    }
    OperandStats& s = by[r.proj];
    auto it = col_zeros.find(r.layer);
    if (it == col_zeros.end()) {
      std::vector<int64_t> cz(std::size_t(r.K), 0);
      int64_t z = 0;
      for (int64_t n = 0; n < r.N; ++n)
        for (int64_t k = 0; k < r.K; ++k)
          if (r.w_q[n * r.K + k] == 0) ++cz[std::size_t(k)], ++z;
      for (OperandStats* o : {&s, &all}) {
        o->weights += r.N * r.K;
        o->zero_weights += z;
      }
      it = col_zeros.emplace(r.layer, std::move(cz)).first;
    }
    const std::vector<int64_t>& cz = it->second;
    int64_t zero_x = 0, toggles = 0, peak = 0;
    double skip = 0, zw = 0;
    for (int64_t t = 0; t < r.T; ++t) {
      const int8_t* x = r.x_q + t * r.K;
      for (int64_t k = 0; k < r.K; ++k) {
        zw += double(cz[std::size_t(k)]);
        if (x[k] == 0) {
          ++zero_x;
          skip += double(r.N);
        } else {
          skip += double(cz[std::size_t(k)]);
        }
      }
      if (t + 1 < r.T)
        for (int64_t k = 0; k < r.K; ++k) toggles += __builtin_popcount(unsigned(uint8_t(x[k] ^ x[k + r.K])));
    }
    for (int64_t i = 0; i < r.T * r.N; ++i) peak = std::max<int64_t>(peak, std::llabs(int64_t(r.acc[i])));
    for (OperandStats* o : {&s, &all}) {
      o->records += 1;
      o->activations += r.T * r.K;
      o->zero_activations += zero_x;
      o->macs += double(r.T) * double(r.K) * double(r.N);
      o->skippable_macs += skip;
      o->zero_weight_macs += zw;
      o->lane_beats += std::max<int64_t>(r.T - 1, 0) * r.K;
      o->toggled_bits += toggles;
      o->acc_peak = std::max(o->acc_peak, peak);
    }
  }
  std::vector<OperandStats> out;
  for (const std::string& p : order) out.push_back(by[p]);
  out.push_back(all);
  return out;
}

std::string operand_stats_table(const std::vector<OperandStats>& stats) {
  std::string out =
      "| projection | records | zero weights | zero activations (int8) | MACs skippable (w=0 or x=0) | "
      "activation bit toggles / beat | accumulator peak |abs| (bits) |\n"
      "|---|---:|---:|---:|---:|---:|---:|\n";
  char line[512];
  for (const OperandStats& s : stats) {
    std::snprintf(line, sizeof line, "| %s | %lld | %.2f%% | %.2f%% | %.2f%% | %s | %lld (%d) |\n", s.proj.c_str(),
                  (long long)s.records, 100 * s.zero_weight_fraction(), 100 * s.zero_activation_fraction(),
                  100 * s.skippable_mac_fraction(),
                  s.lane_beats ? (std::to_string(s.toggle_rate()).substr(0, 6)).c_str() : "n/a (T = 1)",
                  (long long)s.acc_peak, s.acc_bits());
    out += line;
  }
  return out;
}

}  // namespace abacus::trace
