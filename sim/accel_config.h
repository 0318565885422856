// Accelerator configuration (design.md 5.3): one JSON parameter set shared by the RTL
// parameters, the SystemC model, the analytic model and the energy model.
#pragma once
#include <cstdint>
#include <string>

#include "sim/acc_arith.h"
#include "src/accel/arith_config.h"

namespace abacus::sim {

enum class PeStyle { adder_tree, mac, lut };      // "adder-tree", "mac", "lut"
enum class WeightMode { ternary, binary };        // "ternary" (b1.58), "binary" (b1)

// A DRAM technology preset (energy/tech/memory/<name>.json; every number with its source).
struct MemoryPreset {
  std::string name;
  double gbps = 0, latency_ns = 0, pj_per_bit = 0, background_mw = 0;
  static MemoryPreset load(const std::string& name);  // errors name the file and the field
};
std::string memory_tech_dir();

struct AccelConfig {
  std::string name = "default";
  // Tile: N_T columns, each an adder tree over K_T int8 activations.
  int n_t = 16;
  int k_t = 32;
  PeStyle pe = PeStyle::adder_tree;
  WeightMode weights = WeightMode::ternary;
  int acc_bits = 32;          // accumulator width
  AccOverflow acc_overflow = AccOverflow::wrap;  // per K_T-chunk add: wrap or saturate (sim/acc_arith.h)
  bool zero_gating = true;    // ternary zeros gate their adder inputs
  int lut_group = 4;          // g activations per lookup (PE style "lut")
  // Buffers (KiB).
  double weight_buffer_kib = 64;
  double act_buffer_kib = 32;
  double out_buffer_kib = 32;
  bool double_buffer = true;
  // DRAM. `memory` names a technology preset (energy/tech/memory/<name>.json: ddr5, lpddr5x,
  // hbm3) that sets bandwidth, latency, energy per bit and background power; fields given
  // explicitly in the same config override the preset's (e.g. two channels: twice dram_gbps).
  // "custom": no preset, the four fields as given.
  std::string memory = "ddr5";
  double dram_gbps = 25.6;
  double dram_latency_ns = 100;
  int dram_beat_bytes = 64;
  double dram_pj_per_bit = 15;      // interface + array, per bit moved
  double dram_background_mw = 400;  // refresh + standby of the devices, paid for the whole run
  // Pipelined DMA: up to dram_max_outstanding requests of dram_burst_bytes in flight (1: one
  // request at a time, each paying the full latency); burst 0 = one request per transfer.
  int dram_max_outstanding = 1;
  int dram_burst_bytes = 0;
  // KV cache element width in DRAM (16 = FP16, 8 / 4 = quantized with per-row scales).
  int kv_bits = 16;
  // Attention unit: a MAC array that runs QK^T and AV (FP16 for kv_bits 16, INT8 otherwise).
  int attn_unit_macs = 64;          // MACs per cycle
  // Where the LM head (8-bit weights) runs: "attn-unit" (INT8 MACs) or "tile" (bit-serial:
  // one adder-tree pass per weight bit plane).
  std::string lm_head_unit = "attn-unit";
  // Clock and technology node (names a file in energy/tech/).
  double clock_mhz = 1000;
  std::string node = "7nm";
  // Post-processing unit and vector unit throughput (elements per cycle).
  int ppu_lanes = 16;
  int vector_lanes = 16;
  // The datapath's other arithmetic fields (acc_overflow, act_bits, topk_ratio, hadamard,
  // ppu_precision, ppu_mult_bits, ppu_frac_bits, kv_bits), read by the core's parser
  // (src/accel/arith_config.h); arithmetic() joins them with k_t and acc_bits.
  accel::ArithConfig arith;
  accel::ArithConfig arithmetic() const {
    accel::ArithConfig a = arith;
    a.k_t = k_t;
    a.acc_bits = acc_bits;
    a.acc_overflow = acc_overflow == AccOverflow::saturate ? accel::Overflow::saturate : accel::Overflow::wrap;
    return a;
  }

  double cycle_ns() const { return 1e3 / clock_mhz; }
  double dram_bytes_per_cycle() const { return dram_gbps * 1e3 / clock_mhz; }  // GB/s / MHz

  static AccelConfig from_json_text(const std::string& text, const std::string& file);
  static AccelConfig load(const std::string& path);
  std::string to_json_text() const;
};

const char* pe_style_name(PeStyle p);
const char* weight_mode_name(WeightMode w);
const char* acc_overflow_name(AccOverflow o);

}  // namespace abacus::sim
