// The PE model (sim/systemc/pe_model.h): LUT timing in the analytic and SystemC models, LUT
// energy from its own action counts, area components, the accumulator-width config check and
// overflow counting, the SystemC tile's narrow accumulator, and the shipped PE sweep.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <vector>

#include "sim/acc_arith.h"
#include "sim/accel_config.h"
#include "sim/systemc/analytic_model.h"
#include "sim/systemc/machine.h"
#include "sim/systemc/pe_model.h"
#include "sim/systemc/report.h"
#include "sim/systemc/sweep.h"
#include "sim/systemc/systemc_model.h"
#include "sim/systemc/workload.h"
#include "src/util/error.h"

using namespace abacus;
using namespace abacus::sim;

namespace {
Workload one_gemm(int64_t T, int64_t K, int64_t N) {
  Workload w;
  w.name = "one";
  w.add_gemm("g", T, K, N);
  return w;
}
double energy_of(const SimReport& r, const char* component) {
  for (const auto& e : r.energy_pj)
    if (e.first == component) return e.second;
  return 0;
}
double area_of(const SimReport& r, const char* component) {
  for (const auto& a : r.area_mm2)
    if (a.first == component) return a.second;
  return 0;
}
}  // namespace

TEST_CASE("LUT shape: table entries, index bits and table adders per group size", "[sim][pe]") {
  struct Want {
    int g, entries, index_bits, table_adds;
  };
  for (Want w : {Want{1, 2, 2, 0}, Want{2, 5, 4, 2}, Want{3, 14, 5, 10}, Want{4, 41, 7, 36}, Want{5, 122, 8, 116}}) {
    const LutShape l = lut_shape(16, w.g);
    CHECK(l.entries == w.entries);
    CHECK(l.index_bits == w.index_bits);
    CHECK(l.table_adds == w.table_adds);
    CHECK(l.groups == (16 + w.g - 1) / w.g);
  }
  AccelConfig c;
  c.pe = PeStyle::lut;
  c.k_t = 15;
  c.lut_group = 3;
  CHECK(tile_bits_per_weight(c) == Approx(5.0 / 3.0));
}

TEST_CASE("PE lut: analytic == SystemC, and only the pipeline differs from the adder tree", "[sim][pe]") {
  for (int g : {2, 3, 4, 5}) {
    for (int k_t : {8, 16, 32}) {
      AccelConfig tree;
      tree.k_t = k_t;
      tree.n_t = 8;
      AccelConfig lut = tree;
      lut.pe = PeStyle::lut;
      lut.lut_group = g;
      const Workload w = one_gemm(7, 300, 50);
      const SimCounters a = analytic_run(lut, w), s = systemc_run(lut, w);
      INFO("g=" << g << " k_t=" << k_t << ": " << (a.differences(s).empty() ? "" : a.differences(s)[0]));
      CHECK(a == s);
      const SimCounters t = analytic_run(tree, w);
      CHECK(a.tile_cycles == t.tile_cycles);
      CHECK(a.tile_overhead_cycles == t.tile_overhead_cycles);
      CHECK(a.pipeline_cycles - t.pipeline_cycles ==
            pe_pipe_stages(PeStyle::lut, k_t, g) - pe_pipe_stages(PeStyle::adder_tree, k_t, 0));
    }
  }
}

TEST_CASE("PE lut energy comes from table builds, lookups and adds; the table cost grows with 3^g", "[sim][pe]") {
  const Workload w = one_gemm(16, 512, 256);
  double prev_adders = 0;
  for (int g : {2, 3, 4, 5}) {
    AccelConfig c;
    c.pe = PeStyle::lut;
    c.lut_group = g;
    c.n_t = 16;
    c.k_t = 32;
    const SimCounters s = analytic_run(c, w);
    const SimReport r = make_report(c, w, s, "analytic");
    if (!r.energy_available) return;  // built without energy/
    const LutBeatActions l = lut_beat_actions(c);
    const LutShape sh = lut_shape(c.k_t, g);
    CHECK(l.table_adds == double(sh.groups * sh.table_adds));
    CHECK(l.lookups == double(c.n_t * sh.groups));
    // Table adds grow faster than the lookups and tree adds shrink: the adder energy is not
    // monotone in g, but at g = 5 the table (116 adds per group) dominates.
    const double adders = energy_of(r, "adders");
    CHECK(adders > 0);
    if (g == 5) CHECK(adders > prev_adders);
    prev_adders = adders;
    CHECK(area_of(r, "tile_registers") > 0);
    CHECK(area_of(r, "tile_weight_store") > 0);
  }
}

TEST_CASE("area: the tile's weight store is in the area model; LUT indices store fewer bits", "[sim][pe]") {
  AccelConfig tree;
  AccelConfig lut = tree;
  lut.pe = PeStyle::lut;
  lut.lut_group = 5;
  const int64_t ks = tile_max_ksteps(tree);
  CHECK(ks == int64_t(64 * 1024 * 8 / 2 / (16 * 32 * 2)));
  CHECK(pe_area_bits(tree, ks).weight_store_bits == double(ks * 16 * 32 * 2));
  // g = 5 on K_T = 32: 7 groups x 8 bits = 56 bits per 32 weights instead of 64.
  CHECK(pe_area_bits(lut, ks).weight_store_bits == double(ks * 16 * 7 * 8));
}

