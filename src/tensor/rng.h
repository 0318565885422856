// Deterministic random numbers: xoshiro256** seeded by splitmix64. Bit-reproducible across
// runs and machines for the integer stream and uniform(); normal() uses Box-Muller with
// std::log/std::cos (reproducible on the same libm). No cached second normal, so the four
// state words are the whole state: save them with state()/to_string() for exact resume.
#pragma once
#include <array>
#include <cstdint>
#include <string>

namespace abacus::tensor {

class Rng {
 public:
  explicit Rng(uint64_t seed = 0) { seed_with(seed); }
  void seed_with(uint64_t seed);

  uint64_t next_u64();
  uint32_t next_u32() { return uint32_t(next_u64() >> 32); }
  float uniform();                          // [0, 1), 24 random bits
  double uniform_double();                  // [0, 1), 53 random bits
  float normal(float mean = 0.f, float stddev = 1.f);
  uint64_t below(uint64_t n);               // uniform integer in [0, n), n > 0 (unbiased)

  void fill_uniform(float* out, int64_t n, float lo, float hi);
  void fill_normal(float* out, int64_t n, float mean, float stddev);

  std::array<uint64_t, 4> state() const { return s_; }
  void set_state(const std::array<uint64_t, 4>& s) { s_ = s; }
  // "xoshiro256**:<16 hex digits>x4", parsed back by from_string (abacus::Error if malformed).
  std::string to_string() const;
  static Rng from_string(const std::string& text);

 private:
  std::array<uint64_t, 4> s_{};
};

}  // namespace abacus::tensor
