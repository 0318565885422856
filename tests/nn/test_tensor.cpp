// RNG reproducibility and exact resume; the thread pool covers ranges once and rethrows.
#include <catch2/catch.hpp>

#include <atomic>
#include <cmath>
#include <stdexcept>
#include <vector>

#include "src/tensor/buffer.h"
#include "src/tensor/parallel.h"
#include "src/tensor/rng.h"
#include "src/util/error.h"

using namespace abacus;
using namespace abacus::tensor;

TEST_CASE("Rng is deterministic and resumes exactly from its saved state", "[rng]") {
  Rng a(42), b(42), c(43);
  for (int i = 0; i < 10; ++i) {
    const uint64_t va = a.next_u64();
    CHECK(va == b.next_u64());
    CHECK(va != c.next_u64());
  }
  const std::string saved = a.to_string();
  std::vector<float> first(100), second(100);
  a.fill_normal(first.data(), 100, 0.f, 1.f);
  Rng resumed = Rng::from_string(saved);
  resumed.fill_normal(second.data(), 100, 0.f, 1.f);
  CHECK(first == second);
  CHECK_THROWS_AS(Rng::from_string("xoshiro256**:12"), Error);
  CHECK_THROWS_AS(Rng::from_string("mt19937:" + std::string(64, '0')), Error);
}

TEST_CASE("Rng distributions have the right moments and ranges", "[rng]") {
  Rng r(7);
  const int n = 200000;
  double s = 0, s2 = 0;
  for (int i = 0; i < n; ++i) {
    const double z = r.normal(1.f, 2.f);
    s += z;
    s2 += z * z;
  }
  const double mean = s / n, var = s2 / n - mean * mean;
  CHECK(mean == Approx(1.0).margin(0.03));
  CHECK(std::sqrt(var) == Approx(2.0).margin(0.03));
  for (int i = 0; i < 1000; ++i) {
    const float u = r.uniform();
    CHECK(u >= 0.f);
    CHECK(u < 1.f);
    CHECK(r.below(7) < 7);
  }
}

TEST_CASE("parallel_for covers the range exactly once and rethrows", "[parallel]") {
  std::vector<std::atomic<int>> hits(1000);
  parallel_for(0, 1000, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i) hits[size_t(i)]++;
  });
  for (auto& h : hits) CHECK(h.load() == 1);
  CHECK_THROWS_AS(parallel_for(0, 100, 1, [](int64_t lo, int64_t) {
                    if (lo > 0) throw std::runtime_error("boom");
                    if (num_threads() == 1) throw std::runtime_error("boom");
                  }),
                  std::runtime_error);
  // Nested use runs serially instead of deadlocking.
  std::atomic<int64_t> total{0};
  parallel_for(0, 8, 1, [&](int64_t lo, int64_t hi) {
    for (int64_t i = lo; i < hi; ++i)
      parallel_for(0, 10, 1, [&](int64_t a, int64_t b) { total += b - a; });
  });
  CHECK(total.load() == 80);
}

TEST_CASE("Buffer storage is 64-byte aligned", "[buffer]") {
  Floats f(33);
  CHECK(reinterpret_cast<uintptr_t>(f.data()) % 64 == 0);
}

TEST_CASE("resizing the thread pool after jobs have run keeps parallel_for exact", "[parallel]") {
  // Workers started by a resize once replayed the previous job (a null job pointer).
  for (int threads : {2, 3, 1, 4, 2}) {
    set_num_threads(threads);
    std::vector<std::atomic<int>> hits(500);
    parallel_for(0, 500, 1, [&](int64_t lo, int64_t hi) {
      for (int64_t i = lo; i < hi; ++i) hits[size_t(i)]++;
    });
    for (auto& h : hits) REQUIRE(h.load() == 1);
  }
}
