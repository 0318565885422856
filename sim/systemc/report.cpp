#include "sim/systemc/report.h"

#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "sim/systemc/pe_model.h"

#ifdef ABACUS_SIM_HAS_ENERGY
#include "energy/action_energy.h"
#include "energy/tech_table.h"
#endif

namespace abacus::sim {

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
  a.register_write_bytes += double(s.tile_cycles) * c.n_t * (c.acc_bits / 8.0);  // accumulators
  a.register_read_bytes += double(s.tile_cycles) * c.n_t * (c.acc_bits / 8.0);
  a.sram.push_back({"weight", c.weight_buffer_kib, double(s.weight_buf_read_bytes), double(s.weight_buf_write_bytes)});
  a.sram.push_back({"act", c.act_buffer_kib, double(s.act_buf_read_bytes), double(s.act_buf_write_bytes)});
  a.sram.push_back({"out", c.out_buffer_kib, double(s.out_buf_read_bytes), double(s.out_buf_write_bytes)});
  a.dram_bytes = double(s.dram_read_bytes + s.dram_write_bytes);
  a.ppu_ops = double(s.ppu_ops);
  a.vector_ops = s.vector_ops;
  return a;
}

}  // namespace
#endif

SimReport make_report(const AccelConfig& c, const Workload& w, const SimCounters& s, const std::string& fidelity) {
  SimReport r;
  r.config = c;
  r.workload = w.name;
  r.phase = w.phase;
  r.fidelity = fidelity;
  r.tokens = w.tokens;
  r.counters = s;
  r.latency_s = double(s.cycles) * c.cycle_ns() * 1e-9;
  r.utilization = s.cycles > 0 ? double(s.gemm_ops) / (double(c.n_t) * c.k_t * double(s.cycles)) : 0;
#ifdef ABACUS_SIM_HAS_ENERGY
  const energy::TechTable& tech = tech_for(c.node);
  const energy::EnergyBreakdown e = energy::action_energy(action_counts(c, w, s), tech);
  for (const auto& comp : e.components) r.energy_pj.emplace_back(comp.component, comp.pj);
  r.energy_pj_total = e.total_pj;
  r.gating_saved_pj = e.gating_saved_pj;
  r.energy_per_token_pj = e.total_pj / double(std::max<int64_t>(1, w.tokens));
  r.edp_js = e.total_pj * 1e-12 * r.latency_s;
  // Area: the PE datapath in adder-bit equivalents (sim/systemc/pe_model.h: adders, pipeline
  // registers, LUT multiplexers), multipliers for PE "mac", the tile's weight registers (one
  // weight-buffer slot of k-steps, estimated as an SRAM macro), SRAM, and PPU / vector lanes
  // as one FP32 multiplier + FP32-wide adder each.
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
  for (const auto& a : r.area_mm2) r.area_mm2_total += a.second;
  r.energy_available = true;
#endif
  return r;
}

