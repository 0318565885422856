// The one accounting of traffic and energy: the roofline floors of a workload on a
// configuration (compulsory DRAM bytes, compute floor), the energy actions of a run's counters
// and their energy (dynamic by component, plus static power x latency). `abacus sim`, `abacus
// dse` and `abacus energy --accel` all read it; the SystemC and analytic models only count.
//
// Compulsory DRAM bytes: every weight once at its packed width (the LM head at 8 bits; none in
// steady state when the workload's weights live on chip), every GEMM's inputs read once and
// outputs written once (this machine passes activations between commands through DRAM), the KV
// cache read by QK^T/AV and written by the k/v projections at kv_bits. Compute floor: the
// commands run one after another, so the floor is the sum over commands of useful work / the
// peak of the unit that runs it (tile: T*K*N*bit planes / (N_T*K_T); attention unit: MACs /
// attn_unit_macs; vector unit: ops / lanes).
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "sim/accel_config.h"
#include "sim/systemc/machine.h"
#include "sim/systemc/workload.h"

namespace abacus::sim {

struct Roofline {
  int64_t weight_bytes = 0, act_bytes = 0, out_bytes = 0, kv_read_bytes = 0, kv_write_bytes = 0;
  int64_t compulsory_bytes = 0;       // the sum of the above
  double memory_floor_cycles = 0;     // compulsory bytes / bandwidth
  double compute_floor_cycles = 0;
  double floor_cycles() const { return std::max(memory_floor_cycles, compute_floor_cycles); }
};
Roofline roofline(const AccelConfig& c, const Workload& w);

// Chosen mapping of each distinct GEMM ("q: weight-stationary", ...), in command order.
std::vector<std::pair<std::string, std::string>> gemm_mappings(const AccelConfig& c, const Workload& w);

struct AccountedEnergy {
  std::vector<std::pair<std::string, double>> energy_pj;  // by component, static last
  double total_pj = 0, gating_saved_pj = 0;
  std::vector<std::pair<std::string, double>> area_mm2;   // by component
  double area_mm2_total = 0;
  double static_mw = 0;                                   // chip leakage + DRAM background
};

// Energy and area of a run of `w` with counters `s` lasting `latency_s` (needs abacus_energy;
// without it: available = false).
bool energy_available();
AccountedEnergy account_energy(const AccelConfig& c, const Workload& w, const SimCounters& s, double latency_s);

}  // namespace abacus::sim
