#include "src/data/batch_loader.h"

#include <string>

#include "src/util/error.h"

namespace abacus::data {

BatchLoader::BatchLoader(const std::vector<int32_t>& tokens, int64_t B, int64_t T, uint64_t position)
    : tokens_(tokens), B_(B), T_(T), pos_(position) {
  if (B <= 0 || T <= 0) fail("", "batch", "batch size and sequence length must be positive");
  if (int64_t(tokens.size()) < T + 1)
    fail("", "data", "the token stream has " + std::to_string(tokens.size()) + " tokens, fewer than seq+1 = " +
                         std::to_string(T + 1));
  if (pos_ + uint64_t(T_) + 1 > tokens_.size()) pos_ = 0;
}

void BatchLoader::set_state(uint64_t position, uint64_t epoch) {
  if (position + uint64_t(T_) + 1 > tokens_.size()) fail("trainer.json", "data_position", "beyond the token stream");
  pos_ = position;
  epoch_ = epoch;
}

void BatchLoader::next(int32_t* inputs, int32_t* targets) {
  for (int64_t b = 0; b < B_; ++b) {
    if (pos_ + uint64_t(T_) + 1 > tokens_.size()) {
      pos_ = 0;
      ++epoch_;
    }
    const int32_t* src = tokens_.data() + pos_;
    for (int64_t t = 0; t < T_; ++t) {
      inputs[b * T_ + t] = src[t];
      targets[b * T_ + t] = src[t + 1];
    }
    pos_ += uint64_t(T_);
  }
}

}  // namespace abacus::data
