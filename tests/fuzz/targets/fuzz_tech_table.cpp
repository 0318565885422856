// Energy technology tables (energy/tech/<node>.json).
#include "energy/tech_table.h"
#include "tests/fuzz/targets/fuzz_common.h"

void fuzz_one(const uint8_t* data, std::size_t size) {
  (void)abacus::energy::TechTable::from_json_text(abacus::fuzz::to_text(data, size), "fuzz-tech.json");
}
