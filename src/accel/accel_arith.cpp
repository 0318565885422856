#include "src/accel/accel_arith.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "src/quant/act_quant.h"
#include "src/quant/rounding.h"
#include "src/tensor/parallel.h"
#include "src/util/error.h"

namespace abacus::accel {

namespace {
__extension__ typedef __int128 i128;  // the fixed-point PPU's wide product
const ArithConfig* g_active = nullptr;

bool ends_with(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

int8_t clamp_round(float v, float lo, float hi) {
  if (std::isnan(v)) fail("", "activations", "non-finite value reached the activation quantizer");
  return int8_t(std::clamp(quant::round_half_even(v), lo, hi));
}

// Rounds v to a binary format with `mant` significand bits (hidden bit included) and minimum
// normal exponent emin (subnormals below it); overflow above max_finite goes to inf.
float round_to_format(float v, int mant, int emin, double max_finite) {
  if (!std::isfinite(v) || v == 0.f) return v;
  int ex = 0;
  std::frexp(double(v), &ex);  // |v| = m 2^ex, m in [0.5, 1): the exponent of v is ex - 1
  const int e = std::max(ex - 1, emin);
  const double ulp = std::ldexp(1.0, e - (mant - 1));
  const double r = std::nearbyint(double(v) / ulp) * ulp;
  if (std::fabs(r) > max_finite) return std::copysign(INFINITY, v);
  return float(r);
}
}  // namespace

const ArithConfig* active() { return g_active; }
void set_active(const ArithConfig* cfg) { g_active = cfg; }

ProjRole role_of(const std::string& name) {
  if (ends_with(name, "attn.o")) return ProjRole::attn_out;
  if (ends_with(name, "ffn.down")) return ProjRole::ffn_down;
  return ProjRole::block_input;
}

bool uses_hadamard(const ArithConfig& cfg, ProjRole role) {
  return cfg.hadamard && (role == ProjRole::attn_out || role == ProjRole::ffn_down);
}

// ---- accumulator

int64_t wrap_to_bits(int64_t v, int bits) {
  const uint64_t mask = bits >= 64 ? ~uint64_t(0) : (uint64_t(1) << bits) - 1;
  uint64_t u = uint64_t(v) & mask;
  if (bits < 64 && (u >> (bits - 1)) & 1) u |= ~mask;  // sign-extend
  return int64_t(u);
}

int64_t saturate_to_bits(int64_t v, int bits) {
  const int64_t hi = (int64_t(1) << (bits - 1)) - 1, lo = -(int64_t(1) << (bits - 1));
  return std::clamp(v, lo, hi);
}

int32_t accumulate_dot(const int8_t* x, const int8_t* w, int64_t K, const ArithConfig& cfg) {
  int64_t acc = 0;
  for (int64_t k0 = 0; k0 < K; k0 += cfg.k_t) {
    const int64_t k1 = std::min<int64_t>(K, k0 + cfg.k_t);
    int64_t partial = 0;  // the adder tree's exact chunk sum
    for (int64_t k = k0; k < k1; ++k) partial += int64_t(x[k]) * int64_t(w[k]);
    acc = cfg.acc_overflow == Overflow::wrap ? wrap_to_bits(acc + partial, cfg.acc_bits)
                                             : saturate_to_bits(acc + partial, cfg.acc_bits);
  }
  return int32_t(acc);
}

void accel_gemm(const int8_t* x_q, const int8_t* w_q, int32_t* acc, int64_t T, int64_t K, int64_t N,
                const ArithConfig& cfg) {
  tensor::parallel_for(0, N, 8, [&](int64_t n0, int64_t n1) {
    for (int64_t n = n0; n < n1; ++n)
      for (int64_t t = 0; t < T; ++t) acc[t * N + n] = accumulate_dot(x_q + t * K, w_q + n * K, K, cfg);
  });
}

bool accumulation_is_exact(const int8_t* x_q, int64_t n, int64_t K, const ArithConfig& cfg) {
  int64_t amax = 0;
  for (int64_t i = 0; i < n; ++i) amax = std::max<int64_t>(amax, std::abs(int64_t(x_q[i])));
  // |every running sum| <= K * amax with weights in {-1, 0, 1}.
  return K * amax <= (int64_t(1) << (cfg.acc_bits - 1)) - 1;
}

// ---- activation quantizers

void quantize_int4_absmean(const float* x, int64_t K, int8_t* x_q, float* x_scale) {
  double sum = 0;
  for (int64_t k = 0; k < K; ++k) sum += std::fabs(double(x[k]));
  const float beta = float(sum / double(K));
  const float s = std::sqrt(7.0f) / std::max(beta, quant::kScaleEps);
  for (int64_t k = 0; k < K; ++k) x_q[k] = clamp_round(x[k] * s, -8.f, 7.f);
  *x_scale = s;
}

void quantize_topk_int8(const float* x, int64_t K, double ratio, int8_t* x_q, float* x_scale) {
  const int64_t keep = std::min<int64_t>(K, int64_t(std::ceil(ratio * double(K) - 1e-9)));
  std::vector<int64_t> order(static_cast<size_t>(K));
  std::iota(order.begin(), order.end(), int64_t(0));
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return std::fabs(x[a]) > std::fabs(x[b]); });
  std::vector<float> kept(static_cast<size_t>(K), 0.f);
  for (int64_t i = 0; i < keep; ++i) kept[size_t(order[size_t(i)])] = x[order[size_t(i)]];
  quant::quantize_activations(quant::ActScope::per_token, kept.data(), 1, K, 1, x_q, x_scale);
}

