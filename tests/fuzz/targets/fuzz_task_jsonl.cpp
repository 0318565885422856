// Multiple-choice task JSONL (abacus eval --task).
#include "src/eval/multiple_choice.h"
#include "tests/fuzz/targets/fuzz_common.h"

void fuzz_one(const uint8_t* data, std::size_t size) {
  const auto items = abacus::eval::load_choice_task(abacus::fuzz::to_file(data, size, ".task.jsonl"));
  for (const auto& it : items)
    if (it.label < 0 || std::size_t(it.label) >= it.choices.size()) __builtin_trap();
}
