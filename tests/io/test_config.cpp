#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <map>
#include <string>

#include "src/model/config.h"
#include "src/model/param_layout.h"
#include "src/util/error.h"

using abacus::ModelConfig;

namespace {

const char* kBase = R"({
  "hidden_size": 128, "intermediate_size": 192, "num_hidden_layers": 2,
  "num_attention_heads": 4, "num_key_value_heads": 2, "vocab_size": 4096,
  "max_position_embeddings": 256, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
  "quant": "b1.58", "norm": "rmsnorm", "ffn": "swiglu")";

ModelConfig parse(const std::string& extra) { return ModelConfig::from_json_text(std::string(kBase) + extra + "}", "cfg.json"); }

void require_field_error(const std::string& extra, const std::string& field, const std::string& what = "") {
  try {
    parse(extra);
    FAIL("no error for " << extra);
  } catch (const abacus::Error& e) {
    const std::string msg = e.what();
    INFO(msg);
    CHECK(msg.find("cfg.json: " + field + ":") != std::string::npos);
    if (!what.empty()) CHECK(msg.find(what) != std::string::npos);
  }
}

std::string replace(std::string s, const std::string& from, const std::string& to) {
  const auto p = s.find(from);
  REQUIRE(p != std::string::npos);
  return s.replace(p, from.size(), to);
}

}  // namespace

TEST_CASE("config parses and round-trips", "[io][config]") {
  const ModelConfig c = parse(R"(, "training": {"lr": 6e-3, "lr_stage2": 4e-3, "schedule": "two-stage"})");
  CHECK(c.hidden_size == 128);
  CHECK(c.kv_dim() == 64);
  CHECK(c.hidden_act == "silu");
  CHECK(c.quant == abacus::Quant::b158);
  REQUIRE(c.training);
  CHECK(*c.training->lr_stage2 == 4e-3);
  const ModelConfig d = ModelConfig::from_json_text(c.to_json_text(), "again.json");
  CHECK(d.to_json_text() == c.to_json_text());
  const std::string path = (std::filesystem::temp_directory_path() / "abacus-test-config.json").string();
  c.save(path);
  CHECK(ModelConfig::load(path).to_json_text() == c.to_json_text());
}

TEST_CASE("config errors name the field", "[io][config]") {
  require_field_error(R"(, "hiden_size": 3)", "hiden_size", "unknown");
  require_field_error(R"(, "training": {"lr": 1e-3, "lrr": 2})", "training.lrr", "unknown");
  require_field_error(R"(, "training": {"schedule": "linear"})", "training.lr", "missing");
  require_field_error(R"(, "training": {"lr": -1})", "training.lr");
  require_field_error(R"(, "subln": "yes")", "subln", "wrong type");
  require_field_error(R"(, "hidden_act": "gelu")", "hidden_act", "does not match ffn");
  CHECK_THROWS_WITH(ModelConfig::from_json_text(replace(std::string(kBase) + "}", R"("quant": "b1.58")", R"("quant": "b2")"), "cfg.json"),
                    Catch::Contains("cfg.json: quant:"));
  CHECK_THROWS_WITH(ModelConfig::from_json_text(replace(std::string(kBase) + "}", R"("norm": "rmsnorm")", R"("norm": "batchnorm")"), "cfg.json"),
                    Catch::Contains("cfg.json: norm:"));
  CHECK_THROWS_WITH(ModelConfig::from_json_text(replace(std::string(kBase) + "}", R"("ffn": "swiglu")", R"("ffn": "moe")"), "cfg.json"),
                    Catch::Contains("cfg.json: ffn:"));
  CHECK_THROWS_WITH(ModelConfig::from_json_text(replace(std::string(kBase) + "}", R"("vocab_size": 4096,)", ""), "cfg.json"),
                    Catch::Contains("cfg.json: vocab_size: missing"));
  CHECK_THROWS_WITH(ModelConfig::from_json_text(replace(std::string(kBase) + "}", R"("hidden_size": 128)", R"("hidden_size": 0)"), "cfg.json"),
                    Catch::Contains("cfg.json: hidden_size:"));
  CHECK_THROWS_WITH(ModelConfig::from_json_text(replace(std::string(kBase) + "}", R"("hidden_size": 128)", R"("hidden_size": 130)"), "cfg.json"),
                    Catch::Contains("cfg.json: num_attention_heads: must divide hidden_size"));
  CHECK_THROWS_WITH(ModelConfig::from_json_text(replace(std::string(kBase) + "}", R"("num_key_value_heads": 2)", R"("num_key_value_heads": 3)"), "cfg.json"),
                    Catch::Contains("cfg.json: num_key_value_heads: must divide"));
  CHECK_THROWS_WITH(ModelConfig::from_json_text("{\"hidden_size\": ", "cfg.json"), Catch::Contains("cfg.json"));
}

