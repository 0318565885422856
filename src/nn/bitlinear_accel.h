// The training forward's hooks for --accel (bitlinear_accel.cpp): the configured activation
// quantizer (fake-quantized in place: x~ = x_q / x_scale) and the PPU rescale of the outputs.
// The backward is the STE of bitlinear.h, unchanged.
#pragma once
#include <cstdint>
#include <vector>

#include "src/accel/accel_arith.h"

namespace abacus::nn {

template <class T>
void accel_quantize_input(const accel::ArithConfig& cfg, accel::ProjRole role, T* x_tilde, int64_t rows, int64_t K,
                          std::vector<float>& x_scale);
template <class T>
void accel_rescale_outputs(const accel::ArithConfig& cfg, T* y, const std::vector<float>& x_scale,
                           const float* w_scale, int64_t rows, int64_t N, int64_t groups);

}  // namespace abacus::nn
