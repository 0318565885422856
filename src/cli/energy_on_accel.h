// `abacus energy --config MODEL --accel CONFIG`: energy per token of a model's prefill or
// decode on an accelerator configuration, through the one accounting the simulator uses
// (sim/systemc/accounting.h): the analytic model's counters (DRAM bytes by kind, buffer
// traffic, operations) priced by the node's tech table, the memory technology's energy per
// bit, and static power x latency. `abacus sim` of the same workload reports the same bytes
// and energy by component (tests/sim/check_energy_vs_sim.py).
#pragma once
#ifdef ABACUS_SIM_AVAILABLE
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "sim/accel_config.h"
#include "sim/systemc/accounting.h"
#include "sim/systemc/analytic_model.h"
#include "sim/systemc/workload.h"
#include "src/io/atomic_file.h"
#include "src/model/config.h"

namespace abacus::cli {

inline void energy_on_accel(const std::string& model_path, const std::string& accel_path, const std::string& phase,
                            int64_t tokens, int64_t batch, const std::string& json) {
  const ModelConfig m = ModelConfig::load(model_path);
  const sim::AccelConfig c = sim::AccelConfig::load(accel_path);
  const sim::Workload w = phase == "prefill" ? sim::prefill_workload(m, tokens) : sim::decode_workload(m, batch, tokens);
  const sim::SimCounters s = sim::analytic_run(c, w);
  const double latency_s = double(s.cycles) * c.cycle_ns() * 1e-9;
  const sim::AccountedEnergy e = sim::account_energy(c, w, s, latency_s);
  const sim::Roofline r = sim::roofline(c, w);
  const double per = 1.0 / double(w.tokens);
  std::printf("\n%s %s on accelerator %s (%s, %s): %lld tokens, %.4g ms\n\n", m.name.c_str(), phase.c_str(),
              c.name.c_str(), c.node.c_str(), c.memory.c_str(), (long long)w.tokens, latency_s * 1e3);
  std::printf("| DRAM | bytes | compulsory |\n|---|---:|---:|\n");
  std::printf("| weights | %lld | %lld |\n", (long long)s.dram_weight_bytes, (long long)r.weight_bytes);
  std::printf("| KV cache read / write | %lld / %lld | %lld / %lld |\n", (long long)s.dram_kv_read_bytes,
              (long long)s.dram_kv_write_bytes, (long long)r.kv_read_bytes, (long long)r.kv_write_bytes);
  const long long total = (long long)(s.dram_read_bytes + s.dram_write_bytes);
  std::printf("| total | %lld | %lld |\n\n", total, (long long)r.compulsory_bytes);
  std::printf("| component | uJ/token | share |\n|---|---:|---:|\n");
  for (const auto& x : e.energy_pj)
    std::printf("| %s | %.4g | %.0f%% |\n", x.first.c_str(), x.second * per * 1e-6, 100 * x.second / e.total_pj);
  std::printf("| total | %.4g | |\n", e.total_pj * per * 1e-6);
  if (!json.empty()) {
    nlohmann::ordered_json j, comp;
    j["model"] = m.name;
    j["accel"] = c.name;
    j["phase"] = phase;
    j["tokens"] = w.tokens;
    j["latency_s"] = latency_s;
    j["dram_bytes"] = total;
    j["compulsory_dram_bytes"] = r.compulsory_bytes;
    for (const auto& x : e.energy_pj) comp[x.first] = x.second;
    j["energy_pj"] = comp;
    j["energy_pj_total"] = e.total_pj;
    j["energy_per_token_pj"] = e.total_pj * per;
    io::write_file_atomic(json, j.dump(2) + "\n");
    std::printf("\nwrote %s\n", json.c_str());
  }
}

}  // namespace abacus::cli
#endif
