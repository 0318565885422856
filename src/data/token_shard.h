// Token shards on disk: raw little-endian uint16 token ids (.bin, no header; vocabularies up
// to 65536), one stream per split with the eos id after every document.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "src/data/tokenizer.h"

namespace abacus::data {

// Encodes each document and appends eos after it.
std::vector<int32_t> tokenize_documents(const Tokenizer& tok, const std::vector<std::string>& docs);
void write_token_shard(const std::string& path, const std::vector<int32_t>& ids);  // atomic
std::vector<int32_t> read_token_shard(const std::string& path);

}  // namespace abacus::data
