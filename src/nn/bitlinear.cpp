#include "src/nn/bitlinear.h"

#include <algorithm>
#include <type_traits>
#include <cmath>
#include <string>
#include <vector>

#include "src/nn/bitlinear_accel.h"
#include "src/nn/layernorm.h"
#include "src/nn/rmsnorm.h"
#include "src/quant/rounding.h"
#include "src/quant/ternary_gemm.h"
#include "src/quant/weight_quant.h"
#include "src/tensor/matmul.h"
#include "src/tensor/parallel.h"
#include "src/util/error.h"

namespace abacus::nn {

BitLinearSpec BitLinearSpec::for_model(const ModelConfig& config, int64_t in, int64_t out) {
  BitLinearSpec s;
  s.in = in;
  s.out = out;
  s.quant = config.quant;
  s.weight_groups = config.quant_groups;
  s.norm_eps = config.rms_norm_eps;
  if (config.quant == Quant::b1) {
    s.norm = NormKind::layernorm;
    s.train_act_scope = quant::ActScope::per_tensor;
  } else {
    s.norm = NormKind::rmsnorm;
    s.train_act_scope = quant::ActScope::per_token;
  }
  return s;
}

namespace {

void check_spec(const BitLinearSpec& s) {
  if (s.in <= 0 || s.out <= 0) fail("", "BitLinear", "in and out features must be positive");
  if (s.weight_groups < 1 || s.out % s.weight_groups != 0)
    fail("", "quant_groups", std::to_string(s.weight_groups) + " must divide the " + std::to_string(s.out) +
                                 " outputs of a BitLinear");
  if (s.train_act_scope == quant::ActScope::per_group)
    fail("", "BitLinear", "activation groups along K are not supported inside BitLinear (weights group along N)");
}

// norm(x) * gain into out; mean may be null for RMSNorm.
template <class T>
void apply_norm(const BitLinearSpec& s, T* out, T* mean, T* rstd, const T* x, const T* gain, int64_t rows) {
  if (s.norm == NormKind::layernorm) {
    if (!mean) fail("", "BitLinear", "LayerNorm needs a saved mean buffer");
    layernorm_forward(out, mean, rstd, x, gain, static_cast<const T*>(nullptr), rows, s.in, s.norm_eps);
  } else {
    rmsnorm_forward(out, rstd, x, gain, rows, s.in, s.norm_eps);
  }
}

QuantOffsetFreeze* g_freeze = nullptr;

// Record: offsets = quantized - unquantized, for x~ (from xn) and W~ (from the latent W).
// Replay: x~ = xn + offset, W~ = W + offset.
template <class T>
void freeze_offsets(QuantOffsetFreeze& f, const std::vector<T>& xn, T* x_tilde, const T* w, T* w_tilde, int64_t xk,
                    int64_t nk) {
  if (f.mode == QuantOffsetFreeze::Mode::record) {
    std::vector<double> o(size_t(xk + nk));
    for (int64_t i = 0; i < xk; ++i) o[size_t(i)] = double(x_tilde[i]) - double(xn[size_t(i)]);
    for (int64_t i = 0; i < nk; ++i) o[size_t(xk + i)] = double(w_tilde[i]) - double(w[i]);
    f.offsets.push_back(std::move(o));
    return;
  }
  if (f.next >= f.offsets.size() || f.offsets[f.next].size() != size_t(xk + nk))
    fail("", "QuantOffsetFreeze", "replayed forward does not match the recorded BitLinear calls");
  const std::vector<double>& o = f.offsets[f.next++];
  for (int64_t i = 0; i < xk; ++i) x_tilde[i] = T(double(xn[size_t(i)]) + o[size_t(i)]);
  for (int64_t i = 0; i < nk; ++i) w_tilde[i] = T(double(w[i]) + o[size_t(xk + i)]);
}

}  // namespace

void set_quant_offset_freeze(QuantOffsetFreeze* freeze) { g_freeze = freeze; }

namespace {
// RMSNorm and the per-token absmax quantizer in one pass over each row (the row stays in
// cache). The arithmetic is exactly rmsnorm_forward's followed by quantize_activations' and
// dequantize_activations' (same expressions, same order), so the bits equal the unfused path.
void rmsnorm_quantize_rows(float* x_tilde, float* rstd, int8_t* x_q, float* x_scale, const float* x,
                           const float* gain, int64_t rows, int64_t K, double eps) {
  tensor::parallel_for(0, rows, 8, [&](int64_t r0, int64_t r1) {
    for (int64_t r = r0; r < r1; ++r) {
      const float* xr = x + r * K;
      float* xn = x_tilde + r * K;
      double ss = 0;
      for (int64_t c = 0; c < K; ++c) ss += double(xr[c]) * double(xr[c]);
      const float rs = float(1.0 / std::sqrt(ss / double(K) + eps));
      rstd[r] = rs;
      float amax = 0.f;
      for (int64_t c = 0; c < K; ++c) {
        xn[c] = xr[c] * rs * (gain ? gain[c] : 1.f);
        amax = std::max(amax, std::fabs(xn[c]));
      }
      const float s = 127.0f / std::max(amax, quant::kScaleEps);
      int8_t* q = x_q + r * K;
      for (int64_t c = 0; c < K; ++c) {
        const float v = quant::round_half_even(xn[c] * s);
        if (std::isnan(v)) fail("", "activations", "non-finite value reached the activation quantizer");
        q[c] = int8_t(std::clamp(v, -128.0f, 127.0f));
        xn[c] = float(q[c]) / s;
      }
      x_scale[r] = s;
    }
  });
}

// The BitNet training forward in float without a gradient-check freeze: the matmul of the
// quantized operands is done in integers, as the model is meant to run, instead of an fp32
// GEMM of their dequantized copies. Exact: acc = x_q . w_q^T (int32), then one rounding,
// y = float(acc) / (x_scale * w_scale), the formula of BitLinearPacked. x~ and W~ are still
// written for backward (STE). Three stages so another arithmetic (an accelerator emulation)
// can replace the middle one: quantize inputs and weights, integer product, rescale.
void bitlinear_forward_integer(const BitLinearSpec& spec, float* y, const float* x, const float* w_latent,
                               const float* gain, int64_t rows, const BitLinearSaved<float>& saved) {
  const int64_t K = spec.in, N = spec.out;
  const auto scope = spec.train_act_scope;
  const int64_t n_scales = quant::act_scale_count(scope, rows, 1);
  std::vector<int8_t> xq(static_cast<size_t>(rows * K));
  std::vector<float> xs(static_cast<size_t>(n_scales)), xo;
  // 1. Quantized inputs (fused with the norm where the scope is a row) and weights.
  if (spec.norm == NormKind::rmsnorm && scope == quant::ActScope::per_token && !spec.shift_input) {
    rmsnorm_quantize_rows(saved.x_tilde, saved.norm_rstd, xq.data(), xs.data(), x, gain, rows, K, spec.norm_eps);
  } else {
    apply_norm(spec, saved.x_tilde, saved.norm_mean, saved.norm_rstd, x, gain, rows);
    if (spec.shift_input) {
      xo.resize(size_t(n_scales));
      quant::quantize_activations_shifted(scope, saved.x_tilde, rows, K, 1, xq.data(), xs.data(), xo.data());
    } else {
      quant::quantize_activations(scope, saved.x_tilde, rows, K, 1, xq.data(), xs.data());
    }
    quant::dequantize_activations(scope, xq.data(), xs.data(), xo.empty() ? nullptr : xo.data(), rows, K, 1,
                                  saved.x_tilde);
  }
  std::vector<int8_t> wq(static_cast<size_t>(N * K));
  std::vector<float> ws(static_cast<size_t>(spec.weight_groups));
  quant::quantize_weights(quant::weight_quant_for(spec.quant), w_latent, N, K, spec.weight_groups, wq.data(),
                          ws.data());
  quant::dequantize_weights(wq.data(), ws.data(), N, K, spec.weight_groups, saved.w_tilde);
  // 2. Integer product.
  const quant::PackedTernary packed = quant::pack_ternary(wq.data(), N, K);
  std::vector<int32_t> acc(static_cast<size_t>(rows * N));
  quant::ternary_gemm(xq.data(), packed, acc.data(), rows);
  // 3. Rescale.
  std::vector<int32_t> row_sum;
  if (spec.shift_input) {
    row_sum.assign(size_t(N), 0);
    for (int64_t n = 0; n < N; ++n)
      for (int64_t k = 0; k < K; ++k) row_sum[size_t(n)] += wq[size_t(n * K + k)];
  }
  const int64_t rows_per_group = N / spec.weight_groups;
  const bool per_tensor = scope == quant::ActScope::per_tensor;
  tensor::parallel_for(0, rows, 16, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const size_t si = per_tensor ? 0 : size_t(t);
      for (int64_t n = 0; n < N; ++n) {
        const float w_s = ws[size_t(n / rows_per_group)];
        const float a = float(acc[size_t(t * N + n)]);
        y[t * N + n] = spec.shift_input ? (a / xs[si] + xo[si] * float(row_sum[size_t(n)])) / w_s
                                        : a / (xs[si] * w_s);
      }
    }
  });
}

}  // namespace

