// The papers' energy tables, recomputed cell by cell (papers.md section 5).
#include <catch2/catch.hpp>
#include <cmath>

#include "energy/paper_tables.h"

using namespace abacus::energy;

namespace {

const std::vector<PaperCell>& cells() {
  static const std::vector<PaperCell> c = paper_cells(TechTable::load("7nm"), TechTable::load("45nm"));
  return c;
}

double round_to(double v, int decimals) {
  const double k = std::pow(10.0, decimals);
  return std::round(v * k) / k;
}

}  // namespace

TEST_CASE("2310.11453 Table 1: every Transformer cell equals the printed value", "[energy][paper]") {
  int n = 0;
  for (const auto& c : cells()) {
    if (c.table != "2310.11453-T1" || c.model != "Transformer") continue;
    ++n;
    INFO(c.size << " " << c.bits << "-bit " << c.node << " " << c.op << ": model " << c.value << " paper " << c.paper);
    CHECK(round_to(c.value, c.decimals) == Approx(c.paper).margin(1e-9));
  }
  CHECK(n == 24);
}

TEST_CASE("2310.11453 Table 1: BitNet cells within the printed rounding, two known differences",
          "[energy][paper]") {
  int n = 0;
  for (const auto& c : cells()) {
    if (c.table != "2310.11453-T1" || c.model != "BitNet") continue;
    ++n;
    INFO(c.size << " " << c.node << " " << c.op << ": model " << c.value << " paper " << c.paper);
    if (c.node == "7nm" && c.op == "ADD" && c.size == "6.7B") {
      // papers.md: no accounting that matches the Transformer rows gives 0.04 here.
      CHECK(!c.within_rounding());
      CHECK(round_to(c.value, 3) == Approx(0.034).margin(1e-9));
    } else if (c.node == "7nm" && c.op == "ADD" && c.size == "30B") {
      // 0.13478 J (0.1349 with one add per MAC): short of rounding up to the printed 0.14.
      CHECK(!c.within_rounding());
      CHECK(round_to(c.value, 4) == Approx(0.1348).margin(1e-9));
    } else {
      CHECK(c.within_rounding());
    }
  }
  CHECK(n == 12);
}

TEST_CASE("2402.17764: 71.4x arithmetic saving at 7nm", "[energy][paper]") {
  bool found = false;
  for (const auto& c : cells()) {
    if (c.table != "2402.17764-F3") continue;
    found = true;
    CHECK(round_to(c.value, 1) == Approx(71.4).margin(1e-9));
  }
  CHECK(found);
}

TEST_CASE("2504.12285 Table 1: the six 7nm energies equal the printed values", "[energy][paper]") {
  int n = 0;
  for (const auto& c : cells()) {
    if (c.table != "2504.12285-T1") continue;
    ++n;
    INFO(c.model << ": model " << c.value << " paper " << c.paper);
    CHECK(round_to(c.value, 3) == Approx(c.paper).margin(1e-9));
  }
  CHECK(n == 6);
}
