// abacus report: the report of a run directory (reports/make_report.py, run with Debian's
// /usr/bin/python3 and matplotlib): index.md plus PNG plots in --out.
#include <boost/program_options.hpp>
#include <cstdio>
#include <iostream>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "src/cli/command.h"
#include "src/cli/options.h"
#include "src/util/error.h"

namespace po = boost::program_options;

namespace {

bool exists(const std::string& p) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0;
}

int run(int argc, char** argv) {
  std::string run_dir, out, python = "/usr/bin/python3";
  po::options_description opts("abacus report: index.md + plots from the CSV/JSON files of a run");
  opts.add_options()("help,h", "this help")
      ("run", po::value(&run_dir)->required(), "run directory (train/, trace/, energy/, dse/, sim/, verify/; see README)")
      ("out", po::value(&out)->required(), "report directory, e.g. reports/NAME (index.md and PNGs)")
      ("python", po::value(&python)->default_value(python), "Python with numpy and matplotlib (Debian's)");
  po::variables_map vm;
  if (!abacus::cli::parse_options(argc, argv, opts, vm)) return 0;
  if (!exists(run_dir)) abacus::fail(run_dir, "", "run directory not found");
  const std::string script = std::string(ABACUS_SOURCE_DIR) + "/reports/make_report.py";
  if (!exists(script)) abacus::fail(script, "", "report generator not found");
  if (!exists(python)) abacus::fail(python, "", "not found (install python3-matplotlib, or pass --python)");

  std::vector<std::string> args = {python, script, "--run", run_dir, "--out", out, "--source", ABACUS_SOURCE_DIR};
  std::vector<char*> cargs;
  for (auto& a : args) cargs.push_back(a.data());
  cargs.push_back(nullptr);
  std::fflush(stdout);
  const pid_t pid = ::fork();
  if (pid < 0) abacus::fail("", "report", "fork failed");
  if (pid == 0) {
    ::execv(python.c_str(), cargs.data());
    std::perror("exec");
    ::_exit(127);
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    abacus::fail(script, "", "the report generator failed (its message is above)");
  return 0;
}

const abacus::cli::CommandRegistrar reg{{"report", "Markdown report with plots from a run directory", 95, &run}};

}  // namespace