template <class T>
void bitlinear_forward(const BitLinearSpec& spec, T* y, const T* x, const T* w_latent, const T* norm_weight,
                       int64_t rows, const BitLinearSaved<T>& saved) {
  check_spec(spec);
  const int64_t K = spec.in, N = spec.out;
  const T* gain = spec.norm_weight ? norm_weight : nullptr;
  if constexpr (std::is_same_v<T, float>) {
    if (spec.quant != Quant::fp && !g_freeze) {
      bitlinear_forward_integer(spec, y, x, w_latent, gain, rows, saved);
      return;
    }
  }
  // fp, double precision (gradient checks) or a gradient-check freeze: fake quantization,
  // the forward sees the integer values times their scales through an fp GEMM.
  apply_norm(spec, saved.x_tilde, saved.norm_mean, saved.norm_rstd, x, gain, rows);
  const accel::ArithConfig* arith = spec.quant == Quant::fp ? nullptr : accel::active();
  std::vector<float> arith_xs, arith_ws;  // --accel: the scales the PPU rescales with
  if (spec.quant == Quant::fp) {
    for (int64_t i = 0; i < N * K; ++i) saved.w_tilde[i] = w_latent[i];
  } else {
    std::vector<T> xn;  // the unquantized norm output, kept only for a gradient-check freeze
    if (g_freeze) xn.assign(saved.x_tilde, saved.x_tilde + rows * K);
    const auto scope = spec.train_act_scope;
    const int64_t n_scales = quant::act_scale_count(scope, rows, 1);
    std::vector<int8_t> xq(static_cast<size_t>(rows * K));
    std::vector<float> xs(static_cast<size_t>(n_scales)), xo(static_cast<size_t>(n_scales));
    if (arith) {  // --accel: the configured activation quantizer (per token, as the hardware)
      if (spec.shift_input) fail("", "accel", "the shifted activation form has no accelerator datapath model");
      accel_quantize_input(*arith, spec.accel_role, saved.x_tilde, rows, K, arith_xs);
    } else if (spec.shift_input) {
      quant::quantize_activations_shifted(scope, saved.x_tilde, rows, K, 1, xq.data(), xs.data(), xo.data());
      quant::dequantize_activations(scope, xq.data(), xs.data(), xo.data(), rows, K, 1, saved.x_tilde);
    } else {
      quant::quantize_activations(scope, saved.x_tilde, rows, K, 1, xq.data(), xs.data());
      quant::dequantize_activations(scope, xq.data(), xs.data(), static_cast<const float*>(nullptr), rows, K, 1,
                                    saved.x_tilde);
    }
    std::vector<int8_t> wq(static_cast<size_t>(N * K));
    std::vector<float> ws(static_cast<size_t>(spec.weight_groups));
    quant::quantize_weights(quant::weight_quant_for(spec.quant), w_latent, N, K, spec.weight_groups, wq.data(),
                            ws.data());
    quant::dequantize_weights(wq.data(), ws.data(), N, K, spec.weight_groups, saved.w_tilde);
    if (g_freeze) freeze_offsets(*g_freeze, xn, saved.x_tilde, w_latent, saved.w_tilde, rows * K, N * K);
    if (arith) arith_ws = ws;
  }
  tensor::matmul_forward(y, saved.x_tilde, saved.w_tilde, static_cast<const T*>(nullptr), rows, K, N);
  if (arith) accel_rescale_outputs(*arith, y, arith_xs, arith_ws.data(), rows, N, spec.weight_groups);
}

