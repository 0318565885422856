// Sweep parsing, Pareto marking and shard/merge.
#include <catch2/catch.hpp>

#include "sim/systemc/analytic_model.h"
#include "sim/systemc/sweep.h"
#include "src/util/error.h"

using namespace abacus;
using namespace abacus::sim;

TEST_CASE("pareto front on a hand-made set", "[dse]") {
  // (energy, latency, area)
  const std::vector<std::vector<double>> pts = {
      {1, 5, 1},  // front: lowest energy
      {2, 2, 2},  // front
      {3, 3, 3},  // dominated by {2,2,2}
      {5, 1, 5},  // front: lowest latency
      {2, 2, 2},  // equal to a front point: not dominated, front
      {6, 6, 0.5} // front: lowest area
  };
  const auto f = pareto_front(pts);
  CHECK(f == std::vector<bool>{true, true, false, true, true, true});
}

TEST_CASE("sweep errors name the field", "[dse]") {
  auto msg = [](const std::string& text) {
    try {
      parse_sweep(text, "sweep.json");
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK_THAT(msg(R"({"n_tt": [8]})"), Catch::Contains("n_tt"));
  CHECK_THAT(msg(R"({"k_t": 8})"), Catch::Contains("k_t"));
  CHECK_THAT(msg(R"({"dram_gbps": [1, -2]})"), Catch::Contains("dram_gbps"));
  CHECK(msg(R"({"n_t": [8, 16], "pe": ["adder-tree", "mac"]})") == "no error");
}

TEST_CASE("cartesian product order and shard+merge equals the unsharded run", "[dse]") {
  const SweepSpace s = parse_sweep(R"({"n_t": [4, 8, 16], "k_t": [8, 32], "dram_gbps": [3.2, 25.6]})", "sweep.json");
  REQUIRE(s.point_count() == 12);
  CHECK(s.point_values(0) == std::vector<std::string>{"4", "8", "3.2"});
  CHECK(s.point_values(1) == std::vector<std::string>{"4", "8", "25.6"});
  CHECK(s.point_values(11) == std::vector<std::string>{"16", "32", "25.6"});
  ModelConfig m;
  m.name = "small";
  m.hidden_size = 64;
  m.intermediate_size = 128;
  m.num_hidden_layers = 2;
  m.num_attention_heads = 4;
  m.num_key_value_heads = 4;
  m.vocab_size = 100;
  const Workload w = decode_workload(m, 1, 32);
  auto run = [&](int shard, int shards) {
    DseTable t;
    t.header = dse_header(s);
    for (int64_t i = 0; i < s.point_count(); ++i) {
      if (i % shards != shard) continue;
      const AccelConfig c = s.point_config(AccelConfig{}, i);
      t.rows.push_back(dse_row(s, i, make_report(c, w, analytic_run(c, w), "analytic")));
    }
    mark_pareto(t);
    return dse_csv(t);
  };
  const std::string whole = run(0, 1);
  std::vector<DseTable> parts;
  for (int i = 0; i < 3; ++i) parts.push_back(parse_dse_csv(run(i, 3), "part" + std::to_string(i)));
  const std::string merged = dse_csv(merge_dse(parts, {"p0", "p1", "p2"}));
  CHECK(merged == whole);
  const DseTable t = parse_dse_csv(whole, "whole");
  int front = 0;
  for (const auto& r : t.rows) front += r.back() == "1";
  CHECK(front >= 1);
  CHECK(front < 12);
  CHECK_THROWS_AS(merge_dse({parts[0], parts[0]}, {"a", "b"}), Error);
}

TEST_CASE("a sweep over memory technologies takes each preset's DRAM numbers", "[dse]") {
  const SweepSpace s = parse_sweep(R"({"memory": ["ddr5", "lpddr5x", "hbm3"], "dram_max_outstanding": [1, 16]})", "sweep.json");
  REQUIRE(s.point_count() == 6);
  AccelConfig base;
  base.dram_gbps = 51.2;  // the base's own bandwidth must not leak into the presets' points
  const AccelConfig hbm = s.point_config(base, 4);
  CHECK(hbm.memory == "hbm3");
  CHECK(hbm.dram_gbps == Approx(819.2));
  CHECK(hbm.dram_max_outstanding == 1);
  CHECK(s.point_config(base, 3).dram_gbps == Approx(68.3));
  CHECK(s.point_config(base, 0).dram_background_mw == Approx(400));
  // A sweep that sets a DRAM field next to memory keeps its value.
  const SweepSpace both = parse_sweep(R"({"memory": ["ddr5"], "dram_gbps": [51.2]})", "sweep.json");
  CHECK(both.point_config(AccelConfig{}, 0).dram_gbps == Approx(51.2));
  CHECK_THROWS_WITH(parse_sweep(R"({"memory": ["sram9"]})", "sweep.json"), Catch::Contains("sram9"));
}
