// energy --trace adapter: the energy workload of a trace carries the traced GEMMs, the
// attention products of each step, the token count and the measured zero-weight fraction.
#include <catch2/catch.hpp>

#include "energy/matmul_energy.h"
#include "energy/tech_table.h"
#include "src/trace/energy_workload.h"
#include "tests/trace/trace_fixture.h"

using namespace abacus;

TEST_CASE("a trace becomes an energy workload", "[trace][energy]") {
  const ModelConfig c = test::tiny_config(Quant::b158);
  const std::string path = std::string(ABACUS_BINARY_DIR) + "/tests/trace/energy.safetensors";
  test::make_trace(c, path, 2);
  const trace::TraceFile t = trace::TraceFile::open(path);
  const trace::TraceWorkload w = trace::extract_workload(t);
  const energy::Workload e = trace::energy_workload(t, w);
  CHECK(e.tokens == 9);
  CHECK(e.bitnet);
  REQUIRE(e.zero_fraction.has_value());
  CHECK(*e.zero_fraction == Approx(w.zero_weight_mac_fraction));
  double linear = 0, attention = 0;
  for (const auto& g : e.gemms) (g.kind == energy::GemmKind::linear ? linear : attention) += g.macs();
  CHECK(linear == w.macs);
  // scores + values per step: 2 * T * head_dim * ctx * layers * heads; steps (7 at 0), (1 at 7), (1 at 8)
  const double per = 2.0 * 8 * 2 * 4;
  CHECK(attention == Approx(per * (7 * 7 + 1 * 8 + 1 * 9)));
}
