// Accelerator configuration (design.md 5.3): one JSON parameter set shared by the RTL
// parameters, the SystemC model, the analytic model and the energy model.
#pragma once
#include <cstdint>
#include <string>

#include "src/accel/arith_config.h"

namespace abacus::sim {

enum class PeStyle { adder_tree, mac, lut };      // "adder-tree", "mac", "lut"
enum class WeightMode { ternary, binary };        // "ternary" (b1.58), "binary" (b1)

struct AccelConfig {
  std::string name = "default";
  // Tile: N_T columns, each an adder tree over K_T int8 activations.
  int n_t = 16;
  int k_t = 32;
  PeStyle pe = PeStyle::adder_tree;
  WeightMode weights = WeightMode::ternary;
  int acc_bits = 32;          // accumulator width
  bool zero_gating = true;    // ternary zeros gate their adder inputs
  int lut_group = 4;          // g activations per lookup (PE style "lut")
  // Buffers (KiB).
  double weight_buffer_kib = 64;
  double act_buffer_kib = 32;
  double out_buffer_kib = 32;
  bool double_buffer = true;
  // DRAM.
  double dram_gbps = 25.6;
  double dram_latency_ns = 100;
  int dram_beat_bytes = 64;
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

}  // namespace abacus::sim
