#include "energy/op_count.h"

#include "src/util/error.h"

namespace abacus::energy {

ActionCounts count_matmul_ops(const Workload& w, const CountingRules& r) {
  if (r.gated_zero_fraction < 0 || r.gated_zero_fraction > 1)
    fail("", "zero fraction", "must be in [0, 1]");
  ActionCounts c;
  c.skipped_add_precision = r.bitnet_add;
  for (const Gemm& g : w.gemms) {
    if (g.m <= 0 || g.n <= 0 || g.p <= 0 || g.count <= 0) fail("", g.name, "GEMM dimensions must be positive");
    const double k = double(g.count);
    const double mp = double(g.m) * double(g.p);
    const double adds = mp * double(r.exact_additions ? g.n - 1 : g.n) * k;
    const double muls = mp * double(g.n) * k;
    if (w.bitnet && g.kind == GemmKind::linear) {
      const double gated = adds * r.gated_zero_fraction;
      c.add(r.bitnet_add) += adds - gated;
      c.skipped_adds += gated;
      c.mul(r.rescale) += (mp + double(g.m) * double(g.n)) * k;
    } else {
      const Precision p = w.bitnet ? r.attention : r.fp;
      c.add(p) += adds;
      c.mul(p) += muls;
    }
  }
  return c;
}

MulAddJoules mul_add_joules(const ActionCounts& c, const TechTable& t) {
  MulAddJoules j;
  for (Precision p : all_precisions()) {
    j.add += c.adds[static_cast<std::size_t>(p)] * t.add(p) * 1e-12;
    j.mul += c.muls[static_cast<std::size_t>(p)] * t.mul(p) * 1e-12;
  }
  return j;
}

}  // namespace abacus::energy
