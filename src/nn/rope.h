// Rotary position embeddings, "rotate half" pairing (as Hugging Face LLaMA): within each head,
// element i pairs with i + head_dim/2, rotated by angle pos * theta^(-2i/head_dim).
// x is [B, Tn, n_heads, head_dim]; token t of every batch row has position pos0 + t.
#pragma once
#include <cstdint>

namespace abacus::nn {

// In place. head_dim must be even.
template <class T>
void rope_forward(T* x, int64_t B, int64_t Tn, int64_t n_heads, int64_t head_dim, int64_t pos0, double theta);

// In place on the gradient: the inverse rotation (RoPE is orthogonal). Not accumulating:
// pass the gradient buffer of the rotated tensor, it becomes the gradient of the input.
template <class T>
void rope_backward(T* dx, int64_t B, int64_t Tn, int64_t n_heads, int64_t head_dim, int64_t pos0, double theta);

}  // namespace abacus::nn
