#include "energy/matmul_energy.h"

#include "src/util/error.h"

namespace abacus::energy {

Precision accumulator_precision(int bits) {
  if (bits == 16) return Precision::int16;
  if (bits == 32) return Precision::int32;
  fail("", "acc_bits", "must be 16 or 32 (got " + std::to_string(bits) + ")");
}

MatmulEnergy matmul_energy(const Workload& w, const TechTable& t, int acc_bits) {
  const Precision acc = accumulator_precision(acc_bits);
  Workload linear = w, attention = w;
  linear.gemms.clear();
  attention.gemms.clear();
  for (const Gemm& g : w.gemms) (g.kind == GemmKind::linear ? linear : attention).gemms.push_back(g);
  CountingRules paper;  // INT8 adds for BitLinear, FP16 elsewhere
  CountingRules accum = paper;
  accum.bitnet_add = acc;
  CountingRules gated = accum;
  gated.gated_zero_fraction = w.bitnet ? w.zero_fraction.value_or(0.0) : 0.0;

  MatmulEnergy e;
  e.gated_zero_fraction = gated.gated_zero_fraction;
  e.linear_paper = mul_add_joules(count_matmul_ops(linear, paper), t).total();
  e.linear_accumulator = w.bitnet ? mul_add_joules(count_matmul_ops(linear, accum), t).total() : e.linear_paper;
  e.linear_gated = w.bitnet ? mul_add_joules(count_matmul_ops(linear, gated), t).total() : e.linear_paper;
  e.attention = mul_add_joules(count_matmul_ops(attention, paper), t).total();
  return e;
}

}  // namespace abacus::energy
