// Analytic fast path: the machine of machine.h evaluated without events. Per GEMM the DMA/tile
// overlap is the two-slot recurrence
//   load_start[j] = max(load_end[j-1], compute_end[j-slots]),  load_end[j] = load_start[j] + D_j
//   compute_end[j] = max(compute_end[j-1], load_end[j]) + S_j
// (closed over the units of one GEMM, O(units) arithmetic, no allocation); attention-unit
// GEMMs are max(read, MACs) + writeback; repeated commands (layers) are evaluated once and scaled. tests/sim holds it equal to the SystemC model.
#pragma once
#include "sim/accel_config.h"
#include "sim/systemc/machine.h"
#include "sim/systemc/workload.h"

namespace abacus::sim {

// `fast`: skip runs of identical units once the recurrence is in its periodic regime (exact;
// false walks every unit, for tests).
SimCounters analytic_gemm(const AccelConfig& c, const GemmCommand& g, bool resident = false, bool fast = true);
SimCounters analytic_vector(const AccelConfig& c, const VectorCommand& v);
SimCounters analytic_run(const AccelConfig& c, const Workload& w, bool fast = true);

}  // namespace abacus::sim
