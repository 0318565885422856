// DSE CSV (the shard files `abacus dse --merge` joins): parse, merge with itself must fail on
// duplicate indices or succeed, and what parses prints back to a parseable table.
#include "sim/systemc/sweep.h"
#include "tests/fuzz/targets/fuzz_common.h"

void fuzz_one(const uint8_t* data, std::size_t size) {
  const auto t = abacus::sim::parse_dse_csv(abacus::fuzz::to_text(data, size), "fuzz.csv");
  const std::string text = abacus::sim::dse_csv(t);
  (void)abacus::sim::parse_dse_csv(text, "again.csv");
  (void)abacus::sim::merge_dse({t}, {"fuzz.csv"});
}