std::string report_text(const SimReport& r) {
  const SimCounters& s = r.counters;
  const AccelConfig& c = r.config;
  std::ostringstream o;
  char b[256];
  auto line = [&](const char* k, const std::string& v) {
    std::snprintf(b, sizeof b, "  %-28s %s\n", k, v.c_str());
    o << b;
  };
  auto num = [&](double v, const char* fmt = "%.6g") {
    std::snprintf(b, sizeof b, fmt, v);
    return std::string(b);
  };
  o << "=== abacus sim: " << r.workload << " " << r.phase << " on " << c.name << " (" << r.fidelity << ") ===\n";
  o << "Architecture\n";
  line("tile", std::to_string(c.n_t) + " x " + std::to_string(c.k_t) + " " + pe_style_name(c.pe) + ", " +
                   weight_mode_name(c.weights) + ", acc " + std::to_string(c.acc_bits) + " bit");
  line("buffers (KiB) w/a/o", num(c.weight_buffer_kib) + " / " + num(c.act_buffer_kib) + " / " + num(c.out_buffer_kib) +
                                  (c.double_buffer ? " (double-buffered)" : ""));
  line("DRAM", num(c.dram_gbps) + " GB/s, " + num(c.dram_latency_ns) + " ns, " + std::to_string(c.dram_beat_bytes) + " B/beat");
  line("clock / node", num(c.clock_mhz) + " MHz / " + c.node);
  o << "Performance\n";
  line("tokens", std::to_string(r.tokens));
  line("cycles", std::to_string(s.cycles));
  line("latency (ms)", num(r.latency_s * 1e3));
  line("tokens/s", num(double(r.tokens) / r.latency_s));
  line("tile utilization", num(r.utilization * 100, "%.2f %%"));
  line("tile compute cycles", std::to_string(s.tile_cycles));
  line("tile weight fill + cmd cycles", std::to_string(s.tile_overhead_cycles));
  line("vector unit cycles", std::to_string(s.vector_cycles));
  line("act load / writeback cycles", std::to_string(s.act_load_cycles) + " / " + std::to_string(s.writeback_cycles));
  line("pipeline fill/drain cycles", std::to_string(s.pipeline_cycles));
  line("stall: tile waits on DRAM", std::to_string(s.stall_tile_wait_dram));
  line("stall: DMA waits on buffer", std::to_string(s.stall_dma_wait_buffer));
  line("stall: PPU-bound", std::to_string(s.stall_ppu));
  o << "Traffic\n";
  line("DRAM read / write (bytes)", std::to_string(s.dram_read_bytes) + " / " + std::to_string(s.dram_write_bytes));
  line("weight buf r/w (bytes)", std::to_string(s.weight_buf_read_bytes) + " / " + std::to_string(s.weight_buf_write_bytes));
  line("act buf r/w (bytes)", std::to_string(s.act_buf_read_bytes) + " / " + std::to_string(s.act_buf_write_bytes));
  line("out buf r/w (bytes)", std::to_string(s.out_buf_read_bytes) + " / " + std::to_string(s.out_buf_write_bytes));
  if (r.energy_available) {
    o << "Energy (pJ)\n";
    for (const auto& e : r.energy_pj) line(e.first.c_str(), num(e.second));
    line("total", num(r.energy_pj_total));
    line("zero gating saved", num(r.gating_saved_pj));
    line("energy / token (uJ)", num(r.energy_per_token_pj * 1e-6));
    line("EDP (J*s)", num(r.edp_js));
    o << "Area (mm^2)\n";
    for (const auto& a : r.area_mm2) line(a.first.c_str(), num(a.second));
    line("total", num(r.area_mm2_total));
  } else {
    o << "Energy: not available (built without abacus_energy)\n";
  }
  return o.str();
}

std::string report_json(const SimReport& r) {
  const SimCounters& s = r.counters;
  nlohmann::ordered_json j;
  j["workload"] = r.workload;
  j["phase"] = r.phase;
  j["fidelity"] = r.fidelity;
  j["tokens"] = r.tokens;
  j["accel"] = nlohmann::json::parse(r.config.to_json_text());
  j["cycles"] = s.cycles;
  j["latency_s"] = r.latency_s;
  j["utilization"] = r.utilization;
  nlohmann::ordered_json counters;
  for (const CounterField& f : counter_fields())
    if (std::string(f.name) != "cycles") counters[f.name] = s.*f.member;
  counters["vector_ops"] = s.vector_ops;
  j["counters"] = counters;
  if (r.energy_available) {
    nlohmann::ordered_json e, a;
    for (const auto& x : r.energy_pj) e[x.first] = x.second;
    for (const auto& x : r.area_mm2) a[x.first] = x.second;
    j["energy_pj"] = e;
    j["energy_pj_total"] = r.energy_pj_total;
    j["gating_saved_pj"] = r.gating_saved_pj;
    j["energy_per_token_pj"] = r.energy_per_token_pj;
    j["edp_js"] = r.edp_js;
    j["area_mm2"] = a;
    j["area_mm2_total"] = r.area_mm2_total;
  }
  return j.dump(2) + "\n";
}

}  // namespace abacus::sim
