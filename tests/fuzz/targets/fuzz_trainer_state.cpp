// trainer.json (resume state): field types and ranges.
#include "src/train/checkpoint.h"
#include "tests/fuzz/targets/fuzz_common.h"

void fuzz_one(const uint8_t* data, std::size_t size) {
  const auto s = abacus::train::load_trainer_state(abacus::fuzz::to_file(data, size, ".trainer.json"));
  if (s.step < 0 || s.step > s.total_steps || s.batch < 1 || s.seq < 1) __builtin_trap();
}
