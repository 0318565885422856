// Operation counts of a tiny model, counted by hand (Eqs. 16-18).
#include <catch2/catch.hpp>

#include "energy/matmul_energy.h"
#include "energy/op_count.h"
#include "src/util/error.h"
#include "tests/energy/tiny_shape.h"

using namespace abacus::energy;

namespace {

double at(const std::array<double, kPrecisions>& a, Precision p) { return a[static_cast<std::size_t>(p)]; }

}  // namespace

TEST_CASE("prefill workload lists the per-layer products", "[energy][count]") {
  const Workload w = prefill_workload(tiny_shape(false), 3);
  REQUIRE(w.gemms.size() == 9);
  CHECK(w.gemms[1].name == "attn.k");
  CHECK(w.gemms[1].p == 4);  // kv_dim
  CHECK(w.gemms[7].name == "attn.scores");
  CHECK(w.gemms[7].count == 4);  // layers x heads
  CHECK(w.gemms[8].n == 3);      // A V reduces over the 3 tokens
  CHECK(tiny_shape(false).linear_params_per_layer() == 8 * 8 * 2 + 8 * 4 * 2 + 8 * 16 * 3);
}

TEST_CASE("full-precision counts: m(n-1)p adds and mnp muls", "[energy][count]") {
  const ActionCounts c = count_matmul_ops(prefill_workload(tiny_shape(false), 3), CountingRules{});
  // Linear per layer: adds 168+84+84+168+336+336+360 = 1536, muls 1728; x2 layers.
  // Attention: scores 3*3*3 x4 = 108 adds, 144 muls; values 3*2*4 x4 = 96 adds, 144 muls.
  CHECK(at(c.adds, Precision::fp16) == 3276);
  CHECK(at(c.muls, Precision::fp16) == 3744);
  CHECK(at(c.adds, Precision::int8) == 0);
  CountingRules r32;
  r32.fp = Precision::fp32;
  const ActionCounts c32 = count_matmul_ops(prefill_workload(tiny_shape(false), 3), r32);
  CHECK(at(c32.adds, Precision::fp32) == 3276);
  CHECK(at(c32.muls, Precision::fp32) == 3744);
}

TEST_CASE("BitNet counts: INT8 adds, (mp + mn) rescale muls, FP16 attention", "[energy][count]") {
  const Workload w = prefill_workload(tiny_shape(true), 3);
  const ActionCounts c = count_matmul_ops(w, CountingRules{});
  CHECK(at(c.adds, Precision::int8) == 3072);
  CHECK(at(c.adds, Precision::fp16) == 204);
  // Rescales per layer: q 48, k 36, v 36, o 48, gate 72, up 72, down 72 = 384; x2 + attention 288.
  CHECK(at(c.muls, Precision::fp16) == 1056);
  CHECK(c.skipped_adds == 0);

  CountingRules gated;
  gated.gated_zero_fraction = 0.25;
  gated.bitnet_add = Precision::int32;
  const ActionCounts g = count_matmul_ops(w, gated);
  CHECK(at(g.adds, Precision::int32) == 2304);
  CHECK(g.skipped_adds == 768);
  CHECK(at(g.adds, Precision::int8) == 0);

  CountingRules bad;
  bad.gated_zero_fraction = 1.5;
  CHECK_THROWS_AS(count_matmul_ops(w, bad), abacus::Error);
}

TEST_CASE("decode workload: one token against the cached context", "[energy][count]") {
  const Workload w = decode_workload(tiny_shape(false), 5);
  CHECK(w.tokens == 1);
  CHECK(w.context == 6);
  const ActionCounts c = count_matmul_ops(w, CountingRules{});
  // Linear: (n-1)p per product: 56+28+28+56+112+112+120 = 512, x2 layers = 1024.
  // Scores: 1 x 3 x 6, values 1 x 5 x 4, each x4 (layers x heads): 72 + 80.
  CHECK(at(c.adds, Precision::fp16) == 1024 + 72 + 80);
}

TEST_CASE("matmul energy of a hand-built (trace-like) workload", "[energy][count]") {
  Workload w;
  w.bitnet = true;
  w.tokens = 2;
  w.gemms.push_back({"layers.0.attn.q", GemmKind::linear, 2, 4, 3, 1});
  w.zero_fraction = 0.5;
  const TechTable t = TechTable::load("7nm");
  const MatmulEnergy e = matmul_energy(w, t, 32);
  // 2*3*3 = 18 adds; rescales 2*3 + 2*4 = 14 FP16 muls (0.34 pJ) = 4.76 pJ.
  CHECK(e.linear_paper == Approx((18 * 0.007 + 4.76) * 1e-12));
  CHECK(e.linear_accumulator == Approx((18 * 0.03 + 4.76) * 1e-12));
  CHECK(e.linear_gated == Approx((9 * 0.03 + 4.76) * 1e-12));
  CHECK(e.attention == 0);
  CHECK_THROWS_AS(matmul_energy(w, t, 8), abacus::Error);
}
