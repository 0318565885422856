// `abacus sim --trace FILE --fidelity cosim`: the traced workload through the SystemC model twice,
// once with its own tile and once with the Verilated RTL tile clocked inside it (sim/cosim).
// Every traced GEMM carries its recorded operands; the RTL's accumulators are compared with the
// model tile's and with the acc the model recorded, and every counter of the two runs is
// compared. Prints both, the report of the co-simulated run, and returns non-zero on any
// difference. Only for builds with the co-simulation library.
#pragma once
#ifdef ABACUS_COSIM_AVAILABLE
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sim/cosim/rtl_cosim.h"
#include "sim/systemc/report.h"
#include "src/cli/sim_workload_options.h"
#include "src/io/atomic_file.h"
#include "src/trace/sim_workload.h"
#include "src/trace/trace.h"
#include "src/trace/workload.h"

namespace abacus::cli {

inline int run_trace_cosim(const sim::AccelConfig& c, const std::string& trace_path, const std::string& json,
                           const std::string& wave) {
  if (trace_path.empty())
    fail("abacus sim", "--fidelity cosim", "needs --trace: the co-simulation feeds the RTL tile the traced operands");
  cosim::attach_rtl_tiles(wave);
  const sim::ClockedTile& tile = sim::clocked_tile_for(c);
  const trace::TraceFile tf = trace::TraceFile::open(trace_path);
  if (tf.sampled())
    fail(trace_path, "__metadata__.sampling", "the co-simulation needs every layer and token row (trace without --layers/--max-tokens)");
  std::vector<int64_t> record_of;
  sim::Workload w = trace::sim_workload(tf, trace::extract_workload(tf), &record_of);
  std::vector<cosim::GemmInputs> inputs(w.commands.size());
  for (size_t i = 0; i < w.commands.size(); ++i)
    if (record_of[i] >= 0) {
      const trace::TraceRecord& r = tf.records()[size_t(record_of[i])];
      inputs[i] = {r.x_q, r.w_q};
    }
  std::printf("co-simulating %zu traced GEMMs (%zu commands) of %s on %s inside the SystemC model...\n",
              tf.records().size(), w.commands.size(), trace_path.c_str(), tile.name().c_str());
  std::fflush(stdout);
  const auto t0 = std::chrono::steady_clock::now();
  const cosim::CosimRun r = cosim::cosim_compare(c, w, inputs);
  cosim::close_wave();
  if (!wave.empty()) std::printf("wrote %s (the RTL tile's ports through the co-simulated run)\n", wave.c_str());
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();

  // Accumulators per projection kind: RTL vs the model's tile, RTL vs the trace's recorded acc.
  struct Row {
    int64_t records = 0, macs = 0, vs_model = 0, vs_trace = 0;
  };
  std::map<std::string, Row> rows;
  std::vector<std::string> order;
  Row total;
  for (size_t i = 0; i < w.commands.size(); ++i) {
    if (record_of[i] < 0) continue;
    const trace::TraceRecord& rec = tf.records()[size_t(record_of[i])];
    int64_t vs_model = 0, vs_trace = 0;
    for (int64_t j = 0; j < rec.T * rec.N; ++j) {
      vs_model += r.rtl_acc[i][size_t(j)] != r.model_acc[i][size_t(j)];
      vs_trace += r.rtl_acc[i][size_t(j)] != rec.acc[j];
    }
    if (!rows.count(rec.proj)) order.push_back(rec.proj);
    for (Row* row : {&rows[rec.proj], &total}) {
      row->records += 1;
      row->macs += rec.macs();
      row->vs_model += vs_model;
      row->vs_trace += vs_trace;
    }
  }
  std::printf("\naccumulators of the RTL tile (co-simulated)\n%-10s %8s %14s %16s %16s\n", "layer", "records", "MACs",
              "vs SystemC tile", "vs trace acc");
  auto print_row = [](const std::string& name, const Row& x) {
    std::printf("%-10s %8lld %14lld %16lld %16lld\n", name.c_str(), (long long)x.records, (long long)x.macs,
                (long long)x.vs_model, (long long)x.vs_trace);
  };
  for (const std::string& p : order) print_row(p, rows[p]);
  print_row("total", total);

  std::printf("\ncounters: SystemC tile model vs RTL tile in the same SystemC model\n%-24s %16s %16s %6s\n", "counter",
              "SystemC tile", "RTL tile", "equal");
  nlohmann::ordered_json counters;
  for (const sim::CounterField& f : sim::counter_fields()) {
    const int64_t a = r.model.*f.member, b = r.rtl.*f.member;
    std::printf("%-24s %16lld %16lld %6s\n", f.name, (long long)a, (long long)b, a == b ? "yes" : "NO");
    counters[f.name] = {{"systemc", a}, {"cosim", b}};
  }
  const bool ok = r.identical() && total.vs_trace == 0;
  const int64_t clocked = r.rtl.tile_cycles + r.rtl.tile_overhead_cycles + r.rtl.pipeline_cycles;
  std::printf("co-simulation: %lld cycles, %lld of them clocking the RTL tile, in %.2f s; %s\n",
              (long long)r.rtl.cycles, (long long)clocked, secs,
              ok ? "PASS: same accumulators and the same cycles as the SystemC tile model"
                 : "FAIL: the co-simulation differs (see above)");
  for (const std::string& d : r.counter_differences) std::printf("  differs: %s (model vs rtl)\n", d.c_str());

  const sim::SimReport rep = sim::make_report(c, w, r.rtl, "cosim");
  std::printf("\n%s", sim::report_text(rep).c_str());
  if (!json.empty()) {
    nlohmann::ordered_json j = nlohmann::ordered_json::parse(sim::report_json(rep));
    j["cosim"] = {{"tile", tile.name()},
                  {"traced_gemms", total.records},
                  {"acc_mismatches_vs_systemc", total.vs_model},
                  {"acc_mismatches_vs_trace", total.vs_trace},
                  {"counters_equal", r.counter_differences.empty()},
                  {"counters", counters},
                  {"rtl_clocked_cycles", clocked},
                  {"seconds", secs},
                  {"pass", ok}};
    io::write_file_atomic(json, j.dump(2) + "\n");
    std::cout << "wrote " << json << "\n";
  }
  return ok ? 0 : 1;
}

}  // namespace abacus::cli
#endif