template <class T>
void bitlinear_backward(const BitLinearSpec& spec, T* dx, T* dw, T* dnorm_weight, const T* dy, const T* x,
                        const T* norm_weight, int64_t rows, const BitLinearSaved<T>& saved) {
  check_spec(spec);
  const int64_t K = spec.in, N = spec.out;
  // STE: the gradient reaching x~ (resp. W~) passes to the norm output (resp. latent W) unchanged.
  std::vector<T> dxn(size_t(rows * K), T(0));
  tensor::matmul_backward(dxn.data(), dw, static_cast<T*>(nullptr), dy, saved.x_tilde, saved.w_tilde, rows, K, N);
  const T* gain = spec.norm_weight ? norm_weight : nullptr;
  T* dgain = spec.norm_weight ? dnorm_weight : nullptr;
  if (spec.norm == NormKind::layernorm)
    layernorm_backward(dx, dgain, static_cast<T*>(nullptr), dxn.data(), x, gain, saved.norm_mean, saved.norm_rstd,
                       rows, K);
  else
    rmsnorm_backward(dx, dgain, dxn.data(), x, gain, saved.norm_rstd, rows, K);
}

template void bitlinear_forward<float>(const BitLinearSpec&, float*, const float*, const float*, const float*,
                                       int64_t, const BitLinearSaved<float>&);
