#include "energy/ternary_zeros.h"

#include <algorithm>

#include "src/quant/weight_quant.h"
#include "src/util/error.h"

namespace abacus::energy {

ZeroCount& ZeroCount::operator+=(const ZeroCount& o) {
  zeros += o.zeros;
  weights += o.weights;
  tensors += o.tensors;
  tensor_names.insert(tensor_names.end(), o.tensor_names.begin(), o.tensor_names.end());
  return *this;
}

ZeroCount ternary_zeros(const float* W, int64_t N, int64_t K, bool median) {
  if (N <= 0 || K <= 0) fail("", "weights", "tensor must have positive shape");
  std::vector<int8_t> q(static_cast<std::size_t>(N * K));
  float scale = 0;
  quant::quantize_weights(median ? quant::WeightQuant::ternary_absmedian : quant::WeightQuant::ternary_absmean, W, N,
                          K, 1, q.data(), &scale);
  ZeroCount c;
  c.zeros = std::count(q.begin(), q.end(), int8_t{0});
  c.weights = N * K;
  c.tensors = 1;
  return c;
}

bool is_bitlinear_weight_name(const std::string& name) {
  for (const char* skip : {"embed", "norm", "lm_head", "wte", "wpe"})
    if (name.find(skip) != std::string::npos) return false;
  return true;
}

}  // namespace abacus::energy
