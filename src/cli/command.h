// Subcommand registry of the abacus CLI. Each cmd_<name>.cpp defines one command and registers
// it with a file-scope `static const CommandRegistrar`. A command gets argv after its name
// (argv[0] is "abacus <name>"), parses it with Boost.Program_options, returns the exit code,
// and throws abacus::Error for bad input (main prints it and exits 1).
#pragma once
#include <string>
#include <vector>

namespace abacus::cli {

struct Command {
  const char* name;
  const char* summary;  // one line for `abacus --help`
  int order;            // listing order (pipeline order: models 10, inspect 20, train 30, ...)
  int (*run)(int argc, char** argv);
  // Non-null when this build lacks what the command needs (e.g. the simulator in the sanitizer
  // build): the listing says so, the demo skips the command, and running it explains.
  const char* missing = nullptr;
};

std::vector<Command>& command_registry();

struct CommandRegistrar {
  explicit CommandRegistrar(const Command& c) { command_registry().push_back(c); }
};

}  // namespace abacus::cli
