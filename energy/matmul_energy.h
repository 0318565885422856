// Matmul arithmetic energy of any Workload (from a model shape, or built from a trace: one
// Gemm per BitLinear record plus the attention products, with the zero fraction measured on
// the recorded w_q), under the three add conventions the reports compare. Joules for the whole
// workload (divide by Workload::tokens for per token).
#pragma once
#include "energy/op_count.h"
#include "energy/tech_table.h"
#include "energy/workload.h"

namespace abacus::energy {

struct MatmulEnergy {
  double linear_paper = 0;        // BitLinear add = INT8 add (the papers); FP16 MAC for fp models
  double linear_accumulator = 0;  // int8 added into an acc_bits accumulator
  double linear_gated = 0;        // accumulator-aware, additions on zero weights skipped
  double attention = 0;           // QK^T and AV, FP16
  double gated_zero_fraction = 0; // the fraction used for linear_gated (0 if the workload has none)
};

// acc_bits: 16 or 32. Uses w.zero_fraction for gating when set.
MatmulEnergy matmul_energy(const Workload& w, const TechTable& t, int acc_bits = 32);

Precision accumulator_precision(int acc_bits);  // 16 -> INT16, 32 -> INT32, else Error

}  // namespace abacus::energy
