// Next-token sampling: temperature 0 = greedy (argmax); else softmax(logits / temperature)
// restricted to the top_k most likely tokens (top_k <= 0: all), drawn with the given RNG.
#pragma once
#include <cstdint>

#include "src/tensor/rng.h"

namespace abacus::eval {

int32_t sample_token(const float* logits, int64_t V, double temperature, int64_t top_k, tensor::Rng& rng);

}  // namespace abacus::eval
