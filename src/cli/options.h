// Option parsing shared by the subcommands: store, answer --help, then notify (so --help works
// even when other options are missing or bad).
#pragma once
#include <boost/program_options.hpp>
#include <iostream>

namespace abacus::cli {

// Returns false after printing the help (the command then exits 0).
inline bool parse_options(int argc, char** argv, const boost::program_options::options_description& opts,
                          boost::program_options::variables_map& vm, const char* epilog = "") {
  boost::program_options::store(boost::program_options::parse_command_line(argc, argv, opts), vm);
  if (vm.count("help")) {
    std::cout << opts << "\n" << epilog;
    return false;
  }
  boost::program_options::notify(vm);
  return true;
}

}  // namespace abacus::cli
