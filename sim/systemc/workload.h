// Workload of the accelerator: the command stream the controller runs. A command is either a
// BitLinear GEMM [T x K] x [K x N] on the ternary tile or a block of element operations on the
// vector unit (norms, RoPE, attention scores/softmax/context, activation quantization,
// residual). `repeat` runs the same command that many times back to back (one per layer), so
// a trace-derived workload (layer shapes + token count) is a plain list of these.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "src/model/config.h"

namespace abacus::sim {

// What a GEMM is in the model; the plan (machine.h) maps it onto a unit with the config's
// widths: projections run on the ternary tile; k/v projections also write the KV cache (their
// outputs at kv_bits); QK^T and AV run on the attention unit with the K or V cache (at kv_bits,
// read from DRAM) as their right operand; the LM head runs where lm_head_unit says.
enum class GemmRole { projection, kv_projection, attn_scores, attn_values, lm_head };

struct GemmCommand {
  std::string name;     // "q", "down", "lm_head", ...
  int64_t T = 0, K = 0, N = 0;
  int weight_bits = 0;  // stored bits per weight in DRAM; 0 = the config's (2 ternary, 1 binary)
  GemmRole role = GemmRole::projection;
  int64_t macs = 0;     // useful multiply-accumulates when fewer than batch*T*K*N (causal attention)
  int64_t batch = 1;    // independent GEMMs of this shape in one command (heads x sequences)
};

struct VectorCommand {
  std::string name;     // "attn_norm+quant", "attention", ...
  double ops = 0;       // element operations
};

struct Command {
  enum class Kind { gemm, vector } kind = Kind::gemm;
  GemmCommand gemm;
  VectorCommand vec;
  int64_t repeat = 1;
};

struct Workload {
  std::string name;            // model name
  std::string phase;           // "prefill", "decode", "trace", "job"
  int64_t tokens = 1;          // tokens this workload processes (energy per token divides by it)
  double weight_zero_fraction = 1.0 / 3.0;  // fraction of ternary weights that are 0 (gated adds)
  std::vector<Command> commands;

  void add_gemm(const std::string& name, int64_t T, int64_t K, int64_t N, int64_t repeat = 1,
                int weight_bits = 0, GemmRole role = GemmRole::projection, int64_t macs = 0, int64_t batch = 1);
  void add_vector(const std::string& name, double ops, int64_t repeat = 1);
};

// Prefill of L tokens (causal attention over the prompt; logits for the last token only).
Workload prefill_workload(const ModelConfig& m, int64_t tokens);
// Decode of one token for each of `batch` sequences, each attending to `kv_len` cached tokens.
Workload decode_workload(const ModelConfig& m, int64_t batch, int64_t kv_len);

}  // namespace abacus::sim
