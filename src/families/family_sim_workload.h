// Adapter: a family trace's workload as a sim::Workload (sim/systemc/workload.h), for
// `abacus family sim`. Header-only so the core library does not depend on the sim library.
// Commands in the forward's call order:
//   bitlinear  -> a GEMM on the ternary tile with the traced shape (2-bit weights in DRAM),
//                 preceded by its LayerNorm + activation quantization on the vector unit
//                 (T*K elements x (3 + 2) ops, the LM workload's per-element costs)
//   dense_fp   -> a GEMM with 8-bit weights (as the LM head of the LM workloads)
//   attention  -> vector unit, B*H*pairs*(2*head_dim + 5): QK^T and AV one op per product,
//                 softmax 5 per score; pairs = Tq*Tk (bidirectional, cross) or Tq(Tq+1)/2
//                 (causal). An encoder is one pass: no decode steps, no KV cache.
//   spmm       -> vector unit, nnz*F multiply-adds (one op each): the GNN aggregation is
//                 irregular sparse work that the dense ternary tile cannot do
//   layernorm  -> 3 ops per element;  act, add -> 1 op per element
#pragma once
#include "sim/systemc/workload.h"
#include "src/families/family_trace.h"

namespace abacus::families {

inline sim::Workload family_sim_workload(const FamilyWorkload& w) {
  sim::Workload s;
  s.name = w.name;
  s.phase = "family";
  s.tokens = w.items;  // "per token" in the report is per inference (chunk, graph pass, sequence)
  s.weight_zero_fraction = w.zero_weight_mac_fraction;
  for (const FamilyOp& o : w.ops) {
    if (o.kind == "bitlinear") {
      s.add_vector(o.name + ".norm+quant", double(o.T) * double(o.K) * (3 + 2));
      s.add_gemm(o.name, o.T, o.K, o.N);
    } else if (o.kind == "dense_fp") {
      s.add_gemm(o.name, o.T, o.K, o.N, 1, 8);
    } else if (o.kind == "attention") {
      const AttnShape& a = o.attn;
      const double pairs = a.causal ? double(a.Tq) * double(a.Tq + 1) / 2 : double(a.Tq) * double(a.Tk);
      s.add_vector(a.causal ? "attention(causal)" : "attention", double(a.B) * double(a.H) * pairs * (2.0 * double(a.hd) + 5));
    } else if (o.kind == "spmm") {
      s.add_vector("spmm", double(o.nnz) * double(o.F));
    } else if (o.kind == "layernorm") {
      s.add_vector("layernorm", 3.0 * double(o.elements));
    } else {
      s.add_vector(o.kind, double(o.elements));
    }
  }
  return s;
}

}  // namespace abacus::families
