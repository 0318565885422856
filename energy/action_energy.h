// Architecture-level energy (Accelergy style): per-component action counts, as a simulator
// (the SystemC model, the RTL harness) or an analytic model counts them, times per-action
// energy from a TechTable. Units: counts are plain numbers (double: exact for integers up to
// 2^53, and analytic models may pass expected fractional counts); energies are in pJ.
//
// What each action is charged (tech table t):
//   adds[p]           t.add(p) each (an addition into a p-wide accumulator / of p operands)
//   skipped_adds      0 pJ: a ternary zero weight gates its adder input (no toggling); kept
//                     so reports can show what gating saved (skipped_adds x t.add(skipped_add_precision))
//   muls[p]           t.mul(p) each
//   register bytes    t.register_pj_per_byte per byte read or written
//   SRAM bytes        t.sram_pj_per_byte(size_kib) per byte read or written, per buffer
//   DRAM bytes        t.dram_pj_per_byte() per byte
//   ppu_ops           one rescale of an int32 accumulator to float: FP32 MUL + FP32 ADD
//                     (the int->float conversion is charged as an FP32 ADD)
//   vector_ops        one element operation of the vector unit (norm, softmax, residual,
//                     activation quantization), FP32: one FP32 MUL + one FP32 ADD
#pragma once
#include <array>
#include <string>
#include <vector>

#include "energy/tech_table.h"

namespace abacus::energy {

struct SramActions {
  std::string name;      // "weight", "act", "out", ...
  double size_kib = 0;   // array size (sets the per-access energy)
  double read_bytes = 0;
  double write_bytes = 0;
};

struct ActionCounts {
  std::array<double, kPrecisions> adds{};  // indexed by Precision
  std::array<double, kPrecisions> muls{};
  double skipped_adds = 0;
  Precision skipped_add_precision = Precision::int32;  // what a skipped add would have cost
  double register_read_bytes = 0;
  double register_write_bytes = 0;
  std::vector<SramActions> sram;
  double dram_bytes = 0;
  double ppu_ops = 0;
  double vector_ops = 0;

  double& add(Precision p) { return adds[static_cast<std::size_t>(p)]; }
  double& mul(Precision p) { return muls[static_cast<std::size_t>(p)]; }
  // Adds `other` into this one; SRAM buffers are merged by name (sizes must agree).
  ActionCounts& operator+=(const ActionCounts& other);
  // Multiplies every count by `factor` (e.g. per-tile counts x number of tiles).
  ActionCounts scaled(double factor) const;
};

struct ComponentEnergy {
  std::string component;  // "adders", "multipliers", "registers", "sram.<name>", "dram", "ppu", "vector"
  double pj = 0;
};

struct EnergyBreakdown {
  std::vector<ComponentEnergy> components;  // in the order listed above; SRAM per buffer
  double total_pj = 0;
  double gating_saved_pj = 0;  // what the skipped additions would have cost (not in total)
  // Energy of one component (0 if absent); "sram" sums all buffers.
  double of(const std::string& component) const;
};

EnergyBreakdown action_energy(const ActionCounts& counts, const TechTable& tech);

// Area helpers (mm^2).
double adder_area_mm2(const TechTable& tech, double adder_bits);
double multiplier_area_mm2(const TechTable& tech, Precision p, double count);
double sram_area_mm2(const TechTable& tech, double kib);

}  // namespace abacus::energy
