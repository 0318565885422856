#include "sim/systemc/analytic_model.h"

#include <array>

namespace abacus::sim {

SimCounters analytic_gemm(const AccelConfig& c, const GemmCommand& g, bool resident) {
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
  // compute_end of the last two units (ring), load_end of the previous unit.
  std::array<int64_t, 2> comp_end_ring{0, 0};
  int64_t load_end = 0, comp_end = 0, weight_bytes = 0, act_bytes = 0, transfers = 0;
  const int64_t n = p.units();
  for (int64_t j = 0; j < n; ++j) {
    const Unit u = p.unit_at(c, j);
    weight_bytes += u.weight_bytes;
    act_bytes += u.act_bytes;
    transfers += u.dma_bytes > 0;
    const int64_t slot_free = j >= p.slots ? comp_end_ring[(j - p.slots) & 1] : 0;
    const int64_t load_start = std::max(load_end, slot_free);
    s.stall_dma_wait_buffer += load_start - load_end;
    load_end = load_start + dram_transfer_cycles(c, u.dma_bytes, j > 0 && load_start == load_end);
    const int64_t comp_start = std::max(comp_end, load_end);
    s.stall_tile_wait_dram += comp_start - comp_end;
    comp_end = comp_start + u.step_cycles;
    s.tile_overhead_cycles += u.overhead_cycles;
    s.stall_ppu += u.step_cycles - u.tile_cycles - u.overhead_cycles;
    comp_end_ring[j & 1] = comp_end;
  }
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

SimCounters analytic_run(const AccelConfig& c, const Workload& w) {
  SimCounters total;
  const bool resident = weights_fit_on_chip(c, w);
  for (const Command& cmd : w.commands) {
    const SimCounters one =
        cmd.kind == Command::Kind::gemm ? analytic_gemm(c, cmd.gemm, resident) : analytic_vector(c, cmd.vec);
    total += cmd.repeat == 1 ? one : one.scaled(cmd.repeat);
  }
  return total;
}

}  // namespace abacus::sim
