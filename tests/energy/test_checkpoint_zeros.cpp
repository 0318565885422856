// Zero share measured from a checkpoint file, and model configurations as energy inputs.
// Parts need the core's safetensors writer/reader and config loader; they switch on when those
// are built (macros set by energy/CMakeLists.txt).
#include <catch2/catch.hpp>
#include <filesystem>

#include "energy/model_shape.h"
#include "energy/ternary_zeros.h"
#include "src/util/error.h"
#ifdef ABACUS_ENERGY_HAVE_SAFETENSORS
#include "src/io/safetensors.h"
#endif

using namespace abacus::energy;

#ifdef ABACUS_ENERGY_HAVE_SAFETENSORS
TEST_CASE("checkpoint zeros: BitLinear weights only, absmean per tensor", "[energy][zeros]") {
  const std::string dir = std::string(ABACUS_BINARY_DIR) + "/test_energy_checkpoint";
  std::filesystem::create_directories(dir);
  abacus::io::SafetensorsWriter w;
  const float q[] = {0.1f, -0.1f, 1.0f, -1.0f, 0.02f, 0.5f};  // 3 zeros (see test_inference_energy)
  const float down[] = {0.5f, 1.5f};                           // 1 zero (half to even)
  const float embed[] = {0, 0, 0, 0, 0, 0, 0, 0};              // skipped: embedding
  const float norm[] = {0, 0, 0};                               // skipped: 1-D
  w.add_f32("layers.0.attn.q.weight", {2, 3}, q);
  w.add_f32("layers.0.ffn.down.weight", {1, 2}, down);
  w.add_f32("embed_tokens.weight", {4, 2}, embed);
  w.add_f32("layers.0.attn_norm.weight", {3}, norm);
  w.write(dir + "/model.safetensors");
  const ZeroCount z = checkpoint_zeros(dir, "b1.58");
  CHECK(z.tensors == 2);
  CHECK(z.weights == 8);
  CHECK(z.zeros == 4);
  CHECK(z.fraction() == Approx(0.5));
  CHECK(checkpoint_zeros(dir, "b1").zeros == 0);
  CHECK_THROWS_AS(checkpoint_zeros(dir, "fp"), abacus::Error);
  CHECK_THROWS_AS(checkpoint_zeros(dir + "/missing", "b1.58"), abacus::Error);
}
#endif

#ifdef ABACUS_ENERGY_HAVE_CONFIG_LOADER
TEST_CASE("model shape from a model configuration", "[energy][shape]") {
  abacus::ModelConfig c;
  c.name = "cfg";
  c.hidden_size = 64;
  c.intermediate_size = 160;
  c.num_hidden_layers = 3;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 2;
  c.vocab_size = 100;
  c.max_position_embeddings = 128;
  c.quant = abacus::Quant::b158;
  const ModelShape s = ModelShape::from_config(abacus::ModelConfig::from_json_text(c.to_json_text(), "cfg.json"));
  CHECK(s.head_dim == 16);
  CHECK(s.kv_dim() == 32);
  CHECK(s.bitnet);
  CHECK(s.glu);
  CHECK(s.linear_params_per_layer() == 64 * 64 * 2 + 64 * 32 * 2 + 64 * 160 * 3);
}
#endif

TEST_CASE("reference shape files: fields are checked", "[energy][shape]") {
  const ModelShape g = ModelShape::reference("gemma-3-1b");
  CHECK(g.head_dim == 256);
  CHECK(g.q_dim() == 1024);  // not the hidden size 1152
  CHECK_THROWS_WITH(ModelShape::from_json_text(R"({"name": "x", "hidden_size": 8})", "x.json"),
                    Catch::Contains("x.json") && Catch::Contains("intermediate_size"));
  CHECK_THROWS_WITH(
      ModelShape::from_json_text(R"({"name": "x", "hidden_size": 8, "intermediate_size": 16, "num_hidden_layers": 1,
        "num_attention_heads": 2, "num_key_value_heads": 3, "ffn": "glu", "quant": "fp", "source": "t"})", "x.json"),
      Catch::Contains("num_key_value_heads"));
}
