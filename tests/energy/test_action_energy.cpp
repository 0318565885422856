// The simulator-facing API on hand-computed action counts.
#include <catch2/catch.hpp>

#include "energy/action_energy.h"
#include "src/util/error.h"

using namespace abacus::energy;

TEST_CASE("action counts times per-action energy, per component", "[energy][actions]") {
  const TechTable t = TechTable::load("7nm");
  ActionCounts n;
  n.add(Precision::int32) = 100;    // 100 x 0.03 = 3 pJ
  n.mul(Precision::fp32) = 10;      // 10 x 1.31 = 13.1 pJ
  n.skipped_adds = 50;              // would have cost 50 x 0.03 = 1.5 pJ
  n.register_read_bytes = 600;      // 1000 x 0.007 = 7 pJ
  n.register_write_bytes = 400;
  n.sram.push_back({"weight", 8, 64, 0});  // 4.2 pJ per 64-bit access: 64 B = 8 accesses = 33.6 pJ
  n.dram_bytes = 10;                 // 80 bits x 20.3 = 1624 pJ
  n.ppu_ops = 2;                     // 2 x (1.31 + 0.38) = 3.38 pJ
  n.vector_ops = 1;                  // 1.69 pJ
  const EnergyBreakdown e = action_energy(n, t);
  CHECK(e.of("adders") == Approx(3));
  CHECK(e.of("multipliers") == Approx(13.1));
  CHECK(e.of("registers") == Approx(7));
  CHECK(e.of("sram.weight") == Approx(33.6));
  CHECK(e.of("sram") == Approx(33.6));
  CHECK(e.of("dram") == Approx(1624));
  CHECK(e.of("ppu") == Approx(3.38));
  CHECK(e.of("vector") == Approx(1.69));
  CHECK(e.total_pj == Approx(3 + 13.1 + 7 + 33.6 + 1624 + 3.38 + 1.69));
  CHECK(e.gating_saved_pj == Approx(1.5));

  // Merging and scaling.
  ActionCounts twice = n;
  twice += n;
  CHECK(twice.sram.size() == 1);
  CHECK(action_energy(twice, t).total_pj == Approx(2 * e.total_pj));
  CHECK(action_energy(n.scaled(3), t).total_pj == Approx(3 * e.total_pj));
  ActionCounts other;
  other.sram.push_back({"weight", 16, 1, 0});
  CHECK_THROWS_AS(twice += other, abacus::Error);
}

TEST_CASE("area helpers", "[energy][area]") {
  const TechTable t = TechTable::load("45nm");
  CHECK(adder_area_mm2(t, 32) == Approx(32 * 4.28e-6));
  CHECK(multiplier_area_mm2(t, Precision::int8, 2) == Approx(2 * 282e-6));
  CHECK(sram_area_mm2(t, 64) == Approx(64 * 0.0057));
}
