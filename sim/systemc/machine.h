// The accelerator's timing rules, shared by the event-driven SystemC model and the analytic
// fast path so that both describe one machine:
//  - DRAM: a transfer of B bytes occupies the channel for latency + ceil(B/beat)*beat/bandwidth
//    cycles (rounded up to whole cycles), one transfer at a time.
//  - Tile: weight-stationary over one N_T column slice; per token row it steps through the
//    K_T-wide k-tiles, one per cycle, so a GEMM takes ceil(N/N_T) * T * ceil(K/K_T) compute
//    cycles. As in the RTL tile (rtl/README.md "Pipeline and cycle formula"), every unit also
//    pays its weight fill (one beat per k-step) and the LOAD_W/RUN command cycles (2), and each
//    GEMM ends with the drain: 1 + PIPE + 2 cycles, PIPE = 1 + ceil(log2(K_T)/2).
//  - A GEMM is cut into units: an N_T column slice x a chunk of k-tiles whose packed weights
//    fit one weight-buffer slot (the whole buffer, or half of it when double buffered). The DMA
//    loads unit j+1 while the tile computes unit j; the PPU rescales the slice's outputs in
//    step with the tile (a unit takes max(tile cycles, PPU cycles)).
//  - Activations [T x K] are loaded once per GEMM when they fit the activation buffer (half of
//    it when double buffered), otherwise each unit streams its own activation slice.
//  - Outputs (int8 after the PPU re-quantizes) are written back after the GEMM's last unit.
//  - Commands run in order with a barrier between them (the next layer needs this output).
//  - Vector commands take ceil(ops / vector_lanes) cycles.
#pragma once
#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "sim/accel_config.h"
#include "sim/pe_pipeline.h"
#include "sim/systemc/workload.h"

namespace abacus::sim {

inline int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }
inline int ceil_log2(int64_t x) {
  int l = 0;
  while ((int64_t(1) << l) < x) ++l;
  return l;
}

// Fill/drain latency of the tile pipeline in cycles (see above).
inline int64_t tile_pipe_stages(const AccelConfig& c) { return pe_pipe_stages(c.pe, c.k_t, c.lut_group); }
inline int64_t tile_pipeline_cycles(const AccelConfig& c) { return 1 + tile_pipe_stages(c) + 2; }

// Channel occupancy of one DRAM transfer.
int64_t dram_transfer_cycles(const AccelConfig& c, int64_t bytes);

// Stored bits per weight of a GEMM.
inline int weight_bits(const AccelConfig& c, const GemmCommand& g) {
  return g.weight_bits > 0 ? g.weight_bits : (c.weights == WeightMode::binary ? 1 : 2);
}

struct Unit {
  int64_t n0 = 0, n_cols = 0;    // column slice
  int64_t kt0 = 0, kt_count = 0; // k-tiles
  int64_t dma_bytes = 0;         // weights (+ activations when not resident)
  int64_t tile_cycles = 0;       // T * kt_count
  int64_t overhead_cycles = 0;   // weight fill (kt_count) + LOAD_W/RUN command cycles (2)
  int64_t ppu_cycles = 0;        // PPU rescale of the slice (after its last chunk; else 0)
  int64_t step_cycles = 0;       // max(tile + overhead cycles, PPU cycles of this unit)
};

// How one GEMM is cut into units on a configuration.
struct GemmPlan {
  int64_t T = 0, K = 0, N = 0;
  int wbits = 2;
  int64_t n_tiles = 0, k_tiles = 0;
  int64_t ktiles_per_chunk = 0, chunks = 0;
  bool acts_resident = false;
  int64_t act_bytes = 0;   // T*K, loaded once when resident
  int64_t out_bytes = 0;   // T*N int8 written back
  int64_t slots = 2;       // weight-buffer slots (2 when double buffered)

  int64_t units() const { return n_tiles * chunks; }
  Unit unit(const AccelConfig& c, int64_t j) const;
};

GemmPlan plan_gemm(const AccelConfig& c, const GemmCommand& g);

// Everything both models count. All integers: the two models must agree exactly.
struct SimCounters {
  int64_t cycles = 0;
  int64_t tile_cycles = 0;          // cycles the tile computes (sum of T*k-tiles per unit)
  int64_t tile_overhead_cycles = 0; // per-unit weight fill + command cycles
  int64_t pipeline_cycles = 0;      // drain at the end of each GEMM
  int64_t vector_cycles = 0;
  int64_t act_load_cycles = 0;      // serial activation loads
  int64_t writeback_cycles = 0;     // serial output writebacks
  int64_t stall_tile_wait_dram = 0; // tile idle waiting for a unit's weights (incl. the first)
  int64_t stall_dma_wait_buffer = 0;// DMA blocked: both weight slots full
  int64_t stall_ppu = 0;            // unit stretched because the PPU is slower than the tile
  int64_t gemm_ops = 0;             // useful multiply-free accumulations T*K*N
  int64_t padded_ops = 0;           // tile lane-cycles incl. padding: tile_cycles * N_T * K_T
  int64_t dram_read_bytes = 0, dram_write_bytes = 0;
  int64_t dram_transfers = 0;
  int64_t weight_buf_write_bytes = 0, weight_buf_read_bytes = 0;
  int64_t act_buf_write_bytes = 0, act_buf_read_bytes = 0;
  int64_t out_buf_write_bytes = 0, out_buf_read_bytes = 0;
  int64_t ppu_ops = 0;
  double vector_ops = 0;
  int64_t commands = 0;

  SimCounters& operator+=(const SimCounters& o);
  SimCounters scaled(int64_t k) const;
  bool operator==(const SimCounters& o) const;
  // "name this vs other" for every field that differs (empty when equal).
  std::vector<std::string> differences(const SimCounters& o) const;
};

// The integer counters by name, in declaration order (vector_ops, a double, is not listed).
struct CounterField {
  const char* name;
  int64_t SimCounters::*member;
};
const std::vector<CounterField>& counter_fields();

// Buffer-traffic and op counts of one GEMM that do not depend on timing.
void count_gemm_traffic(const AccelConfig& c, const GemmPlan& p, SimCounters& s);
int64_t vector_command_cycles(const AccelConfig& c, double ops);

}  // namespace abacus::sim
