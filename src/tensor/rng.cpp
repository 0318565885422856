#include "src/tensor/rng.h"

#include <cmath>
#include <cstdio>

#include "src/util/error.h"

namespace abacus::tensor {
namespace {

uint64_t splitmix64(uint64_t& x) {
  uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

void Rng::seed_with(uint64_t seed) {
  uint64_t x = seed;
  for (auto& w : s_) w = splitmix64(x);
}

uint64_t Rng::next_u64() {
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

float Rng::uniform() { return float(next_u64() >> 40) * (1.0f / 16777216.0f); }
double Rng::uniform_double() { return double(next_u64() >> 11) * (1.0 / 9007199254740992.0); }

float Rng::normal(float mean, float stddev) {
  // Box-Muller on (0,1] x [0,1); the second variate is dropped so the state stays four words.
  const double u1 = 1.0 - uniform_double();
  const double u2 = uniform_double();
  const double z = std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  return float(mean + stddev * z);
}

uint64_t Rng::below(uint64_t n) {
  if (n == 0) fail("", "rng", "below(0)");
  const uint64_t limit = UINT64_MAX - UINT64_MAX % n;  // reject the top partial bucket
  for (;;) {
    uint64_t v = next_u64();
    if (v < limit) return v % n;
  }
}

void Rng::fill_uniform(float* out, int64_t n, float lo, float hi) {
  for (int64_t i = 0; i < n; ++i) out[i] = lo + (hi - lo) * uniform();
}
void Rng::fill_normal(float* out, int64_t n, float mean, float stddev) {
  for (int64_t i = 0; i < n; ++i) out[i] = normal(mean, stddev);
}

std::string Rng::to_string() const {
  char buf[128];
  std::snprintf(buf, sizeof buf, "xoshiro256**:%016llx%016llx%016llx%016llx", (unsigned long long)s_[0],
                (unsigned long long)s_[1], (unsigned long long)s_[2], (unsigned long long)s_[3]);
  return buf;
}

Rng Rng::from_string(const std::string& text) {
  const std::string prefix = "xoshiro256**:";
  if (text.size() != prefix.size() + 64 || text.compare(0, prefix.size(), prefix) != 0)
    fail("", "rng_state", "expected \"xoshiro256**:\" followed by 64 hex digits, got \"" + text + "\"");
  Rng r;
  std::array<uint64_t, 4> s{};
  for (int w = 0; w < 4; ++w) {
    uint64_t v = 0;
    for (int i = 0; i < 16; ++i) {
      char c = text[prefix.size() + w * 16 + i];
      int d = (c >= '0' && c <= '9') ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
      if (d < 0) fail("", "rng_state", "not a hex digit in \"" + text + "\"");
      v = (v << 4) | uint64_t(d);
    }
    s[w] = v;
  }
  if ((s[0] | s[1] | s[2] | s[3]) == 0) fail("", "rng_state", "all-zero xoshiro state");
  r.set_state(s);
  return r;
}

}  // namespace abacus::tensor
