// Accelerator configuration JSON: round trip, and every float within its physical bounds.
#include <cmath>

#include "sim/accel_config.h"
#include "tests/fuzz/targets/fuzz_common.h"

void fuzz_one(const uint8_t* data, std::size_t size) {
  const auto c = abacus::sim::AccelConfig::from_json_text(abacus::fuzz::to_text(data, size), "fuzz.json");
  if (!(c.clock_mhz > 0) || !std::isfinite(c.clock_mhz) || !(c.dram_gbps > 0) || !std::isfinite(c.dram_gbps) ||
      !(c.dram_latency_ns >= 0) || !std::isfinite(c.dram_latency_ns))
    __builtin_trap();
  const std::string text = c.to_json_text();
  if (abacus::sim::AccelConfig::from_json_text(text, "again.json").to_json_text() != text) __builtin_trap();
}
