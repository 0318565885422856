// Range checks for numeric command-line options and the output-onto-input guard, run before
// any work starts so a bad flag never leaves half a result behind.
#pragma once
#include <sys/stat.h>

#include <cmath>
#include <sstream>
#include <string>
#include <vector>

#include "src/util/error.h"

namespace abacus::cli {

template <class T>
std::string option_value_text(T v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

// lo <= v <= hi (finite for floating point).
template <class T>
void check_range(const char* option, T v, T lo, T hi) {
  bool ok = v >= lo && v <= hi;
  if constexpr (std::is_floating_point_v<T>) ok = ok && std::isfinite(v);
  if (!ok)
    fail("", option, "value " + option_value_text(v) + " out of range [" + option_value_text(lo) + ", " +
                         option_value_text(hi) + "]");
}

// v > 0 and finite.
inline void check_positive(const char* option, double v) {
  if (!(v > 0) || !std::isfinite(v)) fail("", option, "must be a positive finite number, got " + option_value_text(v));
}

// True when both paths name the same existing file (same device and inode).
inline bool same_file(const std::string& a, const std::string& b) {
  struct stat sa {}, sb {};
  return !a.empty() && !b.empty() && ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 &&
         sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

// An output that is one of the inputs would destroy it: refused unless --force.
inline void refuse_output_onto_input(const char* out_option, const std::string& out, const std::vector<std::string>& inputs,
                                     bool force) {
  if (force) return;
  for (const std::string& in : inputs)
    if (same_file(out, in))
      fail(out, out_option, "is the same file as the input " + in + "; refusing to overwrite it (--force to allow)");
}

// The folder an output goes into must exist before the work that produces it starts.
inline void check_output_folder(const char* option, const std::string& out) {
  const std::size_t slash = out.find_last_of('/');
  if (slash == std::string::npos || slash == 0) return;
  struct stat st {};
  const std::string dir = out.substr(0, slash);
  if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    fail(out, option, "its folder " + dir + " does not exist");
}

}  // namespace abacus::cli
