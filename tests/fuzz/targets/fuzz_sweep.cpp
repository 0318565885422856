// Design-space sweep JSON: parsing, the point count, and the first and last design points.
#include "sim/systemc/sweep.h"
#include "tests/fuzz/targets/fuzz_common.h"

void fuzz_one(const uint8_t* data, std::size_t size) {
  const auto s = abacus::sim::parse_sweep(abacus::fuzz::to_text(data, size), "fuzz-space.json");
  const int64_t n = s.point_count();
  if (n < 1) __builtin_trap();
  (void)s.point_config(abacus::sim::AccelConfig{}, 0);
  if (n < INT64_MAX) (void)s.point_config(abacus::sim::AccelConfig{}, n - 1);
}
