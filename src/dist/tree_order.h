// The one summation order of data-parallel training: a midpoint binary tree over an index
// range, sum[lo, hi) = sum[lo, mid) + sum[mid, hi) with mid = lo + (hi - lo) / 2. Used over
// the micro-batches of a step (gradient accumulation) and over ranks (allreduce), so a run
// split across N processes adds exactly the same floats in the same order as one process
// that runs all the micro-batches itself.
#pragma once
#include <cstdint>

namespace abacus::dist {

inline int64_t tree_mid(int64_t lo, int64_t hi) { return lo + (hi - lo) / 2; }

// True when giving each of `ranks` processes `micro_batches / ranks` consecutive
// micro-batches makes every rank's range a node of the micro-batch tree and the tree above
// them the rank tree: then the local sums followed by the rank allreduce reproduce the
// single-process sum bit for bit. Holds for ranks a power of two dividing micro_batches, and
// for one micro-batch per rank.
bool rank_split_follows_tree(int64_t micro_batches, int64_t ranks);

}  // namespace abacus::dist
