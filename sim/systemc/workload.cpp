#include "sim/systemc/workload.h"

#include "src/util/error.h"

namespace abacus::sim {

void Workload::add_gemm(const std::string& n, int64_t T, int64_t K, int64_t N, int64_t repeat, int weight_bits,
                        GemmRole role, int64_t macs, int64_t batch) {
  Command c;
  c.kind = Command::Kind::gemm;
  c.gemm = {n, T, K, N, weight_bits, role, macs, batch};
  c.repeat = repeat;
  commands.push_back(c);
}

void Workload::add_vector(const std::string& n, double ops, int64_t repeat) {
  Command c;
  c.kind = Command::Kind::vector;
  c.vec = {n, ops};
  c.repeat = repeat;
  commands.push_back(c);
}

namespace {

// Element-operation costs per element (documented approximations, see README cli-sim):
constexpr double kNormOps = 3;      // square-accumulate, scale, gain
constexpr double kQuantOps = 2;     // absmax, scale+round to int8
constexpr double kRopeOps = 3;      // rotate pairs: 2 mul + 1 add per element (table lookups free)
constexpr double kSoftmaxOps = 5;   // max, sub, exp, sum, div per score
constexpr double kGluOps = 3;       // activation + gate multiply per element (silu ~2 ops)

// One transformer block over `seqs` sequences of `rows` new tokens each (T = seqs * rows),
// attending to `keys` keys per sequence (causal over the new rows when `causal`). QK^T and AV
// run per sequence and KV head: the `group` query heads that share a KV head form the rows of
// one GEMM whose right operand is that head's K (V) cache.
void add_blocks(Workload& w, const ModelConfig& m, int64_t seqs, int64_t rows, int64_t keys, bool causal) {
  const int64_t T = seqs * rows;
  const int64_t kvh = m.num_key_value_heads > 0 ? m.num_key_value_heads : m.num_attention_heads;
  const int64_t group = m.num_attention_heads / kvh, hd = m.head_dim();
  // (query, key) pairs per query head and sequence.
  const int64_t pairs = causal ? rows * (rows + 1) / 2 + rows * (keys - rows) : rows * keys;
  const double scores = double(seqs) * double(pairs);
  const int64_t d = m.hidden_size, f = m.intermediate_size, kv = m.kv_dim(), L = m.num_hidden_layers;
  const double heads = double(m.num_attention_heads);
  const double Td = double(T) * double(d), Tf = double(T) * double(f);
  const bool glu = m.ffn != FfnKind::gelu;
  w.add_vector("attn_norm+quant", Td * (kNormOps + kQuantOps), L);
  w.add_gemm("q", T, d, d, L);
  w.add_gemm("k", T, d, kv, L, 0, GemmRole::kv_projection);
  w.add_gemm("v", T, d, kv, L, 0, GemmRole::kv_projection);
  w.add_vector("rope", double(T) * double(d + kv) * kRopeOps, L);
  // One batched command per layer: every (sequence, KV head) pair is an independent GEMM.
  const int64_t batch = kvh * seqs, macs = batch * group * pairs * hd;
  w.add_gemm("qk", rows * group, hd, keys, L, 0, GemmRole::attn_scores, macs, batch);
  w.add_vector("softmax", heads * scores * kSoftmaxOps, L);
  w.add_gemm("av", rows * group, keys, hd, L, 0, GemmRole::attn_values, macs, batch);
  w.add_vector("o_norm+quant", Td * (kNormOps + kQuantOps), L);
  w.add_gemm("o", T, d, d, L);
  w.add_vector("residual", Td, L);
  w.add_vector("ffn_norm+quant", Td * (kNormOps + kQuantOps), L);
  if (glu) w.add_gemm("gate", T, d, f, L);
  w.add_gemm("up", T, d, f, L);
  w.add_vector("act+quant", Tf * ((glu ? kGluOps : 1) + kQuantOps + (m.subln ? kNormOps : 0)), L);
  w.add_gemm("down", T, f, d, L);
  w.add_vector("residual", Td, L);
}

void add_head(Workload& w, const ModelConfig& m, int64_t rows) {
  w.add_vector("final_norm+quant", double(rows) * double(m.hidden_size) * (kNormOps + kQuantOps));
  // The LM head stays high precision in BitNet: 8-bit weights, on the unit lm_head_unit names.
  w.add_gemm("lm_head", rows, m.hidden_size, m.vocab_size, 1, 8, GemmRole::lm_head);
}

void check_model(const ModelConfig& m) {
  if (m.hidden_size <= 0 || m.num_hidden_layers <= 0 || m.num_attention_heads <= 0 || m.vocab_size <= 0)
    fail("model", "hidden_size", "model config has no shape");
}

}  // namespace

Workload prefill_workload(const ModelConfig& m, int64_t tokens) {
  check_model(m);
  if (tokens < 1) fail("--tokens", "tokens", "must be >= 1");
  Workload w;
  w.name = m.name;
  w.phase = "prefill";
  w.tokens = tokens;
  add_blocks(w, m, 1, tokens, tokens, true);
  add_head(w, m, 1);
  return w;
}

Workload decode_workload(const ModelConfig& m, int64_t batch, int64_t kv_len) {
  check_model(m);
  if (batch < 1) fail("--batch", "batch", "must be >= 1");
  if (kv_len < 0) fail("--kv-len", "kv_len", "must be >= 0");
  Workload w;
  w.name = m.name;
  w.phase = "decode";
  w.tokens = batch;
  add_blocks(w, m, batch, 1, kv_len + 1, false);  // the cache + the new token
  add_head(w, m, batch);
  return w;
}

}  // namespace abacus::sim
