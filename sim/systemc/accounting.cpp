#include "sim/systemc/accounting.h"
#include "sim/systemc/pe_model.h"

#include <cmath>
#include <map>
#include <memory>

#ifdef ABACUS_SIM_HAS_ENERGY
#include "energy/action_energy.h"
#include "energy/tech_table.h"
#endif

namespace abacus::sim {

Roofline roofline(const AccelConfig& c, const Workload& w) {
  Roofline r;
  const bool resident = weights_fit_on_chip(c, w);
  for (const Command& cmd : w.commands) {
    const double k = double(cmd.repeat);
    if (cmd.kind == Command::Kind::vector) {
      r.compute_floor_cycles += k * cmd.vec.ops / double(c.vector_lanes);
      continue;
    }
    const GemmPlan p = plan_gemm(c, cmd.gemm, resident);
    const int64_t wb = p.weights_resident ? 0 : p.weight_bytes;
    if (p.kv_operand) r.kv_read_bytes += wb * cmd.repeat; else r.weight_bytes += wb * cmd.repeat;
    r.act_bytes += p.act_bytes * cmd.repeat;
    if (p.kv_output) r.kv_write_bytes += p.out_bytes * cmd.repeat; else r.out_bytes += p.out_bytes * cmd.repeat;
    if (p.exec == ExecUnit::tile)
      r.compute_floor_cycles += k * double(p.T) * double(p.K) * double(p.N) * p.planes / (double(c.n_t) * c.k_t);
    else
      r.compute_floor_cycles += k * double(p.macs) / double(c.attn_unit_macs);
  }
  r.compulsory_bytes = r.weight_bytes + r.act_bytes + r.out_bytes + r.kv_read_bytes + r.kv_write_bytes;
  r.memory_floor_cycles = double(r.compulsory_bytes) / c.dram_bytes_per_cycle();
  return r;
}

std::vector<std::pair<std::string, std::string>> gemm_mappings(const AccelConfig& c, const Workload& w) {
  std::vector<std::pair<std::string, std::string>> out;
  const bool resident = weights_fit_on_chip(c, w);
  for (const Command& cmd : w.commands) {
    if (cmd.kind != Command::Kind::gemm) continue;
    const GemmPlan p = plan_gemm(c, cmd.gemm, resident);
    bool seen = false;
    for (const auto& m : out) seen |= m.first == cmd.gemm.name;
    if (!seen) out.emplace_back(cmd.gemm.name, std::string(exec_unit_name(p.exec)) + ": " + p.mapping);
  }
  return out;
}

#ifdef ABACUS_SIM_HAS_ENERGY
namespace {

// Tech tables are parsed once per node (sweeps ask for the same node many times).
const energy::TechTable& tech_for(const std::string& node) {
  static std::map<std::string, std::unique_ptr<energy::TechTable>> cache;
  auto& slot = cache[node];
  if (!slot) slot = std::make_unique<energy::TechTable>(energy::TechTable::load(node));
  return *slot;
}

energy::ActionCounts action_counts(const AccelConfig& c, const Workload& w, const SimCounters& s) {
  using energy::Precision;
  energy::ActionCounts a;
  const Precision acc = c.acc_bits > 16 ? Precision::int32 : Precision::int16;
  const double ops = double(s.gemm_ops);
  const double zf = (c.weights == WeightMode::ternary && c.zero_gating) ? w.weight_zero_fraction : 0.0;
  switch (c.pe) {
    case PeStyle::adder_tree:
      a.add(acc) = ops * (1 - zf);
      a.skipped_adds = ops * zf;
      a.skipped_add_precision = acc;
      break;
    case PeStyle::mac:  // an int8 multiplier per lane, no gating
      a.mul(Precision::int8) = ops;
      a.add(acc) = ops;
      break;
    case PeStyle::lut: {  // per tile beat (sim/systemc/pe_model.h); adds charged like the tree's
      const LutBeatActions l = lut_beat_actions(c);
      const double beats = double(s.tile_cycles);
      a.add(acc) = beats * (l.table_adds + l.lookups /* negate */ + l.tree_adds + l.acc_adds);
      a.register_write_bytes += beats * (l.table_reg_bits + l.lookup_reg_bits) / 8.0;
      a.register_read_bytes += beats * l.lookup_reg_bits / 8.0;  // the multiplexers read the table
      break;
    }
  }
  // Attention unit: FP16 MACs on an FP16 cache, INT8 MACs into INT32 otherwise (and the LM head).
  a.mul(Precision::fp16) += double(s.attn_fp16_macs);
  a.add(Precision::fp16) += double(s.attn_fp16_macs);
  a.mul(Precision::int8) += double(s.attn_int8_macs);
  a.add(Precision::int32) += double(s.attn_int8_macs);
  const double acc_reg_bytes = double(s.padded_ops) / c.k_t * (c.acc_bits / 8.0);  // accumulators, per k-step and column
  a.register_write_bytes += acc_reg_bytes;
  a.register_read_bytes += acc_reg_bytes;
  a.sram.push_back({"weight", c.weight_buffer_kib, double(s.weight_buf_read_bytes), double(s.weight_buf_write_bytes)});
  a.sram.push_back({"act", c.act_buffer_kib, double(s.act_buf_read_bytes), double(s.act_buf_write_bytes)});
  a.sram.push_back({"out", c.out_buffer_kib, double(s.out_buf_read_bytes), double(s.out_buf_write_bytes)});
  a.dram_bytes = 0;  // charged below at the memory technology's energy per bit
  a.ppu_ops = double(s.ppu_ops);
  a.vector_ops = s.vector_ops;
  return a;
}

}  // namespace

bool energy_available() { return true; }

AccountedEnergy account_energy(const AccelConfig& c, const Workload& w, const SimCounters& s, double latency_s) {
  AccountedEnergy r;
  const energy::TechTable& tech = tech_for(c.node);
  const energy::EnergyBreakdown e = energy::action_energy(action_counts(c, w, s), tech);
  const double dram_pj = double(s.dram_read_bytes + s.dram_write_bytes) * 8.0 * c.dram_pj_per_bit;
  for (const auto& comp : e.components)
    r.energy_pj.emplace_back(comp.component, comp.component == "dram" ? dram_pj : comp.pj);
  r.gating_saved_pj = e.gating_saved_pj;
  // Area: the PE datapath in adder-bit equivalents (sim/systemc/pe_model.h: adders, pipeline
  // registers, LUT multiplexers), multipliers for PE "mac", the tile's weight registers (one
  // weight-buffer slot of k-steps, estimated as an SRAM macro), SRAM, PPU / vector lanes as one
  // FP32 multiplier + FP32-wide adder each, and the attention unit's MACs (an FP16 multiplier
  // and a 32-bit adder each; FP16 covers the INT8 modes).
  const PeAreaBits pe = pe_area_bits(c, tile_max_ksteps(c));
  r.area_mm2.emplace_back("tile_adders", energy::adder_area_mm2(tech, pe.adder_bits));
  r.area_mm2.emplace_back("tile_registers", energy::adder_area_mm2(tech, pe.register_bits + pe.mux_bits));
  r.area_mm2.emplace_back("tile_weight_store", energy::sram_area_mm2(tech, pe.weight_store_bits / 8192.0));
  if (c.pe == PeStyle::mac)
    r.area_mm2.emplace_back("tile_multipliers",
                            energy::multiplier_area_mm2(tech, energy::Precision::int8, double(c.n_t) * c.k_t));
  r.area_mm2.emplace_back("sram", energy::sram_area_mm2(tech, c.weight_buffer_kib + c.act_buffer_kib + c.out_buffer_kib));
  const double lanes = double(c.ppu_lanes + c.vector_lanes);
  r.area_mm2.emplace_back("ppu+vector", energy::multiplier_area_mm2(tech, energy::Precision::fp32, lanes) +
                                            energy::adder_area_mm2(tech, 32.0 * lanes));
  r.area_mm2.emplace_back("attn_unit", energy::multiplier_area_mm2(tech, energy::Precision::fp16, c.attn_unit_macs) +
                                           energy::adder_area_mm2(tech, 32.0 * c.attn_unit_macs));
  for (const auto& a : r.area_mm2) r.area_mm2_total += a.second;
  // Static power for the whole run: chip leakage by area and the DRAM devices' background power.
  const double leak_mw = tech.leakage_mw_per_mm2.value * r.area_mm2_total;
  r.static_mw = leak_mw + c.dram_background_mw;
  r.energy_pj.emplace_back("static.chip", leak_mw * 1e-3 * latency_s * 1e12);
  r.energy_pj.emplace_back("static.dram", c.dram_background_mw * 1e-3 * latency_s * 1e12);
  for (const auto& x : r.energy_pj) r.total_pj += x.second;
  return r;
}
#else
bool energy_available() { return false; }
AccountedEnergy account_energy(const AccelConfig&, const Workload&, const SimCounters&, double) { return {}; }
#endif

}  // namespace abacus::sim
