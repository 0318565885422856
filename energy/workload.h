// A workload for the energy model: the matrix products a model runs for a number of tokens,
// plus the measured fraction of zero ternary weights. It can be built from a model shape
// (prefill of L tokens, or decoding one token against an L-token context) or filled in from
// elsewhere (a trace: one Gemm per BitLinear record), and is what the counting functions take.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "energy/model_shape.h"

namespace abacus::energy {

enum class GemmKind {
  linear,     // x W^T of a linear layer (BitLinear in a BitNet model)
  attention,  // Q K^T or A V (high precision in every model)
};

// One (m x n)(n x p) product, `count` times (e.g. once per layer, or per layer and head).
struct Gemm {
  std::string name;  // "attn.q", "ffn.down", "attn.scores", "attn.values", ...
  GemmKind kind = GemmKind::linear;
  int64_t m = 0;  // rows of the left operand (tokens)
  int64_t n = 0;  // reduction length
  int64_t p = 0;  // output columns
  int64_t count = 1;
  double macs() const { return double(m) * double(n) * double(p) * double(count); }
};

enum class Phase { prefill, decode };
const char* phase_name(Phase p);

struct Workload {
  std::string name;
  Phase phase = Phase::prefill;
  int64_t tokens = 0;   // tokens processed (prefill: L; decode: 1)
  int64_t context = 0;  // attention length (prefill: L; decode: the L cached tokens + 1)
  bool bitnet = false;  // linear layers are BitLinear
  std::vector<Gemm> gemms;
  std::optional<double> zero_fraction;  // of the ternary weights, measured; unset = unknown
};

// Per layer: attn.q [L x d][d x q_dim], attn.k, attn.v [.. x kv_dim], attn.o [q_dim x d],
// FFN gate/up [d x ffn] (up only without GLU), down [ffn x d]; attention scores Q K^T
// (L x head_dim)(head_dim x L) and values A V (L x L)(L x head_dim) per head. Every product
// carries count = layers (x heads for attention). No LM head, no embedding lookup.
Workload prefill_workload(const ModelShape& s, int64_t tokens);
// One new token against `context` cached tokens (the attention covers context + 1).
Workload decode_workload(const ModelShape& s, int64_t context);

}  // namespace abacus::energy
