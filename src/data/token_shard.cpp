#include "src/data/token_shard.h"

#include "src/io/atomic_file.h"
#include "src/util/error.h"

namespace abacus::data {

std::vector<int32_t> tokenize_documents(const Tokenizer& tok, const std::vector<std::string>& docs) {
  std::vector<int32_t> out;
  const int32_t eos = tok.eos_id();
  for (const std::string& d : docs) {
    const std::vector<int32_t> ids = tok.encode(d);
    out.insert(out.end(), ids.begin(), ids.end());
    out.push_back(eos);
  }
  return out;
}

void write_token_shard(const std::string& path, const std::vector<int32_t>& ids) {
  std::string bytes(ids.size() * 2, '\0');
  for (size_t i = 0; i < ids.size(); ++i) {
    if (ids[i] < 0 || ids[i] > 65535) fail(path, "", "token id " + std::to_string(ids[i]) + " does not fit uint16");
    bytes[2 * i] = char(ids[i] & 0xff);
    bytes[2 * i + 1] = char((ids[i] >> 8) & 0xff);
  }
  io::write_file_atomic(path, bytes);
}

std::vector<int32_t> read_token_shard(const std::string& path) {
  const std::string bytes = io::read_file(path);
  if (bytes.size() % 2 != 0) fail(path, "", "size is not a multiple of 2 (uint16 token ids expected)");
  std::vector<int32_t> ids(bytes.size() / 2);
  for (size_t i = 0; i < ids.size(); ++i)
    ids[i] = int32_t(uint8_t(bytes[2 * i])) | (int32_t(uint8_t(bytes[2 * i + 1])) << 8);
  return ids;
}

}  // namespace abacus::data
