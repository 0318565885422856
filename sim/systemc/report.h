// From counters to a report: latency, utilization, DRAM traffic, energy by component (via the
// energy library's action-count API), energy per token, EDP and area; printed Timeloop-style
// or as JSON.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "sim/accel_config.h"
#include "sim/systemc/accounting.h"
#include "sim/systemc/machine.h"
#include "sim/systemc/workload.h"

namespace abacus::sim {

struct SimReport {
  AccelConfig config;
  std::string workload, phase, fidelity;
  int64_t tokens = 1;
  SimCounters counters;
  double latency_s = 0;
  double utilization = 0;        // useful tile ops / (N_T*K_T*cycles)
  Roofline roofline;             // compulsory bytes and floors (accounting.h)
  double floor_ratio = 0;        // cycles / max(memory floor, compute floor): >= 1
  std::vector<std::pair<std::string, std::string>> mappings;  // per GEMM name
  double static_mw = 0;
  std::vector<std::pair<std::string, double>> energy_pj;  // by component
  double energy_pj_total = 0;
  double gating_saved_pj = 0;
  double energy_per_token_pj = 0;
  double edp_js = 0;             // energy (J) x latency (s)
  std::vector<std::pair<std::string, double>> area_mm2;   // by component
  double area_mm2_total = 0;
  bool energy_available = false;
};

SimReport make_report(const AccelConfig& c, const Workload& w, const SimCounters& s, const std::string& fidelity);
std::string report_text(const SimReport& r);
std::string report_json(const SimReport& r);

}  // namespace abacus::sim
