#include "src/dist/tree_order.h"

namespace abacus::dist {
namespace {

// Walks the rank tree [r0, r1) and the micro-batch tree [r0 * m, r1 * m) together: each node
// of the first must be a node of the second, split at the same place.
bool same_split(int64_t r0, int64_t r1, int64_t m) {
  if (r1 - r0 <= 1) return true;
  const int64_t rmid = tree_mid(r0, r1);
  if (tree_mid(r0 * m, r1 * m) != rmid * m) return false;
  return same_split(r0, rmid, m) && same_split(rmid, r1, m);
}

}  // namespace

bool rank_split_follows_tree(int64_t micro_batches, int64_t ranks) {
  if (ranks < 1 || micro_batches < ranks || micro_batches % ranks != 0) return false;
  return same_split(0, ranks, micro_batches / ranks);
}

}  // namespace abacus::dist
