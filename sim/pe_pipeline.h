// Register stages of a PE column from an accepted activation beat to its adder-tree output,
// as rtl/gemm_tile.v builds them (PIPE). Header-only: the RTL harness and the SystemC model
// both use it, so the cycle formula has one definition.
//   adder-tree, mac: 1 lane register + ceil(log2(K_T) / 2) tree registers
//   lut:             1 table register + 1 lookup register + ceil(log2(ceil(K_T / g)) / 2)
#pragma once
#include "sim/accel_config.h"

namespace abacus::sim {

inline int pe_ceil_log2(long long x) {
  int l = 0;
  while ((1LL << l) < x) ++l;
  return l;
}

inline int pe_pipe_stages(PeStyle pe, int k_t, int lut_group) {
  if (pe == PeStyle::lut) return 2 + (pe_ceil_log2((k_t + lut_group - 1) / lut_group) + 1) / 2;
  return 1 + (pe_ceil_log2(k_t) + 1) / 2;
}

}  // namespace abacus::sim
