// Co-simulation of the SystemC accelerator model with the Verilated RTL tile as its tile
// (issue 7 item 4). The RTL tiles are Verilated with --sc at build time (sim/verilator); here
// they are elaborated as sc_modules, attached to the model (sim::TileImpl::rtl), and a workload
// is run both ways so the two can be compared: the same int32 accumulators, the same counters.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "sim/accel_config.h"
#include "sim/systemc/systemc_model.h"
#include "sim/systemc/workload.h"
#include "sim/verilator/rtl_tile.h"

namespace abacus::cosim {

// The tiles Verilated for co-simulation, and the k-steps of weights they hold per load.
const std::vector<rtl::TileShape>& cosim_tiles();
int cosim_max_ksteps();

// Elaborates every co-simulation tile and attaches it to the SystemC model. Idempotent; must
// come before this process's first SystemC run (throws otherwise). With a wave_path, every
// tile's port signals are traced to that VCD for the rest of the process (close_wave() ends it).
void attach_rtl_tiles(const std::string& wave_path = "");
void close_wave();

// Operands of one GEMM command (both null: timing only).
struct GemmInputs {
  const int8_t* x_q = nullptr;
  const int8_t* w_q = nullptr;
};

struct CosimRun {
  sim::SimCounters model;  // the SystemC model with its own tile
  sim::SimCounters rtl;    // the same model with the RTL tile
  std::vector<std::vector<int32_t>> model_acc, rtl_acc;  // per command; empty when timing only
  std::vector<std::string> counter_differences;          // "field model vs rtl"
  int64_t acc_mismatches = 0;                            // accumulators where rtl != model
  bool identical() const { return counter_differences.empty() && acc_mismatches == 0; }
};

// Runs w (GEMM command i on inputs[i] when given) with the model's tile and with the RTL tile.
CosimRun cosim_compare(const sim::AccelConfig& c, const sim::Workload& w, const std::vector<GemmInputs>& inputs);

}  // namespace abacus::cosim
