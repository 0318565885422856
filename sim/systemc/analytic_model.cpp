#include "sim/systemc/analytic_model.h"


#include "sim/systemc/pe_model.h"

namespace abacus::sim {

SimCounters analytic_gemm(const AccelConfig& c, const GemmCommand& g, bool resident, bool fast) {
  const GemmPlan p = plan_gemm(c, g, resident);
  SimCounters s;
  if (p.exec == ExecUnit::attn_unit) {
    count_attn_traffic(c, p, s);
    const AttnTiming t = attn_timing(c, p);
    s.attn_cycles = t.total - t.write;
    s.writeback_cycles = t.write;
    s.cycles = t.total;
    return s;
  }
  // load_end of the previous unit, compute_end of the last two units (c1 = j-1, c2 = j-2).
  int64_t load_end = 0, c1 = 0, c2 = 0, weight_bytes = 0, act_bytes = 0, transfers = 0;
  const int64_t n = p.units();
  Unit prev;
  for (int64_t j = 0; j < n; ++j) {
    const Unit u = p.unit_at(c, j);
    const int64_t slot_free = j >= p.slots ? (p.slots == 2 ? c2 : c1) : 0;
    const int64_t load_start = std::max(load_end, slot_free);
    const int64_t stall_dma = load_start - load_end;
    const int64_t new_load_end = load_start + dram_transfer_cycles(c, u.dma_bytes, j > 0 && load_start == load_end);
    const int64_t comp_start = std::max(c1, new_load_end);
    const int64_t stall_tile = comp_start - c1;
    const int64_t new_c = comp_start + u.step_cycles;
    // Max-plus shortcut, exact: when a unit identical to the previous one moved every part of
    // the state (load end, last two compute ends) by the same delta, each further identical
    // unit does the same, so a run of them is that step times the run length.
    int64_t k = 1;
    const int64_t delta = new_c - c1;
    if (fast && j >= 2 && new_load_end - load_end == delta && c1 - c2 == delta && u.dma_bytes == prev.dma_bytes &&
        u.step_cycles == prev.step_cycles && u.tile_cycles == prev.tile_cycles && u.k_steps == prev.k_steps &&
        u.overhead_cycles == prev.overhead_cycles && u.ppu_cycles == prev.ppu_cycles)
      k = 1 + p.identical_units_after(c, j);
    weight_bytes += k * u.weight_bytes;
    act_bytes += k * u.act_bytes;
    transfers += k * (u.dma_bytes > 0);
    s.stall_dma_wait_buffer += k * stall_dma;
    s.stall_tile_wait_dram += k * stall_tile;
    s.tile_overhead_cycles += k * u.overhead_cycles;
    s.tile_cycles += k * u.tile_cycles;
    s.stall_ppu += k * (u.step_cycles - u.tile_cycles - u.overhead_cycles);
    load_end = new_load_end + (k - 1) * delta;
    c2 = k == 1 ? c1 : new_c + (k - 2) * delta;
    c1 = new_c + (k - 1) * delta;
    j += k - 1;
    prev = u;
  }
  const int64_t comp_end = c1;
  count_gemm_traffic(c, p, weight_bytes, act_bytes, transfers, s);
  int64_t t = comp_end + tile_pipeline_cycles(c);
  s.writeback_cycles = dram_transfer_cycles(c, p.out_bytes);
  t += s.writeback_cycles;
  s.cycles = t;
  return s;
}

SimCounters analytic_vector(const AccelConfig& c, const VectorCommand& v) {
  SimCounters s;
  s.vector_cycles = vector_command_cycles(c, v.ops);
  s.vector_ops = v.ops;
  s.cycles = s.vector_cycles;
  s.commands = 1;
  return s;
}

SimCounters analytic_run(const AccelConfig& c, const Workload& w, bool fast) {
  check_acc_width(c, w);
  SimCounters total;
  const bool resident = weights_fit_on_chip(c, w);
  for (const Command& cmd : w.commands) {
    const SimCounters one =
        cmd.kind == Command::Kind::gemm ? analytic_gemm(c, cmd.gemm, resident, fast) : analytic_vector(c, cmd.vec);
    total += cmd.repeat == 1 ? one : one.scaled(cmd.repeat);
  }
  return total;
}

}  // namespace abacus::sim
