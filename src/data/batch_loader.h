// Sequential batches from a token stream: row b of a batch reads tokens [p, p+T) as inputs and
// [p+1, p+T+1) as targets, then p += T; when fewer than T+1 tokens remain, p wraps to 0 (a
// new epoch). The position is the whole state, saved in trainer.json for exact resume.
#pragma once
#include <cstdint>
#include <vector>

namespace abacus::data {

class BatchLoader {
 public:
  BatchLoader(const std::vector<int32_t>& tokens, int64_t B, int64_t T, uint64_t position = 0);
  // inputs, targets: [B*T] each.
  void next(int32_t* inputs, int32_t* targets);
  uint64_t position() const { return pos_; }
  uint64_t epoch() const { return epoch_; }
  void set_state(uint64_t position, uint64_t epoch);

 private:
  const std::vector<int32_t>& tokens_;
  int64_t B_, T_;
  uint64_t pos_ = 0, epoch_ = 0;
};

}  // namespace abacus::data
