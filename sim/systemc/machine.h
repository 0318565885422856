// The accelerator's timing rules, shared by the event-driven SystemC model and the analytic
// fast path so that both describe one machine:
//  - DRAM: a transfer of B bytes is a stream of requests (bursts of dram_burst_bytes, or one
//    request when 0) with up to dram_max_outstanding in flight; each request returns latency
//    after issue and its data then occupies the channel for its beats / bandwidth. One transfer
//    at a time on the channel; a transfer the DMA issues back to back with the previous one
//    (unit loads of a GEMM with a free slot) hides its first latency behind the previous
//    transfer's last requests. dram_transfer_cycles is the closed form of that stream.
//  - Tile: per token row it steps through the K_T-wide k-tiles of one N_T column slice, one
//    per cycle (weights of more than 2 bits run bit-serially: one pass per bit plane). As in the
//    RTL tile (rtl/README.md "Pipeline and cycle formula"), every unit also pays its weight fill
//    (one beat per k-step) and the LOAD_W/RUN command cycles (2), and each GEMM ends with the
//    drain: 1 + PIPE + 2 cycles, PIPE = 1 + ceil(log2(K_T)/2).
//  - Mapping (per GEMM, the one with the least DRAM traffic for the buffers, see plan_gemm):
//    row blocks of T (each reading its activation tile once) x activation chunks of K x column
//    slices x weight chunks (packed weights that fit one weight-buffer slot: the whole buffer,
//    or half when double buffered). A unit is one (row block, column slice, weight chunk); its
//    DMA brings the chunk's weights and, for the first unit of an activation tile, that tile.
//    The DMA loads unit j+1 while the tile computes unit j; the PPU rescales a slice once its
//    last chunk is done (a unit takes max(tile cycles, PPU cycles)).
//  - Residency: when all the workload's weights fit the weight buffer they stay on chip
//    (steady state: no weight traffic); a GEMM whose weights fit it loads them once for all
//    its row blocks.
//  - Outputs are written back after the GEMM's last unit (int8, or the KV cache at kv_bits
//    for the k/v projections, 16-bit logits for the LM head).
//  - Attention unit: QK^T and AV (and the LM head when lm_head_unit is "attn-unit") stream
//    their right operand (K/V cache at kv_bits, or 8-bit weights) from DRAM while the MAC
//    array computes: max(read, macs / attn_unit_macs) cycles, then the writeback.
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

// Channel occupancy of one DRAM transfer. `continuing`: the DMA issues it back to back with the
// previous one (no wait in between), so with requests in flight its first latency is hidden
// behind the previous transfer's last requests.
int64_t dram_transfer_cycles(const AccelConfig& c, int64_t bytes, bool continuing = false);

// Stored bits per weight of a GEMM (the K/V cache for attention GEMMs).
int weight_bits(const AccelConfig& c, const GemmCommand& g);

enum class ExecUnit { tile, attn_unit };
const char* exec_unit_name(ExecUnit u);

// PE timing of one tile unit: the cycles its k-steps take to compute, and the per-unit overhead
// (weight fill, commands). The adder tree takes one k-step per cycle and fills one k-step of
// weights per cycle plus the LOAD_W/RUN command cycles (rtl/README.md). Other PE styles' timing
// belongs here (one place, read by both models).
struct TileUnitTiming {
  int64_t compute = 0, overhead = 0;
};
inline TileUnitTiming tile_unit_timing(const AccelConfig& c, int64_t k_steps, int64_t kt_count) {
  (void)c;
  return {k_steps, kt_count + 2};
}

struct Unit {
  int64_t t0 = 0, rows = 0;      // row block
  int64_t n0 = 0, n_cols = 0;    // column slice
  int64_t kt0 = 0, kt_count = 0; // k-tiles
  int64_t ka0 = 0, ka_len = 0;   // K range of the activation tile this unit reads
  int64_t act_tile = 0;          // index of that tile (streamed: the unit's own slice)
  int64_t weight_bytes = 0;      // weights the DMA brings (0: already on chip)
  int64_t act_bytes = 0;         // activations the DMA brings with this unit
  int64_t dma_bytes = 0;         // weight_bytes + act_bytes
  bool last_of_slice = false;    // the slice's last chunk: the PPU rescales after it
  int64_t k_steps = 0;           // K_T-wide activation steps issued: rows * kt_count * bit planes
  int64_t tile_cycles = 0;       // cycles the PE array computes them (tile_unit_timing)
  int64_t overhead_cycles = 0;   // weight fill (kt_count) + LOAD_W/RUN command cycles (2)
  int64_t ppu_cycles = 0;        // PPU rescale of the slice (after its last chunk; else 0)
  int64_t step_cycles = 0;       // max(tile + overhead cycles, PPU cycles of this unit)
};

