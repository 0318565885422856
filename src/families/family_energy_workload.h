// Adapter: a family trace's workload as energy::Workload (energy/workload.h), for `abacus
// family energy`: one linear Gemm per BitLinear op (traced shape), attention products QK^T
// and AV per attention op (high precision), and the GNN SpMM as high-precision products
// grouped by row degree (a row of degree d is a (1 x d)(d x F) product: d*F multiplications,
// (d-1)*F additions, exactly the sparse work). Full-precision dense layers (the MLM/LM heads)
// are left out, as the LM energy workloads leave out the LM head. `bitnet` false gives the fp
// model of the same shape (every linear product an FP16 multiply-accumulate).
#pragma once
#include "energy/workload.h"
#include "src/families/family_trace.h"

namespace abacus::families {

inline energy::Workload family_energy_workload(const FamilyWorkload& w, bool bitnet) {
  energy::Workload e;
  e.name = w.name + (bitnet ? "" : " (fp of the same shape)");
  e.phase = energy::Phase::prefill;
  e.tokens = w.items;
  e.context = 0;
  e.bitnet = bitnet;
  int attn = 0;
  for (const FamilyOp& o : w.ops) {
    if (o.kind == "bitlinear") {
      e.gemms.push_back({o.name, energy::GemmKind::linear, o.T, o.K, o.N, 1});
    } else if (o.kind == "attention") {
      const AttnShape& a = o.attn;
      const std::string n = "attn" + std::to_string(attn++);
      e.context = std::max(e.context, a.Tk);
      // Causal attention is counted over the full Tq x Tk products (as energy/'s prefill).
      e.gemms.push_back({n + ".scores", energy::GemmKind::attention, a.Tq, a.hd, a.Tk, a.B * a.H});
      e.gemms.push_back({n + ".values", energy::GemmKind::attention, a.Tq, a.Tk, a.hd, a.B * a.H});
    } else if (o.kind == "spmm") {
      for (const auto& [deg, rows] : o.degree_hist)
        if (deg > 0) e.gemms.push_back({"spmm.deg" + std::to_string(deg), energy::GemmKind::attention, rows, deg, o.F, 1});
    }
  }
  if (bitnet) e.zero_fraction = w.zero_weight_mac_fraction;
  return e;
}

}  // namespace abacus::families
