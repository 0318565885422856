// Fused softmax + cross-entropy, forward and backward in one pass over the logits.
#pragma once
#include <cstdint>

namespace abacus::nn {

// logits [rows, V]; targets [rows] (a negative target means "ignore": loss 0, zero gradient).
// losses[rows] = -log softmax(logits)[target] (may be null).
// dlogits (may be null) is OVERWRITTEN with dloss_scale * (softmax - onehot(target)); e.g.
// dloss_scale = 1 / (number of counted rows) for a mean loss. Returns the sum of the losses
// of the counted rows (in double).
template <class T>
double softmax_cross_entropy(T* losses, T* dlogits, const T* logits, const int32_t* targets,
                             int64_t rows, int64_t V, T dloss_scale);

}  // namespace abacus::nn
