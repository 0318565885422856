#include <algorithm>
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>

#include <boost/program_options/errors.hpp>

#include "src/cli/command.h"
#include "src/io/safetensors.h"
#include "src/util/error.h"

namespace abacus::cli {

std::vector<Command>& command_registry() {
  static std::vector<Command> commands;
  return commands;
}

}  // namespace abacus::cli

namespace {

void print_usage() {
  auto cmds = abacus::cli::command_registry();
  std::sort(cmds.begin(), cmds.end(), [](const auto& a, const auto& b) { return a.order < b.order; });
  std::printf(
      "abacus: a workbench for 1-bit and ternary LLM hardware/software co-design\n\n"
      "usage: abacus <command> [options]   (abacus <command> --help for its options)\n\n"
      "  --no-verify  (any command) skip the CRC32C check of safetensors data on load (faster;\n"
      "               header and structure are still checked)\n\ncommands:\n");
  for (const auto& c : cmds) {
    if (c.missing)
      std::printf("  %-10s (not in this build: no %s) %s\n", c.name, c.missing, c.summary);
    else
      std::printf("  %-10s %s\n", c.name, c.summary);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || !std::strcmp(argv[1], "--help") || !std::strcmp(argv[1], "-h") ||
      !std::strcmp(argv[1], "help")) {
    print_usage();
    return argc < 2 ? 2 : 0;
  }
  if (!std::strcmp(argv[1], "--version")) {
    std::printf("abacus 0.1.0\n");
    return 0;
  }
  // --no-verify is global: taken out here so every command accepts it.
  {
    int kept = 1;
    for (int i = 1; i < argc; ++i) {
      if (!std::strcmp(argv[i], "--no-verify")) abacus::io::set_verify_checksums(false);
      else argv[kept++] = argv[i];
    }
    argc = kept;
    argv[argc] = nullptr;
  }
  if (argc < 2) {
    print_usage();
    return 2;
  }
  const std::string name = argv[1];
  for (const auto& c : abacus::cli::command_registry()) {
    if (name != c.name) continue;
    std::string argv0 = "abacus " + name;
    argv[1] = argv0.data();
    try {
      return c.run(argc - 1, argv + 1);
    } catch (const boost::program_options::error& e) {
      std::fprintf(stderr, "abacus %s: error: %s (see abacus %s --help)\n", name.c_str(), e.what(), name.c_str());
      return 2;
    } catch (const abacus::Error& e) {
      std::fprintf(stderr, "abacus %s: error: %s\n", name.c_str(), e.what());
      return 1;
    } catch (const std::exception& e) {
      std::fprintf(stderr, "abacus %s: internal error: %s\n", name.c_str(), e.what());
      return 3;
    }
  }
  std::fprintf(stderr, "abacus: unknown command '%s' (abacus --help lists them)\n", name.c_str());
  return 2;
}
