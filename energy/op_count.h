// Arithmetic operation counting for matrix products (2310.11453 Eqs. 16-18) and its energy.
// Full precision: an (m x n)(n x p) product costs m(n-1)p additions and m n p
// multiplications of the model's precision. BitNet: a BitLinear product is additions only,
// m(n-1)p of them, plus (m p + m n) multiplications for the rescales (one per output and one
// per quantized input element); attention products stay in high precision.
#pragma once
#include "energy/action_energy.h"
#include "energy/workload.h"

namespace abacus::energy {

struct CountingRules {
  Precision fp = Precision::fp16;         // precision of full-precision products (and attention)
  Precision attention = Precision::fp16;  // precision of Q K^T and A V in a BitNet model
  // What one BitLinear addition is charged: INT8 is the papers' convention; an int8 added
  // into a 32-bit (or 16-bit) accumulator is an INT32 (INT16) addition.
  Precision bitnet_add = Precision::int8;
  Precision rescale = Precision::fp16;  // the (m p + m n) rescale multiplications
  // Zero-weight gating: this fraction of BitLinear additions is skipped (ternary zeros gate
  // the adder input). 0 = no gating (the papers' count).
  double gated_zero_fraction = 0;
  // true: additions m(n-1)p as Eq. 16; false: one addition per multiply-accumulate (m n p).
  bool exact_additions = true;
};

// Arithmetic only (adds, muls, skipped adds); no memory, no non-matmul work.
ActionCounts count_matmul_ops(const Workload& w, const CountingRules& rules);

// Joules of the multiplications and additions (the paper's MUL and ADD columns).
struct MulAddJoules {
  double mul = 0;
  double add = 0;
  double total() const { return mul + add; }
};
MulAddJoules mul_add_joules(const ActionCounts& c, const TechTable& t);

}  // namespace abacus::energy
