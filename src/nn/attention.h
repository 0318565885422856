// Causal multi-head attention with grouped KV heads (GQA): query head h reads KV head
// h / (n_head / n_kv_head). Inputs already projected (and RoPE'd); scores scaled 1/sqrt(head_dim),
// computed in full precision (BitNet keeps attention scores high precision).
#pragma once
#include <cstdint>

namespace abacus::nn {

struct AttentionShape {
  int64_t B = 0, T = 0, n_head = 0, n_kv_head = 0, head_dim = 0;
};

// q [B,T,n_head,hd], k,v [B,T,n_kv_head,hd], out [B,T,n_head,hd], att [B,n_head,T,T] (softmax
// probabilities, saved for backward; entries above the diagonal are 0).
template <class T>
void attention_forward(T* out, T* att, const T* q, const T* k, const T* v, const AttentionShape& s);

// Accumulates into dq, dk, dv. scratch: [T] of T per thread is allocated internally.
template <class T>
void attention_backward(T* dq, T* dk, T* dv, const T* dout, const T* att, const T* q, const T* k,
                        const T* v, const AttentionShape& s);

// Decode one token against a KV cache: q [n_head, hd]; k_cache, v_cache [>= n_ctx, n_kv_head, hd]
// whose first n_ctx rows are valid (the new token's k,v included); out [n_head, hd];
// scores scratch [n_head * n_ctx].
void attention_decode(float* out, const float* q, const float* k_cache, const float* v_cache,
                      int64_t n_ctx, int64_t n_head, int64_t n_kv_head, int64_t head_dim, float* scores);

}  // namespace abacus::nn
