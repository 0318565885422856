// The one rounding rule of every quantizer: round half to even (as torch.round), done with
// std::nearbyint under the default FE_TONEAREST mode (abacus never changes the FP environment).
#pragma once
#include <cmath>

namespace abacus::quant {

inline float round_half_even(float v) { return std::nearbyint(v); }

// Denominator floor of every absmax/absmean/median scale (the authors' 1e-5).
constexpr float kScaleEps = 1e-5f;

}  // namespace abacus::quant
