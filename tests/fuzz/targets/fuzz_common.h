// Shared by the libFuzzer targets: inputs that a parser reads from a file go through a scratch
// file; abacus::Error is an accepted outcome, anything else (a crash, a sanitizer report, another
// exception escaping) is a finding.
#pragma once
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "src/util/error.h"

namespace abacus::fuzz {

inline const std::string& scratch_path(const char* suffix) {
  static const std::string p = [suffix] {
    const char* tmp = std::getenv("TMPDIR");
    return std::string(tmp && *tmp ? tmp : "/tmp") + "/abacus-fuzz-" + std::to_string(::getpid()) + suffix;
  }();
  return p;
}

inline const std::string& to_file(const uint8_t* data, std::size_t size, const char* suffix) {
  const std::string& p = scratch_path(suffix);
  std::FILE* f = std::fopen(p.c_str(), "wb");
  if (!f) std::abort();
  if (size) std::fwrite(data, 1, size, f);
  std::fclose(f);
  return p;
}

inline std::string to_text(const uint8_t* data, std::size_t size) {
  return std::string(reinterpret_cast<const char*>(data), size);
}

}  // namespace abacus::fuzz

// Every target defines fuzz_one(); abacus::Error is swallowed here, nothing else is.
void fuzz_one(const uint8_t* data, std::size_t size);
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  try {
    fuzz_one(data, size);
  } catch (const abacus::Error&) {
  }
  return 0;
}
