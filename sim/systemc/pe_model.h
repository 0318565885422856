// What depends on the processing element (PE style "adder-tree", "mac", "lut"; accumulator
// width): its shape, the per-action counts the energy model charges, its area, and the
// accumulator-width checks. The SystemC and analytic models call in here; the pipeline depth
// is in sim/pe_pipeline.h (shared with the RTL harness).
//
// PE "lut" (rtl/lut_*.v): a tile beat cuts the K_T activations into NG = ceil(K_T / g) groups
// (the last one padded with zeros); one shared table per group holds the HT = (3^g + 1) / 2
// partial sums of the weight patterns with a non-negative balanced-ternary value, built with
// HT - 1 - g adders (one per entry that is not a single activation); every column looks its
// NG weight groups up (an HT:1 multiplexer, a conditional negate, one register each) and sums
// them in an NG-input adder tree into the accumulator.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "sim/accel_config.h"
#include "sim/systemc/workload.h"

namespace abacus::sim {

struct LutShape {
  int g = 0;             // weights per lookup
  int groups = 0;        // NG per k-step
  int entries = 0;       // HT per group table
  int entry_bits = 0;    // TW = 9 + clog2(g)
  int index_bits = 0;    // stored bits per group: 1 + clog2(HT)
  int table_adds = 0;    // adders per group table: HT - 1 - g
};
LutShape lut_shape(int k_t, int g);

// Bits the tile's weight registers hold per weight: 2 (ternary), 1 (binary), 8 (mac),
// index_bits / g (lut: 2, 1.67, 1.75, 1.6 for g = 2..5).
double tile_bits_per_weight(const AccelConfig& c);

// Largest |partial sum| one output can reach on GEMM g (K int8 activations x weights):
// 128 * K for ternary/binary weights, 128 * 128 * K for PE "mac".
int64_t acc_bound(const AccelConfig& c, const GemmCommand& g);
// Throws an abacus::Error naming acc_bits when a GEMM of w can overflow a wrapping
// accumulator of c.acc_bits bits (acc_overflow "saturate" is always accepted).
void check_acc_width(const AccelConfig& c, const Workload& w);

// Accumulator overflows of one GEMM's operands on c's PE (sim/acc_arith.h semantics).
struct AccOverflowCount {
  int64_t chunk_adds = 0;  // K_T-chunk additions into an accumulator: T * N * ceil(K / K_T)
  int64_t overflows = 0;   // of which left the acc_bits range (then wrapped or clamped)
  int64_t outputs_changed = 0;  // outputs that differ from the exact (unbounded) sum
};
AccOverflowCount count_acc_overflows(const AccelConfig& c, const int8_t* x, const int8_t* w, int64_t T, int64_t K,
                                     int64_t N);

// Per-tile-beat PE actions (one k-step of one token across the N_T columns), charged by the
// energy model. Adder-tree and mac are charged per useful operation elsewhere (report.cpp).
struct LutBeatActions {
  double table_adds = 0;      // table build, shared by the columns (entry_bits wide)
  double table_reg_bits = 0;  // table register written
  double lookups = 0;         // HT:1 multiplexer reads of entry_bits, one per column and group
  double lookup_reg_bits = 0; // lookup registers written
  double tree_adds = 0;       // group adder trees (entry_bits + up to log2 NG wide)
  double acc_adds = 0;        // accumulator updates
};
LutBeatActions lut_beat_actions(const AccelConfig& c);

// Tile datapath area in adder-bit equivalents, by component (see pe_model.cpp for the
// register and multiplexer equivalents, which are assumptions).
struct PeAreaBits {
  double adder_bits = 0;     // lane/tree/table adders and accumulators
  double register_bits = 0;  // pipeline registers (lane, table, lookup), as adder bits
  double mux_bits = 0;       // LUT lookup multiplexers, as adder bits
  double weight_store_bits = 0;  // the tile's weight registers (MAX_KS k-steps): raw bits
};
PeAreaBits pe_area_bits(const AccelConfig& c, int64_t max_ksteps);
// The k-steps the tile's weight registers must hold on c: one weight-buffer slot.
int64_t tile_max_ksteps(const AccelConfig& c);

}  // namespace abacus::sim
