// The accelerator's integer datapath as configured (arith_config.h), one function per stage,
// used by every BitLinear while a configuration is active (eval/generate/trace/train --accel).
// With the default configuration every stage reproduces the software reference bit for bit.
//
//   activation quantizer (act_bits, topk_ratio, hadamard)  ->  x_q, x_scale (x ~= x_q / x_scale)
//   chunked accumulation (k_t, acc_bits, acc_overflow)     ->  acc
//   PPU rescale (ppu_precision)                            ->  y = acc / (x_scale * w_scale)
//   KV cache storage (kv_bits)
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "src/accel/arith_config.h"

namespace abacus::accel {

// The configuration BitLinear and the KV cache follow; null (the default) = software reference.
// Process-wide, set once by the CLI (or a test) before models are built and run.
const ArithConfig* active();
void set_active(const ArithConfig* cfg);
class ScopedArith {  // sets a configuration for a scope, restores the previous one after
 public:
  explicit ScopedArith(const ArithConfig* cfg) : prev_(active()) { set_active(cfg); }
  ~ScopedArith() { set_active(prev_); }
  ScopedArith(const ScopedArith&) = delete;
  ScopedArith& operator=(const ScopedArith&) = delete;

 private:
  const ArithConfig* prev_;
};

// Which activation quantizer a projection gets (BitNet a4.8, BitNet v2).
enum class ProjRole {
  block_input,  // q, k, v, gate, up: inputs of attention / FFN
  attn_out,     // o: the attention output (a4.8 top-k INT8; v2 Hadamard)
  ffn_down,     // down: the FFN intermediate state (a4.8 INT8; v2 Hadamard)
};
// From a projection name "attn.o", "layers.3.ffn.down", ...
ProjRole role_of(const std::string& proj_name);
// Whether the Hadamard transform applies to this role under cfg.
bool uses_hadamard(const ArithConfig& cfg, ProjRole role);

// ---- accumulator
// v reduced to acc_bits: two's complement wrap, or clamp.
int64_t wrap_to_bits(int64_t v, int bits);
int64_t saturate_to_bits(int64_t v, int bits);
// One output: sum_k x[k] * w[k] accumulated chunk by chunk as the PE does.
int32_t accumulate_dot(const int8_t* x, const int8_t* w, int64_t K, const ArithConfig& cfg);
// acc [T, N] = x_q [T, K] . w_q [N, K]^T through accumulate_dot (exact when no overflow can
// occur, which is checked from max|x_q| and then computed with the fast exact kernel by callers).
void accel_gemm(const int8_t* x_q, const int8_t* w_q, int32_t* acc, int64_t T, int64_t K, int64_t N,
                const ArithConfig& cfg);
// True when K * max|x_q| fits in the accumulator: every chunk order gives the exact sum.
bool accumulation_is_exact(const int8_t* x_q, int64_t n, int64_t K, const ArithConfig& cfg);

// ---- activation quantizers (per token row of K)
// a4.8 absmean INT4: beta = mean|x|, s = sqrt(7) / max(beta, eps), x_q = clamp(round(x s), -8, 7).
void quantize_int4_absmean(const float* x, int64_t K, int8_t* x_q, float* x_scale);
// a4.8 top-k: keeps the ceil(ratio K) entries of largest |x| (ties: lower index first), zeroes the
// rest, then absmax INT8 (the absmax is a kept entry, so the scale is the reference's).
void quantize_topk_int8(const float* x, int64_t K, double ratio, int8_t* x_q, float* x_scale);
// The quantizer cfg gives `role`, for rows [rows, K]; x_scale [rows]. act_bits 8 without
// Hadamard is exactly quant::quantize_activations (per token).
void quantize_activations_for(const ArithConfig& cfg, ProjRole role, const float* x, int64_t rows, int64_t K,
                              int8_t* x_q, float* x_scale);

// ---- Hadamard (orthonormal Sylvester, blockwise over the largest power of two dividing K)
int64_t hadamard_block(int64_t K);
// In place on each row of [rows, K]; H is symmetric and H H = I, so applying it twice is the identity.
void hadamard_rows(float* x, int64_t rows, int64_t K);

// ---- PPU rescale: y = acc / (x_scale * w_scale) at cfg.ppu_precision.
//   fp32:  float(acc) / (x_scale * w_scale), the reference expression
//   fp16 / bf16: m = fmt(1 / (x_scale * w_scale)), y = fmt(fmt(acc) * m)  (round to nearest even)
//   fixed: m ~= M 2^-e with M an unsigned ppu_mult_bits-bit integer (top bit set), then
//          y_int = (acc * M + 2^(e-F-1)) >> (e - F)  (round half up, arithmetic shift;
//          F = ppu_frac_bits), saturated to int32, y = y_int 2^-F
float ppu_rescale(int32_t acc, float x_scale, float w_scale, const ArithConfig& cfg);
float round_to_fp16(float v);  // IEEE binary16, nearest even, overflow to inf
float round_to_bf16(float v);  // bfloat16, nearest even
struct FixedMultiplier {
  int64_t mult = 0;  // M
  int shift = 0;     // e
};
FixedMultiplier fixed_multiplier(double m, int mult_bits);

// ---- KV cache storage: rounds kv [rows, heads * head_dim] in place to kv_bits
// (per row and head for the integer formats: s = qmax / max(amax, eps), q = clamp(round(v s))).
void store_kv(float* kv, int64_t rows, int64_t heads, int64_t head_dim, int kv_bits);

}  // namespace abacus::accel
