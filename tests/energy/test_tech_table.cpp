// Technology tables: the shipped files load, interpolation, and malformed files are clear errors.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <algorithm>
#include <cmath>

#include "energy/tech_table.h"
#include "src/util/error.h"

using namespace abacus::energy;
using nlohmann::json;

namespace {

json sourced(double v) { return {{"value", v}, {"source", "test"}}; }

json valid_table() {
  json ops;
  for (Precision p : all_precisions()) ops[precision_name(p)] = {{"add_pj", sourced(1)}, {"mul_pj", sourced(2)}};
  json mul;
  for (Precision p : all_precisions()) mul[precision_name(p)] = sourced(100);
  json points = json::array();
  points.push_back({{"kib", 8}, {"pj", sourced(10)}});
  points.push_back({{"kib", 32}, {"pj", sourced(20)}});
  json sram = {{"access_bits", 64}, {"points", points}};
  json area = {{"adder_um2_per_bit", sourced(4)}, {"multiplier_um2", mul}, {"sram_mm2_per_kib", sourced(0.005)}};
  json t = json::object();
  t["node"] = "test";
  t["ops"] = ops;
  t["sram"] = sram;
  t["dram_pj_per_bit"] = sourced(20);
  t["register_pj_per_byte"] = sourced(0.01);
  t["area"] = area;
  return t;
}

std::string error_of(const json& j) {
  try {
    TechTable::from_json_text(j.dump(), "bad.json");
  } catch (const abacus::Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("shipped tech tables load with the papers' values", "[energy][tech]") {
  const TechTable t45 = TechTable::load("45nm"), t7 = TechTable::load("7nm");
  CHECK(t45.add(Precision::int8) == 0.03);
  CHECK(t45.mul(Precision::fp32) == 3.7);
  CHECK(t45.add(Precision::int32) == 0.1);
  CHECK(t7.add(Precision::fp16) == 0.16);
  CHECK(t7.mul(Precision::int32) == 1.48);
  CHECK(t45.sram_access_pj(8) == Approx(10));
  CHECK(t45.sram_access_pj(32) == Approx(20));
  // Between 8 and 32 KiB: log-log interpolation, 16 KiB -> 10 * sqrt(2).
  CHECK(t45.sram_access_pj(16) == Approx(10 * std::sqrt(2.0)));
  CHECK(t45.sram_pj_per_byte(8) == Approx(10.0 / 8));
  for (const TechTable* t : {&t45, &t7}) {
    for (Precision p : all_precisions()) {
      CHECK(!t->add_pj[static_cast<std::size_t>(p)].source.empty());
      CHECK(!t->mul_pj[static_cast<std::size_t>(p)].source.empty());
    }
  }
  const auto nodes = TechTable::available_nodes();
  CHECK(std::find(nodes.begin(), nodes.end(), "7nm") != nodes.end());
  CHECK_THROWS_WITH(TechTable::load("3nm"), Catch::Contains("no technology table for node '3nm'"));
}

TEST_CASE("a valid table parses; malformed tables name file and field", "[energy][tech]") {
  const TechTable t = TechTable::from_json_text(valid_table().dump(), "ok.json");
  CHECK(t.node == "test");
  CHECK(t.mul(Precision::fp16) == 2);

  json j = valid_table();
  j["ops"].erase("FP16");
  CHECK_THAT(error_of(j), Catch::Contains("bad.json") && Catch::Contains("FP16") && Catch::Contains("missing"));

  j = valid_table();
  j["ops"]["INT8"]["add_pj"]["value"] = -1;
  CHECK_THAT(error_of(j), Catch::Contains("ops.INT8.add_pj.value") && Catch::Contains("positive"));

  j = valid_table();
  j["dram_pj_per_bit"].erase("source");
  CHECK_THAT(error_of(j), Catch::Contains("dram_pj_per_bit.source"));

  j = valid_table();
  j["sram"]["points"][1]["kib"] = 4;
  CHECK_THAT(error_of(j), Catch::Contains("increasing"));

  j = valid_table();
  j["dram_pj_per_bit"] = 20;
  CHECK_THAT(error_of(j), Catch::Contains("dram_pj_per_bit") && Catch::Contains("expected an object"));

  j = valid_table();
  j["typo"] = 1;
  CHECK_THAT(error_of(j), Catch::Contains("typo"));

  CHECK_THROWS_AS(TechTable::from_json_text("{\"node\": ", "trunc.json"), abacus::Error);
}

TEST_CASE("shipped nodes give chip leakage per mm^2 with a source", "[energy][tech]") {
  for (const char* node : {"7nm", "45nm"}) {
    const TechTable t = TechTable::load(node);
    CHECK(t.leakage_mw_per_mm2.value > 0);
    CHECK_FALSE(t.leakage_mw_per_mm2.source.empty());
  }
  CHECK(TechTable::load("7nm").leakage_mw_per_mm2.value > TechTable::load("45nm").leakage_mw_per_mm2.value);
}
