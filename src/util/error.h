// The one error type abacus throws for bad input. Messages name the file and the field (or
// tensor, or record) and say what was expected, so the CLI can print them as they are.
#pragma once
#include <stdexcept>
#include <string>

namespace abacus {

class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "FILE: FIELD: what" with empty parts left out.
inline std::string where(const std::string& file, const std::string& field, const std::string& what) {
  std::string s;
  if (!file.empty()) s += file + ": ";
  if (!field.empty()) s += field + ": ";
  return s + what;
}

[[noreturn]] inline void fail(const std::string& file, const std::string& field, const std::string& what) {
  throw Error(where(file, field, what));
}

}  // namespace abacus
