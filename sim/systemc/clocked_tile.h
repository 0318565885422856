// A cycle-accurate tile that the SystemC model can clock in place of its own timed tile model:
// co-simulation. sim/cosim attaches the Verilated RTL tile (Verilator's SystemC output) through
// this interface; the model's threads call it and it consumes simulated time, one clock cycle
// per SystemC nanosecond, exactly as the tile model's waits do.
//
// The model hands the tile one unit at a time (one N_T column slice x one weight-slot chunk of
// k-tiles: LOAD_W + RUN, rtl/README.md), then a drain at the end of each GEMM. Results of a unit
// may leave the tile during later units or the drain; they are added into the unit's `acc`
// before drain() returns.
#pragma once
#include <cstdint>
#include <string>

#include "sim/accel_config.h"
#include "sim/systemc/machine.h"

namespace abacus::sim {

struct TileUnitWork {
  int64_t T = 0;        // tokens (one RUN of T * k_steps activation beats)
  int64_t k_steps = 0;  // K_T-wide k-steps of this unit
  int64_t k_len = 0;    // real K elements (<= k_steps * K_T; the rest is padding)
  int64_t n_cols = 0;   // real columns (<= N_T)
  int wbits = 2;        // stored weight bits: 2 (00 = 0, 01 = +1, 11 = -1) or 1 (1 = -1, 0 = +1)
  // The unit's packed codes as the DMA put them in the weight slot: weight (c, k) at bit
  // (c * k_len + k) * wbits. Null for a timing-only GEMM: the tile runs on zero operands.
  const uint8_t* codes = nullptr;
  const int8_t* acts = nullptr;  // token t's k_len activations at acts + t * act_stride; null: zeros
  int64_t act_stride = 0;
  int32_t* acc = nullptr;        // acc[t * acc_stride + c] += result (two's-complement wrap); null: dropped
  int64_t acc_stride = 0;
};

struct TileUnitCycles {
  int64_t total = 0;    // cycles from the LOAD_W command to the last activation beat accepted
  int64_t compute = 0;  // of which activation beats accepted (T * k_steps without stalls)
};

class ClockedTile {
 public:
  virtual ~ClockedTile() = default;
  virtual std::string name() const = 0;  // e.g. "rtl ternary-16x32"
  // Whether this tile is the one `c` describes (PE style, weights, N_T, K_T, accumulator width).
  virtual bool matches(const AccelConfig& c) const = 0;
  // Empty when the tile can run every unit of the plan; otherwise why not (names the limit).
  virtual std::string unsupported(const GemmPlan& p) const = 0;
  // Synchronous reset; consumes its cycles (callers take it outside the job's cycle count).
  virtual void reset() = 0;
  virtual TileUnitCycles run_unit(const TileUnitWork& u) = 0;
  // DRAIN: returns when every result has left the tile; the cycles it took.
  virtual int64_t drain() = 0;
};

}  // namespace abacus::sim
