// Event-driven SystemC/TLM-2.0 model of the accelerator (design.md 3.2). Modules: controller
// (runs the command stream), DMA engine (TLM initiator, 2-D gather descriptors), DRAM (TLM
// target: latency + beats/bandwidth per transfer), ternary tile (functional adder-only
// accumulation, timed per unit), weight/activation/output buffers (double-buffered weight
// slots), PPU and vector unit (throughput-timed). Fidelity: one SystemC time unit (1 ns) is one
// clock cycle; the tile advances with one wait per unit (T * k-tiles cycles) rather than one
// event per cycle, DRAM with one wait per transfer. The timing rules are those of machine.h;
// tests/sim holds the analytic model equal to this one.
//
// One SystemC kernel per process: the modules are elaborated once on first use and each call
// runs one job to completion (sc_pause between jobs), so any number of calls may be made.
#pragma once
#include <cstdint>

#include "sim/accel_config.h"
#include "sim/systemc/machine.h"
#include "sim/systemc/workload.h"

namespace abacus::sim {

// Timing and counters of a whole workload (no data).
SimCounters systemc_run(const AccelConfig& c, const Workload& w);

// One GEMM with data: x_q [T x K] int8 row-major, w_q [N x K] int8 in {-1,0,1} ({-1,1} for
// binary configs); the DMA moves the packed 2-bit (1-bit) weight codes, the tile accumulates
// add/subtract/skip into acc [T x N] int32 (the accumulators before the PPU rescale).
SimCounters systemc_gemm(const AccelConfig& c, const GemmCommand& g, const int8_t* x_q, const int8_t* w_q,
                         int32_t* acc);

}  // namespace abacus::sim
