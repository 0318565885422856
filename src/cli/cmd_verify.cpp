// abacus verify: runs integer GEMMs through the Verilated RTL tile and compares every int32
// accumulator with quant::int8_gemm_ref (random and corner-case operands), printing mismatches,
// cycles and the cycle formula's prediction. --trace runs every record of a model trace.
#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "src/cli/command.h"
#include "src/cli/options.h"
#include "src/util/error.h"

#ifdef ABACUS_RTL_HARNESS_AVAILABLE
#include "sim/accel_config.h"
#include "sim/verilator/rtl_tile.h"
#if __has_include("src/trace/trace.h")
#include "src/trace/trace.h"
#define ABACUS_VERIFY_HAS_TRACE 1
#endif
#endif

namespace po = boost::program_options;

namespace {

#ifdef ABACUS_RTL_HARNESS_AVAILABLE
using namespace abacus;

struct Shape {
  int64_t T = 0, K = 0, N = 0;
};

Shape parse_gemm(const std::string& s) {
  Shape g;
  char c1 = 0, c2 = 0;
  std::istringstream in(s);
  if (!(in >> g.T >> c1 >> g.K >> c2 >> g.N) || c1 != ',' || c2 != ',' || !in.eof() || g.T < 1 || g.K < 1 || g.N < 1)
    fail("", "--gemm", "expected T,K,N with positive integers, got \"" + s + "\"");
  return g;
}

// One operand pattern: activation and weight generators over the flat index.
struct Case {
  std::string name;
  Shape shape;
  std::vector<int8_t> x, w;
};

int8_t random_weight(std::mt19937_64& rng, bool binary) {
  if (binary) return std::uniform_int_distribution<int>(0, 1)(rng) ? 1 : -1;
  return int8_t(std::uniform_int_distribution<int>(-1, 1)(rng));
}

std::vector<Case> make_cases(const Shape& g, const rtl::TileShape& tile, bool binary, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_int_distribution<int> act(-128, 127);
  auto filled = [&](const std::string& name, Shape s, auto xgen, auto wgen) {
    Case c{name, s, std::vector<int8_t>(size_t(s.T * s.K)), std::vector<int8_t>(size_t(s.N * s.K))};
    for (size_t i = 0; i < c.x.size(); ++i) c.x[i] = xgen(i);
    for (size_t i = 0; i < c.w.size(); ++i) c.w[i] = wgen(i);
    return c;
  };
  auto rand_x = [&](size_t) { return int8_t(act(rng)); };
  auto rand_w = [&](size_t) { return random_weight(rng, binary); };
  auto constant = [](int v) { return [v](size_t) { return int8_t(v); }; };
  auto alternating = [](int a, int b) { return [a, b](size_t i) { return int8_t(i % 2 ? b : a); }; };
  std::vector<Case> cases;
  cases.push_back(filled("random", g, rand_x, rand_w));
  cases.push_back(filled("x=127 w=+1", g, constant(127), constant(1)));
  cases.push_back(filled("x=-128 w=+1", g, constant(-128), constant(1)));
  cases.push_back(filled("x=-128 w=-1", g, constant(-128), constant(-1)));
  cases.push_back(filled("x=0", g, constant(0), rand_w));
  if (!binary) cases.push_back(filled("w=0", g, rand_x, constant(0)));
  cases.push_back(filled("x=-1 w=-1", g, constant(-1), constant(-1)));
  cases.push_back(filled("alternating signs", g, alternating(127, -128), alternating(1, -1)));
  // Ragged edges: K not a multiple of K_T and N not a multiple of N_T.
  Shape r = g;
  if (r.K % tile.k_t == 0) r.K += tile.k_t / 2 + 1;
  if (r.N % tile.n_t == 0) r.N += 1;
  cases.push_back(filled("random, ragged K and N", r, rand_x, rand_w));
  return cases;
}

std::string index_name(int64_t i, int64_t N) {
  return "[" + std::to_string(i / N) + "," + std::to_string(i % N) + "]";
}

int verify_gemm(const rtl::RtlTile& tile, const Shape& g, bool binary, uint64_t seed, const std::string& wave,
                double backpressure) {
  std::printf("tile %s, mode %s, backpressure %.2f, seed %llu\n", rtl::tile_name(tile.shape()).c_str(),
              binary ? "b1" : "b1.58", backpressure, (unsigned long long)seed);
  std::printf("%-24s %12s %10s %14s %12s %12s %12s %12s\n", "case", "T,K,N", "mismatches", "first [t,n]",
              "expected", "got", "cycles", "predicted");
  int64_t bad = 0;
  bool first = true;
  for (const Case& c : make_cases(g, tile.shape(), binary, seed)) {
    rtl::GemmRunOptions opt;
    opt.backpressure = backpressure;
    opt.seed = seed;
    if (first && !wave.empty()) opt.wave_path = wave;  // the waveform of the random case
    const std::string on_mismatch = wave.empty() ? "verify-mismatch.vcd" : wave;
    const rtl::GemmCheck r = rtl::check_gemm(tile, c.x.data(), c.w.data(), c.shape.T, c.shape.K, c.shape.N, opt,
                                             bad == 0 ? on_mismatch : "");
    const std::string shape =
        std::to_string(c.shape.T) + "," + std::to_string(c.shape.K) + "," + std::to_string(c.shape.N);
    const uint64_t predicted = rtl::predicted_cycles(tile.shape(), c.shape.T, c.shape.K, c.shape.N);
    if (r.mismatches == 0)
      std::printf("%-24s %12s %10d %14s %12s %12s %12llu %12llu\n", c.name.c_str(), shape.c_str(), 0, "-", "-", "-",
                  (unsigned long long)r.run.cycles, (unsigned long long)predicted);
    else
      std::printf("%-24s %12s %10lld %14s %12d %12d %12llu %12llu\n", c.name.c_str(), shape.c_str(),
                  (long long)r.mismatches, index_name(r.first_index, c.shape.N).c_str(), r.first_expected,
                  r.first_got, (unsigned long long)r.run.cycles, (unsigned long long)predicted);
    if (!r.run.wave_written.empty()) std::printf("  waveform: %s\n", r.run.wave_written.c_str());
    bad += r.mismatches;
    first = false;
  }
  const uint64_t compute = rtl::compute_cycles(tile.shape(), g.T, g.K, g.N);
  std::printf("formula: compute ceil(N/N_T)*T*ceil(K/K_T) = %llu cycles for %lld,%lld,%lld; predicted total adds "
              "per block 2 command cycles + ceil(K/K_T) weight beats, then 1 + %d drain cycles%s\n",
              (unsigned long long)compute, (long long)g.T, (long long)g.K, (long long)g.N,
              rtl::drain_latency(tile.shape()),
              backpressure > 0 ? " (backpressure adds stalls beyond the prediction)" : "");
  std::printf("%s: %lld mismatching accumulators\n", bad == 0 ? "PASS" : "FAIL", (long long)bad);
  return bad == 0 ? 0 : 1;
}

#ifdef ABACUS_VERIFY_HAS_TRACE
struct LayerSummary {
  int64_t records = 0, macs = 0, mismatches = 0, trace_mismatches = 0;
  uint64_t cycles = 0, predicted = 0;
};

int verify_trace(const rtl::RtlTile& tile, const std::string& path, uint64_t seed, double backpressure,
                 const std::string& wave) {
  trace::TraceFile tf = trace::TraceFile::open(path);
  std::map<std::string, LayerSummary> by_proj;  // per projection kind, over all blocks and steps
  std::vector<std::string> order;
  LayerSummary total;
  std::string first_bad;  // the first failing record, named in the verdict
  for (const trace::TraceRecord& rec : tf.records()) {
    rtl::GemmRunOptions opt;
    opt.backpressure = backpressure;
    opt.seed = seed;
    const rtl::GemmCheck r = rtl::check_gemm(tile, rec.x_q, rec.w_q, rec.T, rec.K, rec.N, opt,
                                             total.mismatches == 0 && !wave.empty() ? wave : "");
    int64_t trace_bad = 0;  // the RTL against the accumulators the model itself recorded
    for (int64_t i = 0; i < rec.T * rec.N; ++i) trace_bad += r.run.acc[size_t(i)] != rec.acc[i];
    if ((r.mismatches > 0 || trace_bad > 0) && first_bad.empty()) first_bad = rec.name;
    if (trace_bad > 0)
      std::printf("MISMATCH %s: record %s: %lld accumulators differ from the trace's acc\n", path.c_str(),
                  rec.name.c_str(), (long long)trace_bad);
    if (r.mismatches > 0)
      std::printf("MISMATCH %s: %lld accumulators, first %s expected %d got %d\n", rec.name.c_str(),
                  (long long)r.mismatches, index_name(r.first_index, rec.N).c_str(), r.first_expected, r.first_got);
    if (!by_proj.count(rec.proj)) order.push_back(rec.proj);
    for (LayerSummary* s : {&by_proj[rec.proj], &total}) {
      s->records += 1;
      s->macs += rec.macs();
      s->mismatches += r.mismatches;
      s->trace_mismatches += trace_bad;
      s->cycles += r.run.cycles;
      s->predicted += rtl::predicted_cycles(tile.shape(), rec.T, rec.K, rec.N);
    }
  }
  std::printf("trace %s through tile %s (%zu records)\n", path.c_str(), rtl::tile_name(tile.shape()).c_str(),
              tf.records().size());
  std::printf("%-10s %8s %14s %11s %14s %14s %14s\n", "layer", "records", "MACs", "mismatches", "vs trace acc",
              "cycles", "predicted");
  auto row = [](const std::string& name, const LayerSummary& s) {
    std::printf("%-10s %8lld %14lld %11lld %14lld %14llu %14llu\n", name.c_str(), (long long)s.records,
                (long long)s.macs, (long long)s.mismatches, (long long)s.trace_mismatches,
                (unsigned long long)s.cycles, (unsigned long long)s.predicted);
  };
  for (const std::string& p : order) row(p, by_proj[p]);
  row("total", total);
  const bool ok = total.mismatches == 0 && total.trace_mismatches == 0;
  if (ok) std::printf("PASS\n");
  else std::printf("FAIL %s: first failing record %s\n", path.c_str(), first_bad.c_str());
  return ok ? 0 : 1;
}
#endif
#endif

int run(int argc, char** argv) {
  po::options_description opts(
      "abacus verify: run GEMMs through the Verilated RTL tile and compare bit-exactly with the integer "
      "reference\n\nUsage: abacus verify --gemm T,K,N --accel CONFIG.json [options]\n"
      "       abacus verify --trace TRACE.safetensors --accel CONFIG.json\n\nOptions");
  opts.add_options()("help,h", "show this help")
      ("gemm", po::value<std::string>(), "GEMM shape T,K,N: x_q [T,K] int8 times w_q [N,K]")
      ("trace", po::value<std::string>(), "run every record of a model trace through the tile")
      ("accel", po::value<std::string>(), "accelerator config JSON (n_t, k_t, pe, weights, acc_bits)")
      ("seed", po::value<uint64_t>()->default_value(1), "random seed for operands and backpressure")
      ("wave", po::value<std::string>(), "write a VCD waveform (of the random case; on mismatch always)")
      ("mode", po::value<std::string>(), "weights: b1.58 (ternary) or b1 (binary); default from the config")
      ("backpressure", po::value<double>()->default_value(0.0), "probability the output stream stalls a cycle");
  po::variables_map vm;
  if (!abacus::cli::parse_options(argc, argv, opts, vm)) return 0;
#ifdef ABACUS_RTL_HARNESS_AVAILABLE
  if (!vm.count("accel")) abacus::fail("", "--accel", "is required");
  if (vm.count("gemm") == vm.count("trace")) abacus::fail("", "--gemm/--trace", "give exactly one of them");
  const sim::AccelConfig cfg = sim::AccelConfig::load(vm["accel"].as<std::string>());
  const rtl::RtlTile tile(cfg);
  const uint64_t seed = vm["seed"].as<uint64_t>();
  const double bp = vm["backpressure"].as<double>();
  if (bp < 0 || bp >= 1) abacus::fail("", "--backpressure", "must be in [0, 1)");
  const std::string wave = vm.count("wave") ? vm["wave"].as<std::string>() : "";
  if (vm.count("trace")) {
#ifdef ABACUS_VERIFY_HAS_TRACE
    return verify_trace(tile, vm["trace"].as<std::string>(), seed, bp, wave);
#else
    abacus::fail("", "--trace", "this build has no trace reader (src/trace)");
#endif
  }
  bool binary = cfg.weights == sim::WeightMode::binary;
  if (vm.count("mode")) {
    const std::string m = vm["mode"].as<std::string>();
    if (m != "b1" && m != "b1.58") abacus::fail("", "--mode", "expected b1.58 or b1, got \"" + m + "\"");
    binary = m == "b1";
  }
  return verify_gemm(tile, parse_gemm(vm["gemm"].as<std::string>()), binary, seed, wave, bp);
#else
  abacus::fail("", "verify", "this build has no Verilated RTL (configure with ABACUS_WITH_SIM=ON, not the sanitizer build)");
#endif
}

#ifdef ABACUS_RTL_HARNESS_AVAILABLE
constexpr const char* kMissing = nullptr;
#else
constexpr const char* kMissing = "Verilated RTL";
#endif
const abacus::cli::CommandRegistrar reg{
    {"verify", "run GEMMs or a model trace through the Verilated RTL tile, bit-exact", 70, &run, kMissing}};

}  // namespace