TEST_CASE("acc_bits: a wrapping accumulator that can overflow is refused, saturation accepted", "[sim][pe]") {
  AccelConfig c;
  c.acc_bits = 16;
  const Workload ok = one_gemm(2, 255, 8);   // 128 * 255 = 32640 <= 32767
  const Workload bad = one_gemm(2, 256, 8);  // 32768 > 32767
  CHECK_NOTHROW(analytic_run(c, ok));
  CHECK_THROWS_WITH(analytic_run(c, bad), Catch::Contains("acc_bits") && Catch::Contains("saturate"));
  CHECK_THROWS_WITH(systemc_run(c, bad), Catch::Contains("acc_bits"));
  c.acc_overflow = AccOverflow::saturate;
  CHECK_NOTHROW(analytic_run(c, bad));
  c = AccelConfig{};
  c.pe = PeStyle::mac;
  c.acc_bits = 24;  // 128 * 128 * 512 = 2^23 > 2^23 - 1
  CHECK_THROWS_AS(analytic_run(c, one_gemm(1, 512, 8)), Error);
  // The field itself: names and values.
  CHECK_THROWS_WITH(AccelConfig::from_json_text(R"({"acc_overflow": "clamp"})", "a.json"),
                    Catch::Contains("a.json") && Catch::Contains("acc_overflow"));
  CHECK(AccelConfig::from_json_text(R"({"acc_overflow": "saturate"})", "a.json").acc_overflow == AccOverflow::saturate);
  CHECK(AccelConfig::from_json_text(AccelConfig{}.to_json_text(), "x").acc_overflow == AccOverflow::wrap);
}

TEST_CASE("overflow counting and the SystemC tile's narrow accumulator follow sim::acc_gemm_ref", "[sim][pe]") {
  std::mt19937 rng(3);
  const int64_t T = 3, K = 700, N = 5;
  std::vector<int8_t> x(size_t(T * K)), w(size_t(N * K));
  for (auto& v : x) v = int8_t(100 + int(rng() % 28));  // large positive: overflows 16 bits
  for (auto& v : w) v = int8_t(rng() % 5 == 0 ? -1 : 1);
  for (AccOverflow mode : {AccOverflow::saturate, AccOverflow::wrap}) {
    AccelConfig c;
    c.n_t = 4;
    c.k_t = 8;
    c.acc_bits = 16;
    c.acc_overflow = mode;
    c.weight_buffer_kib = 0.25;  // several K-chunks per column slice: the accumulator spans units
    std::vector<int32_t> want(size_t(T * N)), got(size_t(T * N));
    const int64_t ovf = acc_gemm_ref(x.data(), w.data(), want.data(), T, K, N, c.k_t, 16, mode);
    const AccOverflowCount n = count_acc_overflows(c, x.data(), w.data(), T, K, N);
    CHECK(n.overflows == ovf);
    CHECK(n.overflows > 0);
    CHECK(n.chunk_adds == T * N * ceil_div(K, c.k_t));
    CHECK(n.outputs_changed == T * N);
    if (mode == AccOverflow::wrap) continue;  // the config check refuses a wrapping 16-bit run on K = 700
    systemc_gemm(c, GemmCommand{"g", T, K, N, 0}, x.data(), w.data(), got.data());
    CHECK(got == want);
  }
  AccelConfig wide;
  CHECK(count_acc_overflows(wide, x.data(), w.data(), T, K, N).overflows == 0);
}

TEST_CASE("the shipped PE sweep varies PE style, group size, tile shape and accumulator width", "[sim][pe][dse]") {
  const SweepSpace s = load_sweep(std::string(ABACUS_TEST_DATA) + "/../../sim/configs/sweep-pe.json");
  for (const char* f : {"pe", "lut_group", "acc_bits", "acc_overflow", "n_t", "k_t"})
    CHECK(std::find(s.fields.begin(), s.fields.end(), f) != s.fields.end());
  ModelConfig m;
  m.name = "small";
  m.hidden_size = 64;
  m.intermediate_size = 128;
  m.num_hidden_layers = 2;
  m.num_attention_heads = 4;
  m.num_key_value_heads = 4;
  m.vocab_size = 100;
  const Workload w = prefill_workload(m, 16);
  DseTable t;
  t.header = dse_header(s);
  for (int64_t i = 0; i < s.point_count(); ++i) {
    const AccelConfig c = s.point_config(AccelConfig{}, i);
    t.rows.push_back(dse_row(s, i, make_report(c, w, analytic_run(c, w), "analytic")));
  }
  mark_pareto(t);
  int front = 0;
  for (const auto& r : t.rows) front += r.back() == "1";
  CHECK(front >= 1);
  CHECK(front < int(t.rows.size()));
}
