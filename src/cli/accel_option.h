// --accel CFG for eval, generate, trace and train: runs every BitLinear (and the KV cache)
// through the accelerator's integer datapath as the config describes it (src/accel).
#pragma once
#include <cstdio>
#include <string>

#include "src/accel/accel_arith.h"

namespace abacus::cli {

constexpr const char* kAccelHelp =
    "accelerator config JSON: emulate its arithmetic (k_t, acc_bits, acc_overflow, act_bits, topk_ratio, "
    "hadamard, ppu_precision, ppu_mult_bits, ppu_frac_bits, kv_bits; other fields are ignored)";

// Loads the arithmetic fields of path (empty: nothing) and makes them the active configuration
// for the rest of the process. Returns it, or null.
inline const accel::ArithConfig* activate_accel(const std::string& path) {
  static accel::ArithConfig cfg;
  if (path.empty()) return nullptr;
  cfg = accel::ArithConfig::load(path);
  accel::set_active(&cfg);
  std::fprintf(stderr, "accel: %s: %s\n", path.c_str(), cfg.key().c_str());
  return &cfg;
}

}  // namespace abacus::cli
