#include "sim/systemc/analytic_model.h"

#include <array>

#include "sim/systemc/pe_model.h"

namespace abacus::sim {

SimCounters analytic_gemm(const AccelConfig& c, const GemmCommand& g) {
  const GemmPlan p = plan_gemm(c, g);
  SimCounters s;
  count_gemm_traffic(c, p, s);
  int64_t t = 0;
  if (p.acts_resident) {
    s.act_load_cycles = dram_transfer_cycles(c, p.act_bytes);
    t += s.act_load_cycles;
  }
  // compute_end of the last two units (ring), load_end of the previous unit.
  std::array<int64_t, 2> comp_end_ring{t, t};
  int64_t load_end = t, comp_end = t;
  const int64_t n = p.units();
  for (int64_t j = 0; j < n; ++j) {
    const Unit u = p.unit(c, j);
    const int64_t slot_free = j >= p.slots ? comp_end_ring[(j - p.slots) & 1] : t;
    const int64_t load_start = std::max(load_end, slot_free);
    s.stall_dma_wait_buffer += load_start - load_end;
    load_end = load_start + dram_transfer_cycles(c, u.dma_bytes);
    const int64_t comp_start = std::max(comp_end, load_end);
    s.stall_tile_wait_dram += comp_start - comp_end;
    comp_end = comp_start + u.step_cycles;
    s.tile_overhead_cycles += u.overhead_cycles;
    s.stall_ppu += u.step_cycles - u.tile_cycles - u.overhead_cycles;
    comp_end_ring[j & 1] = comp_end;
  }
  t = comp_end + tile_pipeline_cycles(c);
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
  check_acc_width(c, w);
  SimCounters total;
  for (const Command& cmd : w.commands) {
    const SimCounters one = cmd.kind == Command::Kind::gemm ? analytic_gemm(c, cmd.gemm) : analytic_vector(c, cmd.vec);
    total += cmd.repeat == 1 ? one : one.scaled(cmd.repeat);
  }
  return total;
}

}  // namespace abacus::sim
