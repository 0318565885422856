// The per-token model beyond the paper, on a tiny shape whose numbers can be done by hand.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "energy/inference_energy.h"
#include "energy/ternary_zeros.h"
#include "src/util/error.h"
#include "tests/energy/tiny_shape.h"

using namespace abacus::energy;

TEST_CASE("memory: weights once per pass, 2 bits per ternary weight", "[energy][inference]") {
  const TechTable t = TechTable::load("7nm");
  InferenceOptions o;
  o.phase = Phase::decode;
  o.tokens = 3;
  const InferenceEnergy d = inference_energy(tiny_shape(true), t, o);
  // 2 layers x 576 weights x 2 bits = 288 bytes; x 8 bits x 20.3 pJ/bit.
  CHECK(d.value("DRAM weights") == Approx(288 * 8 * 20.3e-12));
  // K/V: 2 x 2 layers x kv_dim 4 x 2 bytes = 32 bytes per token; decode reads 3 and writes 1.
  CHECK(d.value("DRAM KV cache") == Approx(4 * 32 * 8 * 20.3e-12));
  o.phase = Phase::prefill;
  o.tokens = 4;
  const InferenceEnergy p = inference_energy(tiny_shape(true), t, o);
  CHECK(p.value("DRAM weights") == Approx(288 * 8 * 20.3e-12 / 4));
  CHECK(p.value("DRAM KV cache") == Approx(32 * 8 * 20.3e-12));
  // FP16 weights: 8x the bytes of 2-bit weights.
  const InferenceEnergy f = inference_energy(tiny_shape(false), t, o);
  CHECK(f.value("DRAM weights") == Approx(8 * p.value("DRAM weights")));
  CHECK(f.value("activation quantization") == 0);
  CHECK(p.value("activation quantization") > 0);
}

TEST_CASE("accumulator width and zero gating of the ternary additions", "[energy][inference]") {
  const TechTable t = TechTable::load("7nm");
  InferenceOptions o;
  o.phase = Phase::decode;
  o.tokens = 5;
  o.zero_fraction = 0.25;
  const InferenceEnergy e = inference_energy(tiny_shape(true), t, o);
  // Decode linear additions: 1024 per token (see test_op_count). INT8 0.007, INT32 0.03 pJ.
  const double acc = e.value("linear (INT32 accumulator)"), paper = e.value("linear (paper: INT8 add)");
  CHECK(acc - paper == Approx(1024 * (0.03 - 0.007) * 1e-12));
  CHECK(acc - e.value("linear (accumulator, zero-gated)") == Approx(0.25 * 1024 * 0.03 * 1e-12));
  o.acc_bits = 16;
  const InferenceEnergy e16 = inference_energy(tiny_shape(true), t, o);
  CHECK(e16.value("linear (INT16 accumulator)") - paper == Approx(1024 * (0.015 - 0.007) * 1e-12));
  o.acc_bits = 24;
  CHECK_THROWS_AS(inference_energy(tiny_shape(true), t, o), abacus::Error);

  const nlohmann::json j = nlohmann::json::parse(to_json(e));
  CHECK(j["zero_fraction"] == 0.25);
  CHECK(j["lines"].size() == e.lines.size());
  CHECK(j["total_accumulator_gated"].get<double>() == Approx(e.total_accumulator_gated));
  CHECK_THAT(to_markdown(e), Catch::Contains("| memory | DRAM weights |"));
}

TEST_CASE("zero fraction: absmean rule, half to even", "[energy][zeros]") {
  // mean|W| = 2.72/6; W/mean = 0.22, -0.22, 2.2, -2.2, 0.044, 1.10 -> 0, 0, 1, -1, 0, 1.
  const float w[] = {0.1f, -0.1f, 1.0f, -1.0f, 0.02f, 0.5f};
  const ZeroCount z = ternary_zeros(w, 1, 6);
  CHECK(z.zeros == 3);
  CHECK(z.weights == 6);
  CHECK(z.fraction() == Approx(0.5));
  // mean|W| = 1: 0.5 rounds half to even -> 0 (half away from zero would give 1).
  const float h[] = {0.5f, 1.5f};
  CHECK(ternary_zeros(h, 1, 2).zeros == 1);
  CHECK(is_bitlinear_weight_name("layers.3.attn.q.weight"));
  CHECK(!is_bitlinear_weight_name("embed_tokens.weight"));
  CHECK(!is_bitlinear_weight_name("layers.0.attn.norm.weight"));
  CHECK(!is_bitlinear_weight_name("lm_head.weight"));
}
