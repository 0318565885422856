// Central finite differences in double precision for the layer gradient tests.
#pragma once
#include <catch2/catch.hpp>

#include <cstdint>
#include <functional>
#include <random>
#include <vector>

namespace abacus::test {

inline std::vector<double> random_vector(size_t n, std::mt19937& gen, double lo = -1.0, double hi = 1.0) {
  std::uniform_real_distribution<double> d(lo, hi);
  std::vector<double> v(n);
  for (auto& x : v) x = d(gen);
  return v;
}

// Checks analytic[i] == d loss / d p[i] for every i, perturbing p in place (restored after).
inline void check_gradient(const char* what, std::vector<double>& p, const std::vector<double>& analytic,
                           const std::function<double()>& loss, double h = 1e-6, double rel = 1e-6) {
  REQUIRE(p.size() == analytic.size());
  for (size_t i = 0; i < p.size(); ++i) {
    const double saved = p[i];
    p[i] = saved + h;
    const double lp = loss();
    p[i] = saved - h;
    const double lm = loss();
    p[i] = saved;
    const double numeric = (lp - lm) / (2 * h);
    INFO(what << "[" << i << "]");
    CHECK(analytic[i] == Approx(numeric).epsilon(rel).margin(1e-7));
  }
}

inline double dot(const std::vector<double>& a, const std::vector<double>& b) {
  double s = 0;
  for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
  return s;
}

}  // namespace abacus::test