TEST_CASE("parameter counts follow the documented formula and the core's layout", "[io][config]") {
  // b1.58, d=128, f=192, 2 layers, 4 heads, 2 kv heads (kv_dim 64), V=4096, tied.
  const ModelConfig c = parse("");
  const int64_t d = 128, f = 192, kv = 64, V = 4096;
  const int64_t per_layer = 2 * d * d + 2 * d * kv + 3 * d * f + (6 * d + f);
  CHECK(c.params_non_embedding() == 2 * per_layer + d);
  CHECK(c.params_total() == c.params_non_embedding() + V * d);
  ModelConfig fp = c;
  fp.quant = abacus::Quant::fp;
  CHECK(fp.params_non_embedding() == 2 * (per_layer - (6 * d + f) + 2 * d) + d);
  fp.tie_word_embeddings = false;
  CHECK(fp.params_total() == fp.params_non_embedding() + 2 * V * d);
}

// Each preset's count against the size in its name. `basis` says which count the name uses
// and `tolerance` is the honest relative difference recorded in models/README.md.
TEST_CASE("presets parse and their counts agree with their names", "[io][config][presets]") {
  struct Expect {
    bool non_embedding;
    double tolerance;
  };
  const std::map<std::string, Expect> expect = {
      {"b1-125M", {false, 0.12}},  // names are GPT-3's (50257-token vocab); 16K vocab gives 110M
      {"b1-350M", {false, 0.05}},   {"b1-760M", {false, 0.05}},    {"b1-1.3B", {false, 0.05}},
      {"b1-2.7B", {false, 0.05}},   {"b1-6.7B", {false, 0.05}},    {"b1-13B", {false, 0.05}},
      {"b1-30B", {false, 0.05}},    {"b1.58-700M", {false, 0.05}}, {"b1.58-1.3B", {false, 0.05}},
      {"b1.58-3B", {true, 0.08}},   // does not agree: 3.22B without embeddings, 3.32B total
      {"b1.58-3.9B", {true, 0.10}},  // does not agree: 4.26B without embeddings
      {"llama-700M", {false, 0.05}}, {"llama-1.3B", {false, 0.05}}, {"llama-3B", {true, 0.08}},
      {"b1.58-2B4T", {true, 0.05}}, {"b1.58-70B", {false, 0.02}},
  };
  int checked = 0, tiny = 0;
  std::map<std::string, int64_t> tiny_counts;
  for (const auto& file : abacus::list_preset_files(abacus::default_models_dir())) {
    const ModelConfig c = ModelConfig::load(file);
    const std::string stem = std::filesystem::path(file).stem().string();
    INFO(stem);
    CHECK(c.name == stem);
    // The count must be the one the core actually allocates.
    CHECK(abacus::model::ParamLayout(c).total() == c.params_total());
    const auto nominal = abacus::nominal_params_from_name(stem);
    REQUIRE(nominal);
    if (stem.rfind("tiny-", 0) == 0) {
      CHECK(c.vocab_size == 4096);
      CHECK(c.max_position_embeddings == 256);
      REQUIRE(c.training);
      CHECK(std::fabs(double(c.params_total()) / *nominal - 1) < 0.1);
      tiny_counts[stem] = c.params_total();
      ++tiny;
      continue;
    }
    if (stem.rfind("transformer-", 0) == 0) {
      CHECK(std::fabs(double(c.params_total()) / *nominal - 1) < (stem == "transformer-125M" ? 0.12 : 0.05));
      ++checked;
      continue;
    }
    auto it = expect.find(stem);
    REQUIRE(it != expect.end());
    const double count = double(it->second.non_embedding ? c.params_non_embedding() : c.params_total());
    CHECK(std::fabs(count / *nominal - 1) <= it->second.tolerance);
    ++checked;
  }
  CHECK(checked == int(expect.size()) + 8);
  CHECK(tiny == 8);
  for (const char* size : {"1m", "4m"}) {
    const double ref = double(tiny_counts[std::string("tiny-") + size + "-fp"]);
    for (const char* q : {"b1", "b1.58", "b1.58-median"})
      CHECK(std::fabs(tiny_counts[std::string("tiny-") + size + "-" + q] / ref - 1) < 0.01);
  }
}

TEST_CASE("nominal sizes and human counts", "[io][config]") {
  CHECK(*abacus::nominal_params_from_name("b1.58-700M") == 7e8);
  CHECK(*abacus::nominal_params_from_name("b1.58-3.9B") == Approx(3.9e9));
  CHECK(*abacus::nominal_params_from_name("b1.58-2B4T") == 2e9);
  CHECK(*abacus::nominal_params_from_name("tiny-4m-b1.58-median") == 4e6);
  CHECK_FALSE(abacus::nominal_params_from_name("b1.58"));
  CHECK(abacus::format_count(6.74e9) == "6.74B");
  CHECK(abacus::format_count(1085312) == "1.09M");
  CHECK(abacus::format_count(350e6) == "350M");
  CHECK(abacus::format_count(512) == "512");
  CHECK(abacus::resolve_model_config("tiny-1m-fp").find("models/tiny-1m-fp.json") != std::string::npos);
  CHECK_THROWS_WITH(abacus::resolve_model_config("no-such-preset"), Catch::Contains("no-such-preset"));
}
