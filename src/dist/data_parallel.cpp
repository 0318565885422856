#include "src/dist/data_parallel.h"

#include <algorithm>
#include <cstring>
#include <string>

#include "src/dist/tree_order.h"
#include "src/tensor/parallel.h"
#include "src/util/error.h"

namespace abacus::dist {

int64_t default_micro_batch(int64_t batch, int ranks) {
  return ranks > 0 && batch % ranks == 0 ? batch / ranks : batch;
}

DataParallelStep::DataParallelStep(Communicator& comm, int64_t batch, int64_t micro_batch, int64_t seq)
    : comm_(comm), batch_(batch), micro_(micro_batch), seq_(seq) {
  const int64_t n = comm.size();
  if (micro_ <= 0 || batch_ % micro_ != 0)
    fail("", "--micro-batch", std::to_string(micro_) + " must be positive and divide --batch " + std::to_string(batch_));
  micro_batches_ = batch_ / micro_;
  if (!rank_split_follows_tree(micro_batches_, n))
    fail("", "--micro-batch", "the " + std::to_string(micro_batches_) + " micro-batches of " +
                                  std::to_string(micro_) + " sequences do not split across " + std::to_string(n) +
                                  " ranks in the fixed summation tree: use a rank count that divides them and is a "
                                  "power of two, or one micro-batch per rank");
  first_ = micro_batches_ / n * comm.rank();
  last_ = first_ + micro_batches_ / n;
}

const float* DataParallelStep::sum_range(model::LanguageModel<float>& m, const int32_t* tokens,
                                         const int32_t* targets, int64_t lo, int64_t hi, size_t depth, bool whole) {
  const int64_t P = m.num_params();
  if (hi - lo == 1) {
    const int64_t off = lo * micro_ * seq_;
    losses_[size_t(lo)] = m.forward(tokens + off, targets + off, micro_, seq_);
    m.zero_grad();
    m.backward();
    if (whole) return m.grads();  // nothing else to add: no copy
    if (partial_.size() <= depth) partial_.resize(depth + 1);
    partial_[depth].resize(size_t(P));
    std::memcpy(partial_[depth].data(), m.grads(), size_t(P) * sizeof(float));
    return partial_[depth].data();
  }
  const int64_t mid = tree_mid(lo, hi);
  sum_range(m, tokens, targets, lo, mid, depth, false);  // into partial_[depth]
  const float* right = sum_range(m, tokens, targets, mid, hi, depth + 1, false);
  float* left = partial_[depth].data();
  tensor::parallel_for(0, P, 1 << 15, [&](int64_t a, int64_t b) {
    for (int64_t i = a; i < b; ++i) left[i] = left[i] + right[i];
  });
  return left;
}

double DataParallelStep::run(model::LanguageModel<float>& m, const int32_t* tokens, const int32_t* targets) {
  const int64_t P = m.num_params();
  for (int64_t i = 0; i < batch_ * seq_; ++i)
    if (targets[i] < 0) fail("", "training batch", "every position of a training window needs a target");
  losses_.assign(size_t(micro_batches_), 0.0);
  const bool alone = comm_.size() == 1 && micro_batches_ == 1;
  const float* local = sum_range(m, tokens, targets, first_, last_, 0, last_ - first_ == 1);
  if (alone) return losses_[0];

  float* g = m.grads();
  if (local != g) std::memcpy(g, local, size_t(P) * sizeof(float));
  comm_.allreduce_sum_f32(g, P);
  // Every micro-batch's gradient is of its own mean loss; equal token counts make the step's
  // gradient their mean.
  const float M = float(micro_batches_);
  tensor::parallel_for(0, P, 1 << 15, [&](int64_t a, int64_t b) {
    for (int64_t i = a; i < b; ++i) g[i] = g[i] / M;
  });

  // Losses: every rank's micro-batch losses to every rank, then the same tree.
  for (int r = 0; r < comm_.size(); ++r) {
    const int64_t per = micro_batches_ / comm_.size();
    comm_.broadcast(losses_.data() + r * per, per * int64_t(sizeof(double)), r);
  }
  struct Tree {
    const std::vector<double>& v;
    double sum(int64_t lo, int64_t hi) const {
      if (hi - lo == 1) return v[size_t(lo)];
      const int64_t mid = tree_mid(lo, hi);
      return sum(lo, mid) + sum(mid, hi);
    }
  };
  return Tree{losses_}.sum(0, micro_batches_) / double(micro_batches_);
}

}  // namespace abacus::dist
