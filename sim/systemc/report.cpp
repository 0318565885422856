#include "sim/systemc/report.h"

#include <cmath>
#include <cstdio>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>


namespace abacus::sim {

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
  r.roofline = roofline(c, w);
  r.floor_ratio = r.roofline.floor_cycles() > 0 ? double(s.cycles) / r.roofline.floor_cycles() : 0;
  r.mappings = gemm_mappings(c, w);
  if (energy_available()) {
    const AccountedEnergy e = account_energy(c, w, s, r.latency_s);
    r.energy_pj = e.energy_pj;
    r.energy_pj_total = e.total_pj;
    r.gating_saved_pj = e.gating_saved_pj;
    r.energy_per_token_pj = e.total_pj / double(std::max<int64_t>(1, w.tokens));
    r.edp_js = e.total_pj * 1e-12 * r.latency_s;
    r.area_mm2 = e.area_mm2;
    r.area_mm2_total = e.area_mm2_total;
    r.static_mw = e.static_mw;
    r.energy_available = true;
  }
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
  line("DRAM", c.memory + ": " + num(c.dram_gbps) + " GB/s, " + num(c.dram_latency_ns) + " ns, " +
                   std::to_string(c.dram_beat_bytes) + " B/beat, " + num(c.dram_pj_per_bit) + " pJ/bit, " +
                   num(c.dram_background_mw) + " mW background");
  line("DMA", std::to_string(c.dram_max_outstanding) + " outstanding, burst " +
                  (c.dram_burst_bytes ? std::to_string(c.dram_burst_bytes) + " B" : std::string("= transfer")));
  line("attention unit", std::to_string(c.attn_unit_macs) + " MACs/cycle, KV cache " + std::to_string(c.kv_bits) +
                             " bit; LM head on " + c.lm_head_unit);
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
  line("attention unit cycles", std::to_string(s.attn_cycles));
  line("writeback cycles", std::to_string(s.writeback_cycles));
  line("pipeline fill/drain cycles", std::to_string(s.pipeline_cycles));
  line("stall: tile waits on DRAM", std::to_string(s.stall_tile_wait_dram));
  line("stall: DMA waits on buffer", std::to_string(s.stall_dma_wait_buffer));
  line("stall: PPU-bound", std::to_string(s.stall_ppu));
  o << "Roofline\n";
  const Roofline& rf = r.roofline;
  line("compulsory DRAM bytes", std::to_string(rf.compulsory_bytes) + " (weights " + std::to_string(rf.weight_bytes) +
                                    ", KV r/w " + std::to_string(rf.kv_read_bytes) + " / " +
                                    std::to_string(rf.kv_write_bytes) + ", in/out " + std::to_string(rf.act_bytes) +
                                    " / " + std::to_string(rf.out_bytes) + ")");
  line("memory floor (cycles)", num(rf.memory_floor_cycles));
  line("compute floor (cycles)", num(rf.compute_floor_cycles));
  line("latency / max(floors)", num(r.floor_ratio, "%.3f"));
  line("DRAM bytes / compulsory",
       num(rf.compulsory_bytes ? double(s.dram_read_bytes + s.dram_write_bytes) / double(rf.compulsory_bytes) : 0, "%.3f"));
  o << "Mapping\n";
  for (const auto& m : r.mappings) line(m.first.c_str(), m.second);
  o << "Traffic\n";
  line("DRAM read / write (bytes)", std::to_string(s.dram_read_bytes) + " / " + std::to_string(s.dram_write_bytes));
  line("DRAM weights (bytes)", std::to_string(s.dram_weight_bytes));
  line("DRAM KV cache r/w (bytes)", std::to_string(s.dram_kv_read_bytes) + " / " + std::to_string(s.dram_kv_write_bytes));
  line("weight buf r/w (bytes)", std::to_string(s.weight_buf_read_bytes) + " / " + std::to_string(s.weight_buf_write_bytes));
  line("act buf r/w (bytes)", std::to_string(s.act_buf_read_bytes) + " / " + std::to_string(s.act_buf_write_bytes));
  line("out buf r/w (bytes)", std::to_string(s.out_buf_read_bytes) + " / " + std::to_string(s.out_buf_write_bytes));
  if (r.energy_available) {
    o << "Energy (pJ)\n";
    for (const auto& e : r.energy_pj) line(e.first.c_str(), num(e.second));
    line("total", num(r.energy_pj_total));
    line("zero gating saved", num(r.gating_saved_pj));
    line("static power (mW)", num(r.static_mw));
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
  const Roofline& rf = r.roofline;
  j["roofline"] = {{"compulsory_dram_bytes", rf.compulsory_bytes},
                   {"weight_bytes", rf.weight_bytes},
                   {"kv_read_bytes", rf.kv_read_bytes},
                   {"kv_write_bytes", rf.kv_write_bytes},
                   {"input_bytes", rf.act_bytes},
                   {"output_bytes", rf.out_bytes},
                   {"memory_floor_cycles", rf.memory_floor_cycles},
                   {"compute_floor_cycles", rf.compute_floor_cycles},
                   {"latency_over_floor", r.floor_ratio}};
  nlohmann::ordered_json maps;
  for (const auto& m : r.mappings) maps[m.first] = m.second;
  j["mapping"] = maps;
  if (r.energy_available) {
    nlohmann::ordered_json e, a;
    for (const auto& x : r.energy_pj) e[x.first] = x.second;
    for (const auto& x : r.area_mm2) a[x.first] = x.second;
    j["energy_pj"] = e;
    j["energy_pj_total"] = r.energy_pj_total;
    j["gating_saved_pj"] = r.gating_saved_pj;
    j["energy_per_token_pj"] = r.energy_per_token_pj;
    j["edp_js"] = r.edp_js;
    j["static_mw"] = r.static_mw;
    j["area_mm2"] = a;
    j["area_mm2_total"] = r.area_mm2_total;
  }
  return j.dump(2) + "\n";
}

}  // namespace abacus::sim
