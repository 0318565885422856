// Token ids given directly (--tokens FILE): whitespace-separated integers in [0, vocab). For
// models whose tokenizer abacus cannot read (a Hugging Face tokenizer.json).
#pragma once
#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "src/io/atomic_file.h"
#include "src/util/error.h"

namespace abacus::cli {

inline std::vector<int32_t> read_token_ids(const std::string& path, int64_t vocab) {
  std::istringstream in(io::read_file(path));
  std::vector<int32_t> ids;
  std::string word;
  while (in >> word) {
    long long v = 0;
    try {
      std::size_t used = 0;
      v = std::stoll(word, &used);
      if (used != word.size()) throw std::invalid_argument("");
    } catch (const std::exception&) {
      fail(path, "token " + std::to_string(ids.size()), "\"" + word + "\" is not an integer token id");
    }
    if (v < 0 || v >= vocab)
      fail(path, "token " + std::to_string(ids.size()),
           std::to_string(v) + " is not in [0, vocab_size = " + std::to_string(vocab) + ")");
    ids.push_back(int32_t(v));
  }
  if (ids.empty()) fail(path, "", "holds no token ids");
  return ids;
}

}  // namespace abacus::cli
