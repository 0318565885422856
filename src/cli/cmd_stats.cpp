// abacus stats --trace FILE: operand statistics measured on a trace, per projection
// (src/trace/operand_stats.h): zero weights and activations, MACs a zero-gating PE skips,
// activation bit toggles between beats, accumulator peak.
#include <boost/program_options.hpp>
#include <cstdio>

#include "src/cli/command.h"
#include "src/cli/options.h"
#include "src/trace/operand_stats.h"
#include "src/trace/trace.h"

namespace po = boost::program_options;

namespace {

int run(int argc, char** argv) {
  std::string path;
  po::options_description opts("abacus stats: operand statistics of a trace, per projection\n\nusage: abacus stats --trace FILE\n\noptions");
  opts.add_options()("help,h", "this help")("trace", po::value(&path)->required(), "trace file (abacus trace, format v1 or v2)");
  po::variables_map vm;
  if (!abacus::cli::parse_options(argc, argv, opts, vm, "Definitions: src/trace/operand_stats.h.\n")) return 0;
  const abacus::trace::TraceFile t = abacus::trace::TraceFile::open(path);
  std::printf("%s: trace v%d, %zu records, %zu steps%s\n\n", path.c_str(), t.version(), t.records().size(),
              t.steps().size(), t.sampled() ? " (sampled)" : "");
  std::fputs(abacus::trace::operand_stats_table(abacus::trace::operand_stats(t)).c_str(), stdout);
  return 0;
}

const abacus::cli::CommandRegistrar reg{{"stats", "operand statistics of a trace (zeros, bit toggles, accumulator peak)", 65, &run}};

}  // namespace
