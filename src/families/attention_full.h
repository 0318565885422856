// Multi-head attention for encoders and encoder-decoders (src/nn/attention.h is causal-only):
// bidirectional or causal, queries and keys of different lengths (cross-attention), and an
// optional additive score bias [n_head, Tq, Tk] (T5 relative position bias). Full precision,
// as BitNet keeps attention scores high precision. Scores scaled 1/sqrt(head_dim); T5 itself
// folds that scale into its initialisation, a stated difference that changes no result shape.
#pragma once
#include <cstdint>

namespace abacus::families {

struct AttnShape {
  int64_t B = 0, Tq = 0, Tk = 0, H = 0, hd = 0;
  bool causal = false;  // query i sees keys j <= i (requires Tq == Tk)
};

// q [B,Tq,H,hd], k,v [B,Tk,H,hd], out [B,Tq,H,hd], att [B,H,Tq,Tk] (probabilities, saved);
// bias [H,Tq,Tk] or null.
template <class T>
void attn_forward(T* out, T* att, const T* q, const T* k, const T* v, const T* bias, const AttnShape& s);

// Accumulates dq, dk, dv, dbias (dbias [H,Tq,Tk], may be null).
template <class T>
void attn_backward(T* dq, T* dk, T* dv, T* dbias, const T* dout, const T* att, const T* q, const T* k, const T* v,
                   const AttnShape& s);

}  // namespace abacus::families
