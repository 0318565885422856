#include "src/eval/sampler.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace abacus::eval {

int32_t sample_token(const float* logits, int64_t V, double temperature, int64_t top_k, tensor::Rng& rng) {
  if (temperature <= 0.0) return int32_t(std::max_element(logits, logits + V) - logits);
  std::vector<int32_t> idx(static_cast<size_t>(V));
  std::iota(idx.begin(), idx.end(), 0);
  const int64_t k = top_k > 0 ? std::min(top_k, V) : V;
  std::partial_sort(idx.begin(), idx.begin() + k, idx.end(),
                    [&](int32_t a, int32_t b) { return logits[a] > logits[b] || (logits[a] == logits[b] && a < b); });
  std::vector<double> p(static_cast<size_t>(k));
  const double mx = logits[idx[0]];
  double sum = 0.0;
  for (int64_t i = 0; i < k; ++i) sum += p[size_t(i)] = std::exp((logits[idx[size_t(i)]] - mx) / temperature);
  double u = rng.uniform_double() * sum;
  for (int64_t i = 0; i < k; ++i) {
    u -= p[size_t(i)];
    if (u < 0) return idx[size_t(i)];
  }
  return idx[size_t(k - 1)];
}

}  // namespace abacus::eval
