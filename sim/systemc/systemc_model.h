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
//
// Co-simulation: with TileImpl::rtl the tile is not the model's own but an attached clocked tile
// (sim/systemc/clocked_tile.h; sim/cosim attaches the Verilated RTL). Everything else (DMA, DRAM,
// buffers, PPU, controller) is the same model, and the tile's counters come from the cycles it
// really took, so a co-simulation and a TileImpl::model run of one job are comparable field by
// field.
#pragma once
#include <cstdint>
#include <vector>

#include "sim/accel_config.h"
#include "sim/systemc/clocked_tile.h"
#include "sim/systemc/machine.h"
#include "sim/systemc/workload.h"

namespace abacus::sim {

enum class TileImpl { model, rtl };  // the model's timed tile, or the attached clocked tile

// Operands of one GEMM command: x_q [T x K] int8, w_q [N x K] in {-1,0,1} ({-1,1} binary); the
// tile's accumulators land in acc [T x N]. All null: the GEMM is timing only.
struct GemmOperands {
  const int8_t* x_q = nullptr;
  const int8_t* w_q = nullptr;
  int32_t* acc = nullptr;
};

// Timing and counters of a whole workload (no data).
SimCounters systemc_run(const AccelConfig& c, const Workload& w);

// A whole workload where GEMM command i computes on operands[i] when that entry is set (the
// vector may be shorter than the command list). With TileImpl::rtl, timing-only GEMMs (e.g. the
// LM head, whose weights a trace does not hold) are clocked through the tile on zero operands.
SimCounters systemc_run(const AccelConfig& c, const Workload& w, const std::vector<GemmOperands>& operands,
                        TileImpl tile);

// One GEMM with data: x_q [T x K] int8 row-major, w_q [N x K] int8 in {-1,0,1} ({-1,1} for
// binary configs); the DMA moves the packed 2-bit (1-bit) weight codes, the tile accumulates
// add/subtract/skip into acc [T x N] int32 (the accumulators before the PPU rescale).
SimCounters systemc_gemm(const AccelConfig& c, const GemmCommand& g, const int8_t* x_q, const int8_t* w_q,
                         int32_t* acc, TileImpl tile = TileImpl::model);

// Makes clocked tiles available to TileImpl::rtl runs. They are sc_modules, so they must be
// built and attached before this process's first SystemC run (the kernel elaborates once);
// later calls throw. The tiles must outlive every run.
void attach_clocked_tiles(const std::vector<ClockedTile*>& tiles);
// The attached tile that matches c; throws naming the attached ones when there is none.
ClockedTile& clocked_tile_for(const AccelConfig& c);

}  // namespace abacus::sim
