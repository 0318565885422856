// BitLinearPacked under an accelerator configuration (--accel): the same norm, then the
// configured activation quantizer, the chunked accumulator and the PPU rescale of
// src/accel/accel_arith.h. Kept apart from the reference forward in bitlinear.cpp.
#include <cmath>
#include <vector>

#include "src/accel/accel_arith.h"
#include "src/nn/bitlinear.h"
#include "src/nn/bitlinear_accel.h"
#include "src/nn/layernorm.h"
#include "src/nn/rmsnorm.h"
#include "src/quant/ternary_gemm.h"
#include "src/util/error.h"

namespace abacus::nn {

void BitLinearPacked::forward_accel(const accel::ArithConfig& cfg, float* y, const float* x, int64_t rows,
                                    const BitLinearObserver* observer, const std::string& name) const {
  const int64_t K = spec_.in, N = spec_.out;
  if (spec_.shift_input)
    fail("", "accel", "the shifted [0, Q_b] activation form has no accelerator datapath model");
  const bool rotate = accel::uses_hadamard(cfg, spec_.accel_role);
  if (rotate && packed_rotated_.N != N)
    fail("", "hadamard", "the model was built before the accelerator configuration was set");
  const quant::PackedTernary& packed = rotate ? packed_rotated_ : packed_;
  const std::vector<float>& w_scale = rotate ? w_scale_rotated_ : w_scale_;

  std::vector<float> xn(static_cast<size_t>(rows * K)), rstd(static_cast<size_t>(rows));
  const float* gain = norm_weight_.empty() ? nullptr : norm_weight_.data();
  if (spec_.norm == NormKind::layernorm) {
    std::vector<float> mean(static_cast<size_t>(rows));
    layernorm_forward(xn.data(), mean.data(), rstd.data(), x, gain, static_cast<const float*>(nullptr), rows, K,
                      spec_.norm_eps);
  } else {
    rmsnorm_forward(xn.data(), rstd.data(), x, gain, rows, K, spec_.norm_eps);
  }
  std::vector<int8_t> xq(static_cast<size_t>(rows * K));
  std::vector<float> xs(static_cast<size_t>(rows));
  accel::quantize_activations_for(cfg, spec_.accel_role, xn.data(), rows, K, xq.data(), xs.data());

  std::vector<int32_t> acc(static_cast<size_t>(rows * N));
  std::vector<int8_t> wq;
  if (accel::accumulation_is_exact(xq.data(), rows * K, K, cfg)) {
    quant::ternary_gemm(xq.data(), packed, acc.data(), rows);  // no chunk order can overflow: exact
  } else {
    wq.resize(static_cast<size_t>(N * K));
    quant::unpack_ternary(packed, wq.data());
    accel::accel_gemm(xq.data(), wq.data(), acc.data(), rows, K, N, cfg);
  }
  const int64_t rows_per_group = N / spec_.weight_groups;
  for (int64_t t = 0; t < rows; ++t)
    for (int64_t n = 0; n < N; ++n)
      y[t * N + n] = accel::ppu_rescale(acc[size_t(t * N + n)], xs[size_t(t)], w_scale[size_t(n / rows_per_group)], cfg);
  if (observer && *observer) {
    if (wq.empty()) {
      wq.resize(static_cast<size_t>(N * K));
      quant::unpack_ternary(packed, wq.data());
    }
    BitLinearRecord rec{name, rows, K, N, 1, xq.data(), xs.data(), wq.data(), w_scale.data(), acc.data(), y,
                        spec_.weight_groups, nullptr};
    (*observer)(rec);
  }
}

}  // namespace abacus::nn

// ---- training forward under --accel (fake quantization, STE backward unchanged)
namespace abacus::nn {

template <class T>
void accel_quantize_input(const accel::ArithConfig& cfg, accel::ProjRole role, T* x_tilde, int64_t rows, int64_t K,
                          std::vector<float>& x_scale) {
  if (accel::uses_hadamard(cfg, role))
    fail("", "hadamard", "train --accel does not model the Hadamard transform (its weight rotation needs its own "
                         "backward); train without it");
  std::vector<float> xf(x_tilde, x_tilde + rows * K);
  std::vector<int8_t> xq(static_cast<size_t>(rows * K));
  x_scale.assign(size_t(rows), 0.f);
  accel::quantize_activations_for(cfg, role, xf.data(), rows, K, xq.data(), x_scale.data());
  for (int64_t t = 0; t < rows; ++t)
    for (int64_t k = 0; k < K; ++k) x_tilde[t * K + k] = T(float(xq[size_t(t * K + k)]) / x_scale[size_t(t)]);
}

template <class T>
void accel_rescale_outputs(const accel::ArithConfig& cfg, T* y, const std::vector<float>& x_scale,
                           const float* w_scale, int64_t rows, int64_t N, int64_t groups) {
  // y = x~ W~^T = acc / (x_scale w_scale) up to float rounding: recover the integer acc, then
  // rescale it as the PPU does.
  const int64_t per_group = N / groups;
  for (int64_t t = 0; t < rows; ++t)
    for (int64_t n = 0; n < N; ++n) {
      const float xs = x_scale[size_t(t)], ws = w_scale[n / per_group];
      const double acc = std::nearbyint(double(y[t * N + n]) * double(xs) * double(ws));
      y[t * N + n] = T(accel::ppu_rescale(int32_t(acc), xs, ws, cfg));
    }
}

template void accel_quantize_input<float>(const accel::ArithConfig&, accel::ProjRole, float*, int64_t, int64_t,
                                          std::vector<float>&);
template void accel_quantize_input<double>(const accel::ArithConfig&, accel::ProjRole, double*, int64_t, int64_t,
                                           std::vector<float>&);
template void accel_rescale_outputs<float>(const accel::ArithConfig&, float*, const std::vector<float>&, const float*,
                                           int64_t, int64_t, int64_t);
template void accel_rescale_outputs<double>(const accel::ArithConfig&, double*, const std::vector<float>&,
                                            const float*, int64_t, int64_t, int64_t);

}  // namespace abacus::nn
