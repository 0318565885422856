// Model configuration JSON: whatever parses must print and parse back to the same text.
#include "src/model/config.h"
#include "tests/fuzz/targets/fuzz_common.h"

void fuzz_one(const uint8_t* data, std::size_t size) {
  const auto c = abacus::ModelConfig::from_json_text(abacus::fuzz::to_text(data, size), "fuzz.json");
  const std::string text = c.to_json_text();
  if (abacus::ModelConfig::from_json_text(text, "again.json").to_json_text() != text) __builtin_trap();
  (void)c.params_total();
}
