// Measured share of zero weights after b1.58 quantization, the input of zero-weight gating.
// Rule (the authors' absmean, per tensor): w_q = clamp(round_half_even(W / max(mean|W|, 1e-5)),
// -1, 1), computed by the core quantizer (src/quant/weight_quant.h).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace abacus::energy {

struct ZeroCount {
  int64_t zeros = 0;
  int64_t weights = 0;
  int tensors = 0;
  std::vector<std::string> tensor_names;  // the weights that were counted
  double fraction() const { return weights ? double(zeros) / double(weights) : 0.0; }
  ZeroCount& operator+=(const ZeroCount& o);
};

// Zeros of one [N, K] fp32 tensor quantized with the absmean (or, median=true, absmedian) rule.
ZeroCount ternary_zeros(const float* W, int64_t N, int64_t K, bool median = false);

// A BitLinear weight of a checkpoint: a 2-D tensor that is not an embedding, norm or LM head
// (names containing "embed", "norm", "lm_head", "wte", "wpe" are skipped).
bool is_bitlinear_weight_name(const std::string& name);

// Counts over every BitLinear weight of <dir>/model.safetensors. `quant` is the checkpoint's
// mode ("b1.58", "b1.58-median"; "b1" has no zeros by construction and "fp" is an error).
ZeroCount checkpoint_zeros(const std::string& dir, const std::string& quant);

}  // namespace abacus::energy