void quantize_activations_for(const ArithConfig& cfg, ProjRole role, const float* x, int64_t rows, int64_t K,
                              int8_t* x_q, float* x_scale) {
  const float* in = x;
  std::vector<float> rotated;
  if (uses_hadamard(cfg, role)) {
    rotated.assign(x, x + rows * K);
    hadamard_rows(rotated.data(), rows, K);
    in = rotated.data();
  }
  if (cfg.act_bits == 8 || role == ProjRole::ffn_down) {
    quant::quantize_activations(quant::ActScope::per_token, in, rows, K, 1, x_q, x_scale);
    return;
  }
  for (int64_t t = 0; t < rows; ++t) {
    if (role == ProjRole::attn_out)
      quantize_topk_int8(in + t * K, K, cfg.topk_ratio, x_q + t * K, x_scale + t);
    else
      quantize_int4_absmean(in + t * K, K, x_q + t * K, x_scale + t);
  }
}

// ---- Hadamard

int64_t hadamard_block(int64_t K) { return K & -K; }

void hadamard_rows(float* x, int64_t rows, int64_t K) {
  const int64_t B = hadamard_block(K);
  const float norm = 1.0f / std::sqrt(float(B));
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t b0 = 0; b0 < K; b0 += B) {
      float* v = x + r * K + b0;
      for (int64_t h = 1; h < B; h *= 2)  // fast Walsh-Hadamard butterflies
        for (int64_t i = 0; i < B; i += 2 * h)
          for (int64_t j = i; j < i + h; ++j) {
            const float a = v[j], c = v[j + h];
            v[j] = a + c;
            v[j + h] = a - c;
          }
      for (int64_t i = 0; i < B; ++i) v[i] *= norm;
    }
}

// ---- PPU

float round_to_fp16(float v) { return round_to_format(v, 11, -14, 65504.0); }
float round_to_bf16(float v) { return round_to_format(v, 8, -126, 3.3895313892515355e38); }

FixedMultiplier fixed_multiplier(double m, int mult_bits) {
  if (!(m > 0) || !std::isfinite(m)) fail("", "ppu_precision", "fixed-point rescale needs a positive finite scale");
  int ex = 0;
  std::frexp(m, &ex);  // m = f 2^ex, f in [0.5, 1)
  FixedMultiplier f;
  f.shift = mult_bits - ex;  // M = m 2^shift in [2^(mult_bits-1), 2^mult_bits)
  f.mult = int64_t(std::nearbyint(std::ldexp(m, f.shift)));
  if (f.mult == (int64_t(1) << mult_bits)) {  // rounded up to the next power of two
    f.mult >>= 1;
    f.shift -= 1;
  }
  return f;
}

float ppu_rescale(int32_t acc, float x_scale, float w_scale, const ArithConfig& cfg) {
  switch (cfg.ppu_precision) {
    case PpuPrecision::fp32: return float(acc) / (x_scale * w_scale);
    case PpuPrecision::fp16: {
      const float m = round_to_fp16(1.0f / (x_scale * w_scale));
      return round_to_fp16(round_to_fp16(float(acc)) * m);  // an fp16 x fp16 product is exact in fp32
    }
    case PpuPrecision::bf16: {
      const float m = round_to_bf16(1.0f / (x_scale * w_scale));
      return round_to_bf16(round_to_bf16(float(acc)) * m);
    }
    case PpuPrecision::fixed: {
      const FixedMultiplier f = fixed_multiplier(1.0 / (double(x_scale) * double(w_scale)), cfg.ppu_mult_bits);
      const int sh = f.shift - cfg.ppu_frac_bits;
      const i128 p = i128(acc) * f.mult;
      i128 y = 0;
      if (sh > 0)
        y = (p + (i128(1) << (sh - 1))) >> sh;
      const i128 hi = INT32_MAX, lo = INT32_MIN;
      if (sh <= 0) y = -sh > 40 ? (p > 0 ? hi + 1 : p < 0 ? lo - 1 : 0) : p * (i128(1) << -sh);
      const int64_t yi = int64_t(y > hi ? hi : y < lo ? lo : y);
      return float(std::ldexp(double(yi), -cfg.ppu_frac_bits));
    }
  }
  return 0.f;
}

// ---- KV cache

void store_kv(float* kv, int64_t rows, int64_t heads, int64_t head_dim, int kv_bits) {
  const int64_t n = rows * heads * head_dim;
  if (kv_bits == 32) return;
  if (kv_bits == 16) {
    for (int64_t i = 0; i < n; ++i) kv[i] = round_to_fp16(kv[i]);
    return;
  }
  if (kv_bits != 8 && kv_bits != 4) fail("", "kv_bits", "must be 32, 16, 8 or 4");
  const float qmax = float((1 << (kv_bits - 1)) - 1);
  for (int64_t r = 0; r < rows * heads; ++r) {
    float* v = kv + r * head_dim;
    float amax = 0.f;
    for (int64_t d = 0; d < head_dim; ++d) amax = std::max(amax, std::fabs(v[d]));
    const float s = qmax / std::max(amax, quant::kScaleEps);
    for (int64_t d = 0; d < head_dim; ++d) v[d] = float(clamp_round(v[d] * s, -qmax - 1, qmax)) / s;
  }
}

}  // namespace abacus::accel
