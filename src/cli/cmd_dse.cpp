// abacus dse: design-space sweep of accelerator configurations on one model workload
// (cartesian product of a sweep file over a base config), one CSV row per design point with a
// Pareto column (energy/token, latency, area); --shard I/N runs every N-th point; --merge
// joins shard CSVs and recomputes the front. See sim/systemc/sweep.h.
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "src/cli/command.h"
#include "src/cli/option_checks.h"
#include "src/cli/options.h"
#include "src/cli/sim_workload_options.h"
#include "src/cli/dse_quality.h"
#include "src/dist/communicator.h"
#include "src/util/error.h"

#ifdef ABACUS_SIM_AVAILABLE
#include "sim/accel_config.h"
#include "sim/systemc/analytic_model.h"
#include "sim/systemc/report.h"
#include "sim/systemc/sweep.h"
#include "sim/systemc/systemc_model.h"
#include "sim/systemc/workload.h"
#include "src/io/atomic_file.h"
#include "src/model/config.h"
#include "src/trace/sim_workload.h"
#endif

namespace po = boost::program_options;

namespace {

int run(int argc, char** argv) {
  std::string model, trace_path, accel, space, out, shard = "0/1", phase = "decode", fidelity = "analytic";
  std::vector<std::string> merge;
  std::string quality_ckpt;
  int64_t quality_windows = 8, quality_seq = 0;
  int64_t tokens = 128, batch = 1, kv_len = 512;
  bool allow_large = false, force = false;
  po::options_description opts("abacus dse: sweep accelerator configurations, mark the Pareto front");
  opts.add_options()("help,h", "show this help")
      ("trace", po::value(&trace_path), "trace.safetensors (abacus trace) instead of --model: its layer shapes, token count and measured zero-weight fraction")
      ("model", po::value(&model), "model config JSON")
      ("accel", po::value(&accel), "base accelerator config JSON (default: built-in defaults)")
      ("space", po::value(&space), "sweep JSON: {\"field\": [values...], ...}")
      ("out", po::value(&out), "output CSV")
      ("phase", po::value(&phase)->default_value(phase), "prefill | decode")
      ("tokens", po::value(&tokens)->default_value(tokens), "prefill: prompt length L")
      ("batch", po::value(&batch)->default_value(batch), "decode: batch B")
      ("kv-len", po::value(&kv_len)->default_value(kv_len), "decode: KV cache length C")
      ("fidelity", po::value(&fidelity)->default_value(fidelity), "analytic | systemc")
      ("shard", po::value(&shard)->default_value(shard), "I/N: evaluate points with index % N == I")
      ("merge", po::value(&merge)->multitoken(), "merge these shard CSVs into --out")
      ("allow-large", po::bool_switch(&allow_large), "evaluate more than 1,000,000 design points in this process")
      ("force", po::bool_switch(&force), "allow --out to be one of the input files")
      ("quality", po::value(&quality_ckpt), "checkpoint: add val_loss, perplexity and ppl_delta (vs the software reference) columns, evaluated once per distinct arithmetic configuration, and put ppl_delta on the Pareto front")
      ("quality-windows", po::value(&quality_windows)->default_value(quality_windows), "--quality: validation windows (0 = all)")
      ("quality-seq", po::value(&quality_seq)->default_value(quality_seq), "--quality: window length (0 = the checkpoint's training seq)");
  po::variables_map vm;
  if (!abacus::cli::parse_options(argc, argv, opts, vm)) return 0;
#ifdef ABACUS_SIM_AVAILABLE
  using namespace abacus;
  if (out.empty()) fail("abacus dse", "--out", "is required");
  {
    std::vector<std::string> inputs = merge;
    for (const std::string* p : {&space, &accel, &model, &trace_path}) inputs.push_back(*p);
    cli::refuse_output_onto_input("--out", out, inputs, force);
  }
  if (!merge.empty()) {
    std::vector<sim::DseTable> parts;
    for (const auto& f : merge) parts.push_back(sim::parse_dse_csv(io::read_file(f), f));
    const sim::DseTable t = sim::merge_dse(parts, merge);
    io::write_file_atomic(out, sim::dse_csv(t));
    std::cout << "merged " << t.rows.size() << " design points into " << out << "\n";
    return 0;
  }
  if (space.empty()) fail("abacus dse", "--space", "is required");
  int64_t shard_i = 0, shard_n = 1;
  if (std::sscanf(shard.c_str(), "%ld/%ld", &shard_i, &shard_n) != 2 || shard_n < 1 || shard_i < 0 || shard_i >= shard_n)
    fail("abacus dse", "--shard", "must be I/N with 0 <= I < N");
  // Under mpirun every rank runs shard rank/size and rank 0 merges them (as --merge would).
  abacus::dist::Communicator& comm = abacus::dist::world();
  if (comm.size() > 1) {
    if (!vm["shard"].defaulted()) fail("abacus dse", "--shard", "is chosen by the MPI rank under mpirun; leave it out");
    shard_i = comm.rank();
    shard_n = comm.size();
  }
  const sim::AccelConfig base = accel.empty() ? sim::AccelConfig{} : sim::AccelConfig::load(accel);
  const sim::SweepSpace s = sim::load_sweep(space);
  const cli::SimWorkloadOptions wo{model, trace_path, phase, fidelity, tokens, batch, kv_len};
  const sim::Workload w = cli::load_sim_workload("abacus dse", wo);
  sim::DseTable t;
  t.header = sim::dse_header(s);
  std::unique_ptr<cli::DseQuality> quality;
  if (!quality_ckpt.empty()) {
    quality = std::make_unique<cli::DseQuality>(quality_ckpt, quality_seq, quality_windows);
    quality->add_header(t.header);
  }
  const int64_t n = s.point_count();
  constexpr int64_t kLargeSweep = 1000000;
  const int64_t mine = n == INT64_MAX ? n : (n - shard_i + shard_n - 1) / shard_n;
  if (mine > kLargeSweep && !allow_large)
    fail(space, "", (n == INT64_MAX ? std::string("more than 9.2e18") : std::to_string(n)) + " design points (" +
                        (n == INT64_MAX ? std::string("overflow") : std::to_string(mine)) +
                        " in this shard) exceed " + std::to_string(kLargeSweep) + "; shard it or pass --allow-large");
  const auto start = std::chrono::steady_clock::now();
  auto last = start;
  for (int64_t i = shard_i; i < n; i += shard_n) {
    const sim::AccelConfig c = s.point_config(base, i);
    const sim::SimCounters sc = cli::run_sim(wo.fidelity, c, w);
    t.rows.push_back(sim::dse_row(s, i, sim::make_report(c, w, sc, fidelity)));
    if (quality) quality->add_row(c.arithmetic(), t.rows.back());
    const auto now = std::chrono::steady_clock::now();
    if (now - last > std::chrono::seconds(1)) {
      std::fprintf(stderr, "\rdse: point %ld / %ld", long(i + 1), long(n));
      last = now;
    }
  }
  sim::mark_pareto(t);
  if (comm.size() > 1) {
    const std::vector<std::string> csvs = dist::all_gather_text(comm, sim::dse_csv(t));
    if (comm.rank() != 0) return 0;
    std::vector<sim::DseTable> parts;
    std::vector<std::string> names;
    for (size_t r = 0; r < csvs.size(); ++r) {
      names.push_back(out + " (rank " + std::to_string(r) + ")");
      parts.push_back(sim::parse_dse_csv(csvs[r], names.back()));
    }
    t = sim::merge_dse(parts, names);
  }
  io::write_file_atomic(out, sim::dse_csv(t));
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  int64_t front = 0;
  for (const auto& r : t.rows) front += r.back() == "1";
  std::fprintf(stderr, "\r");
  if (quality)
    std::printf("quality: %ld model evaluations for %zu design points (reference val_loss %.6f)\n",
                long(quality->evaluations()), t.rows.size(), quality->reference_loss());
  std::printf("dse: %zu design points (shard %ld/%ld of %ld) in %.2f s, %ld on the Pareto front -> %s\n", t.rows.size(),
              long(shard_i), long(shard_n), long(n), secs, long(front), out.c_str());
  return 0;
#else
  (void)tokens;
  (void)batch;
  (void)kv_len;
  (void)quality_windows;
  (void)quality_seq;
  throw abacus::Error("abacus dse: this build has no simulator (built without sim/, e.g. the ASan build)");
#endif
}

#ifdef ABACUS_SIM_AVAILABLE
constexpr const char* kMissing = nullptr;
#else
constexpr const char* kMissing = "simulator";
#endif
static const abacus::cli::CommandRegistrar reg{
    {"dse", "sweep accelerator configurations (CSV, Pareto front over energy/latency/area)", 85, &run, kMissing}};

}  // namespace
