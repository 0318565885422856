// Host API of the whole-model kernels (the layers around BitLinear): embedding, norms, RoPE,
// FFN non-linearities, per-tensor activation quantization (b1 training), binary weights (b1),
// dequantized bf16 activations for the STE, and the small vector ops of the optimizer step.
// No CUDA headers; pointers are device memory; launches are asynchronous on the default stream
// unless stated. Per-element arithmetic: src/cuda/model_math.h, src/cuda/quant_math.h.
#pragma once
#include <cstdint>

#include "src/cuda/bitnet_cuda.h"

namespace abacus::cuda {

// out [rows, C] = table[ids[r]].  dtable[ids[r]] += dout[r] (atomics).
void embedding_forward(float* out, const int32_t* ids, const float* table, int64_t rows, int64_t C);
void embedding_backward(float* dtable, const float* dout, const int32_t* ids, int64_t rows, int64_t C);

// Statistics in double (as src/nn): out = norm(x) * gain; mean (LayerNorm; may be null), rstd [rows].
void norm_forward(Norm norm, float* out, float* mean, float* rstd, const float* x, const float* gain, int64_t rows,
                  int64_t C, double eps);
// dx += (per row), dgain += (column sums over row chunks; partial: >= norm_backward_partial_floats).
void norm_backward(Norm norm, float* dx, float* dgain, const float* dout, const float* x, const float* gain,
                   const float* mean, const float* rstd, int64_t rows, int64_t C, float* partial);
int64_t norm_backward_partial_floats(int64_t rows, int64_t C);

// b1 training: one absmax scale for all of x [rows, K]; x_scale [rows] gets it on every row.
void quant_act_per_tensor(const float* x, int64_t rows, int64_t K, int8_t* x_q, float* x_scale);
// b1 weights: alpha = mean(W_g), beta = mean|W_g| (double sums), w_q = W > alpha ? 1 : -1,
// w_scale = 1 / max(beta, 1e-5). partial: >= 2 * groups * 128 doubles.
void quant_weights_binary(const float* W, int64_t N, int64_t K, int64_t groups, int8_t* w_q, float* w_scale,
                          double* partial);
// x~ [rows, K] bf16 = bf16(x_q / x_scale[row]).
void dequant_act_bf16(const int8_t* x_q, const float* x_scale, int64_t rows, int64_t K, uint16_t* out);

// RoPE in place on x [B, T, H, hd] at positions pos0 + t; inverse = the backward.
void rope(float* x, int64_t B, int64_t T, int64_t H, int64_t hd, int64_t pos0, double theta, bool inverse);

enum class Ffn { gelu, swiglu, relu2_glu };
void ffn_forward(Ffn kind, float* h, const float* gate, const float* up, int64_t n);
void ffn_backward(Ffn kind, float* dgate, float* dup, const float* dh, const float* gate, const float* up, int64_t n);

// packed [N, packed_row_bytes(K)] 2-bit codes of w_q [N, K] in {-1, 0, 1} (binary b1 weights too).
void pack_weights(const int8_t* w_q, int64_t N, int64_t K, uint8_t* packed);
// Causal attention of n queries q [n, H, hd] at positions pos.. against the KV cache [>= pos+n,
// Hkv, hd]; one warp per (query, head), online softmax; out [n, H, hd]. hd <= 128.
void attention_cached(float* out, const float* q, const float* k_cache, const float* v_cache, int64_t n, int64_t pos,
                      int64_t H, int64_t Hkv, int64_t hd);

void add(float* y, const float* a, const float* b, int64_t n);
void scale(float* x, int64_t n, float s);
// Sum of squares in double; synchronizes. partial: >= 1024 doubles.
double sum_squares(const float* x, int64_t n, double* partial);

}  // namespace abacus::cuda