// How one GEMM runs on a configuration: unit, mapping, and (on the tile) how it is cut into units.
struct GemmPlan {
  ExecUnit exec = ExecUnit::tile;
  std::string mapping;     // printed by the report ("weight-stationary", "row-blocked x4", ...)
  int64_t T = 0, K = 0, N = 0;
  int wbits = 2;
  int planes = 1;          // bit-serial passes on the tile (8-bit weights: 8)
  int in_bits = 8, out_bits = 8;
  int64_t macs = 0;        // useful multiply-accumulates
  int64_t n_tiles = 0, k_tiles = 0;
  int64_t ktiles_per_chunk = 0;  // k-tiles per weight chunk
  int64_t chunks = 0;            // weight chunks per slice and row block
  int64_t rows_per_block = 0, row_blocks = 1;
  int64_t act_ktiles = 0, act_chunks = 1;  // k-tiles per activation chunk
  bool stream_acts = false;      // weight-stationary with activations re-streamed per unit
  bool weights_resident = false; // all the workload's weights live on chip
  bool weights_reused = false;   // this GEMM's weights stay in the buffer across row blocks
  bool kv_operand = false;       // the right operand is the K/V cache (QK^T, AV)
  bool kv_output = false;        // the outputs are K/V cache entries (k, v projections)
  int64_t weight_bytes = 0;      // packed weights (or the K/V cache slice) of the GEMM
  int64_t act_bytes = 0;         // T*K inputs
  int64_t out_bytes = 0;         // T*N outputs at out_bits
  int64_t slots = 2;             // weight-buffer slots (2 when double buffered)

  int64_t units() const;
  Unit unit_at(const AccelConfig& c, int64_t j) const;
  Unit unit(const AccelConfig& c, int64_t j) const { return unit_at(c, j); }
  // How many units right after unit j are guaranteed to equal it in bytes and cycles (a lower
  // bound; 0 when unknown): the next full column slices of the same activation tile.
  int64_t identical_units_after(const AccelConfig& c, int64_t j) const;
  // DRAM bytes of this plan (reads, writes) without running it.
  int64_t dram_read_bytes() const;
  // Attention-unit compute cycles.
  int64_t attn_compute_cycles(const AccelConfig& c) const { return ceil_div(macs, c.attn_unit_macs); }
};

// `resident`: all the workload's weights fit the weight buffer (weights_fit_on_chip).
GemmPlan plan_gemm(const AccelConfig& c, const GemmCommand& g, bool resident = false);
// Packed bytes of every weight the workload uses (each repeat its own layer's weights).
int64_t workload_weight_bytes(const AccelConfig& c, const Workload& w);
bool weights_fit_on_chip(const AccelConfig& c, const Workload& w);

// Everything both models count. All integers: the two models must agree exactly.
struct SimCounters {
  int64_t cycles = 0;
  int64_t tile_cycles = 0;          // cycles the tile computes (sum of T*k-tiles per unit)
  int64_t tile_overhead_cycles = 0; // per-unit weight fill + command cycles
  int64_t pipeline_cycles = 0;      // drain at the end of each GEMM
  int64_t vector_cycles = 0;
  int64_t attn_cycles = 0;          // attention-unit commands (QK^T, AV, LM head there)
  int64_t writeback_cycles = 0;     // serial output writebacks
  int64_t stall_tile_wait_dram = 0; // tile idle waiting for a unit's weights (incl. the first)
  int64_t stall_dma_wait_buffer = 0;// DMA blocked: both weight slots full
  int64_t stall_ppu = 0;            // unit stretched because the PPU is slower than the tile
  int64_t gemm_ops = 0;             // useful multiply-free accumulations T*K*N
  int64_t padded_ops = 0;           // tile lane-cycles incl. padding: tile_cycles * N_T * K_T
  int64_t dram_read_bytes = 0, dram_write_bytes = 0;
  int64_t dram_transfers = 0;
  int64_t dram_weight_bytes = 0;    // of the reads: weights (tile and LM head)
  int64_t dram_kv_read_bytes = 0, dram_kv_write_bytes = 0;  // KV cache
  int64_t attn_fp16_macs = 0, attn_int8_macs = 0;           // attention-unit MACs by precision
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

// Buffer-traffic and op counts of one tile GEMM that do not depend on timing; weight_bytes and
// act_bytes are the sums of its units', transfers the units with DMA bytes (the caller walks
// them anyway).
void count_gemm_traffic(const AccelConfig& c, const GemmPlan& p, int64_t weight_bytes, int64_t act_bytes,
                        int64_t transfers, SimCounters& s);
// Traffic and op counts of one attention-unit GEMM.
void count_attn_traffic(const AccelConfig& c, const GemmPlan& p, SimCounters& s);
// Attention-unit timing: the operand read overlaps the MACs, then the outputs are written.
struct AttnTiming {
  int64_t read = 0, compute = 0, write = 0, total = 0;
};
AttnTiming attn_timing(const AccelConfig& c, const GemmPlan& p);
int64_t vector_command_cycles(const AccelConfig& c, double ops);

}  // namespace abacus::sim