template void bitlinear_forward<double>(const BitLinearSpec&, double*, const double*, const double*, const double*,
                                        int64_t, const BitLinearSaved<double>&);
template void bitlinear_backward<float>(const BitLinearSpec&, float*, float*, float*, const float*, const float*,
                                        const float*, int64_t, const BitLinearSaved<float>&);
template void bitlinear_backward<double>(const BitLinearSpec&, double*, double*, double*, const double*,
                                         const double*, const double*, int64_t, const BitLinearSaved<double>&);

BitLinearPacked::BitLinearPacked(const BitLinearSpec& spec, const float* w_latent, const float* norm_weight)
    : spec_(spec) {
  check_spec(spec);
  if (spec.quant == Quant::fp) fail("", "quant", "BitLinearPacked needs a BitNet mode (b1, b1.58, b1.58-median)");
  const int64_t K = spec.in, N = spec.out;
  std::vector<int8_t> wq(static_cast<size_t>(N * K));
  w_scale_.resize(size_t(spec.weight_groups));
  quant::quantize_weights(quant::weight_quant_for(spec.quant), w_latent, N, K, spec.weight_groups, wq.data(),
                          w_scale_.data());
  packed_ = quant::pack_ternary(wq.data(), N, K);
  if (spec.norm_weight) {
    if (!norm_weight) fail("", "BitLinear", "norm weight missing");
    norm_weight_.assign(norm_weight, norm_weight + K);
  }
  row_sum_.assign(size_t(N), 0);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t k = 0; k < K; ++k) row_sum_[size_t(n)] += wq[size_t(n * K + k)];
  if (const accel::ArithConfig* a = accel::active(); a && accel::uses_hadamard(*a, spec.accel_role)) {
    std::vector<float> rotated(w_latent, w_latent + N * K);
    accel::hadamard_rows(rotated.data(), N, K);  // y = W x = (W H)(H x)
    w_scale_rotated_.resize(size_t(spec.weight_groups));
    quant::quantize_weights(quant::weight_quant_for(spec.quant), rotated.data(), N, K, spec.weight_groups, wq.data(),
                            w_scale_rotated_.data());
    packed_rotated_ = quant::pack_ternary(wq.data(), N, K);
  }
}

void BitLinearPacked::forward(float* y, const float* x, int64_t rows, const BitLinearObserver* observer,
                              const std::string& name) const {
  const int64_t K = spec_.in, N = spec_.out;
  if (packed_.N != N) fail("", "BitLinear", "forward on an empty BitLinearPacked");
  if (const accel::ArithConfig* a = accel::active()) {  // --accel: the configured datapath
    forward_accel(*a, y, x, rows, observer, name);
    return;
  }
  std::vector<float> xn(static_cast<size_t>(rows * K)), mean(static_cast<size_t>(rows)), rstd(static_cast<size_t>(rows));
  apply_norm(spec_, xn.data(), mean.data(), rstd.data(), x, norm_weight_.empty() ? nullptr : norm_weight_.data(),
             rows);
  std::vector<int8_t> xq(static_cast<size_t>(rows * K));
  std::vector<float> xs(static_cast<size_t>(rows)), xo;
  if (spec_.shift_input) {
    xo.resize(size_t(rows));
    quant::quantize_activations_shifted(quant::ActScope::per_token, xn.data(), rows, K, 1, xq.data(), xs.data(),
                                        xo.data());
  } else {
    quant::quantize_activations(quant::ActScope::per_token, xn.data(), rows, K, 1, xq.data(), xs.data());
  }
  std::vector<int32_t> acc(static_cast<size_t>(rows * N));
  quant::ternary_gemm(xq.data(), packed_, acc.data(), rows);
  const int64_t rows_per_group = N / spec_.weight_groups;
  for (int64_t t = 0; t < rows; ++t)
    for (int64_t n = 0; n < N; ++n) {
      const float ws = w_scale_[size_t(n / rows_per_group)];
      const float a = float(acc[size_t(t * N + n)]);
      if (spec_.shift_input)
        y[t * N + n] = (a / xs[size_t(t)] + xo[size_t(t)] * float(row_sum_[size_t(n)])) / ws;
      else
        y[t * N + n] = a / (xs[size_t(t)] * ws);
    }
  if (observer && *observer) {
    std::vector<int8_t> wq(static_cast<size_t>(N * K));
    quant::unpack_ternary(packed_, wq.data());
    BitLinearRecord rec{name, rows, K, N, 1, xq.data(), xs.data(), wq.data(), w_scale_.data(), acc.data(), y,
                        spec_.weight_groups, spec_.shift_input ? xo.data() : nullptr};
    (*observer)(rec);
  }
}

}  // namespace abacus::nn
