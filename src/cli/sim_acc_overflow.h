// `abacus sim --trace FILE`: how many of the traced GEMMs' accumulations overflow the
// configuration's accumulator (acc_bits, acc_overflow; sim/acc_arith.h semantics), counted on
// the recorded operands. Only for builds with the simulator.
#pragma once
#include <cstdio>
#include <string>

#include "sim/systemc/pe_model.h"
#include "src/trace/trace.h"

namespace abacus::cli {

inline void print_acc_overflows(const sim::AccelConfig& c, const std::string& trace_path) {
  const trace::TraceFile tf = trace::TraceFile::open(trace_path);
  sim::AccOverflowCount total;
  int64_t records = 0, records_hit = 0;
  for (const trace::TraceRecord& r : tf.records()) {
    if (!r.x_q || !r.w_q) continue;
    const sim::AccOverflowCount n = sim::count_acc_overflows(c, r.x_q, r.w_q, r.T, r.K, r.N);
    total.chunk_adds += n.chunk_adds;
    total.overflows += n.overflows;
    total.outputs_changed += n.outputs_changed;
    records += 1;
    records_hit += n.overflows > 0;
  }
  std::printf("Accumulator (%d-bit, %s) on the traced operands\n", c.acc_bits, sim::acc_overflow_name(c.acc_overflow));
  std::printf("  %-28s %lld of %lld K_T-chunk additions\n", "overflowed", (long long)total.overflows,
              (long long)total.chunk_adds);
  std::printf("  %-28s %lld\n", "outputs off the exact sum", (long long)total.outputs_changed);
  std::printf("  %-28s %lld of %lld\n", "GEMM records affected", (long long)records_hit, (long long)records);
}

}  // namespace abacus::cli
