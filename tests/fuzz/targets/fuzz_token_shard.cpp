// uint16 token shards (train.bin / val.bin): read, write back, read again: the same ids.
#include "src/data/token_shard.h"
#include "tests/fuzz/targets/fuzz_common.h"

void fuzz_one(const uint8_t* data, std::size_t size) {
  const auto ids = abacus::data::read_token_shard(abacus::fuzz::to_file(data, size, ".bin"));
  const std::string& again = abacus::fuzz::scratch_path(".again.bin");
  abacus::data::write_token_shard(again, ids);
  if (abacus::data::read_token_shard(again) != ids) __builtin_trap();
}
