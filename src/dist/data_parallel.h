// One training step's gradient, data parallel: the global batch of B sequences is cut into
// M = B / micro_batch micro-batches; each rank runs its consecutive M / ranks of them
// (forward + backward each), their gradients and losses are added in the fixed tree order of
// tree_order.h, the ranks' sums are all-reduced in the same order, and the total is divided
// by M. Every rank ends with the same gradient bits, and they equal those of one process
// running all M micro-batches itself (same --batch and --micro-batch) at any thread count.
// With M = 1 (one process, micro_batch = batch) this is exactly forward, zero_grad, backward.
#pragma once
#include <cstdint>
#include <vector>

#include "src/dist/communicator.h"
#include "src/model/lm.h"

namespace abacus::dist {

class DataParallelStep {
 public:
  // Error (naming --micro-batch or the rank count) unless micro_batch divides batch and the
  // micro-batches split across the ranks along the tree (rank_split_follows_tree).
  DataParallelStep(Communicator& comm, int64_t batch, int64_t micro_batch, int64_t seq);

  // tokens/targets: the whole global batch [batch, seq], the same on every rank. Leaves the
  // step's mean gradient in m.grads() and returns the global mean loss.
  double run(model::LanguageModel<float>& m, const int32_t* tokens, const int32_t* targets);

  int64_t micro_batches() const { return micro_batches_; }
  int64_t micro_batch() const { return micro_; }

 private:
  const float* sum_range(model::LanguageModel<float>& m, const int32_t* tokens, const int32_t* targets, int64_t lo,
                         int64_t hi, size_t depth, bool whole);

  Communicator& comm_;
  int64_t batch_, micro_, seq_, micro_batches_, first_, last_;  // this rank's micro-batches [first_, last_)
  std::vector<double> losses_;                                  // per micro-batch, this step
  std::vector<std::vector<float>> partial_;                     // one gradient vector per tree depth
};

// Micro-batch size when none is given: one micro-batch per rank.
int64_t default_micro_batch(int64_t batch, int ranks);

}  // namespace abacus::dist
