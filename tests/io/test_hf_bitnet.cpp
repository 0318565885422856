// Hugging Face BitNet import/export (src/io/hf_bitnet.h): the published 2-bit packing, latent
// weights that reproduce packed weights and scales exactly, logits of folders written by an
// independent numpy script (hf_bitnet_reference.py, run by CTest first), and round trips.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "src/io/hf_bitnet.h"
#include "src/io/hf_ternary_packing.h"
#include "src/io/safetensors.h"
#include "src/model/inference.h"
#include "src/model/lm.h"
#include "src/model/param_layout.h"
#include "src/quant/weight_quant.h"
#include "src/util/error.h"

using namespace abacus;
namespace fs = std::filesystem;

namespace {

const std::string kReference = std::string(ABACUS_BINARY_DIR) + "/tests/io/hf-reference";

std::string temp_dir(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / ("abacus-hf-" + std::to_string(::getpid()) + "-" + name);
  fs::remove_all(p);
  return p.string();
}

std::vector<int32_t> read_tokens(const std::string& path) {
  std::ifstream f(path);
  std::vector<int32_t> t;
  int v;
  while (f >> v) t.push_back(v);
  return t;
}

std::vector<float> read_f32_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::vector<char> b((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  std::vector<float> v(b.size() / 4);
  std::memcpy(v.data(), b.data(), v.size() * 4);
  return v;
}

// Every tensor's dtype, shape and bytes of two folders' safetensors equal (across shards).
void require_same_tensors(const std::string& a_file, const std::string& b_file) {
  const io::SafetensorsFile a = io::SafetensorsFile::open(a_file), b = io::SafetensorsFile::open(b_file);
  REQUIRE(a.tensors().size() == b.tensors().size());
  for (const io::TensorInfo& t : a.tensors()) {
    INFO(t.name);
    const io::TensorInfo* u = b.find(t.name);
    REQUIRE(u);
    REQUIRE(u->dtype == t.dtype);
    REQUIRE(u->shape == t.shape);
    REQUIRE(std::memcmp(a.data(t), b.data(*u), t.nbytes()) == 0);
  }
}

ModelConfig small_b158() {
  ModelConfig c;
  c.name = "hf-roundtrip";
  c.hidden_size = 32;
  c.intermediate_size = 48;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 2;
  c.vocab_size = 50;
  c.max_position_embeddings = 32;
  c.quant = Quant::b158;
  c.norm = NormKind::rmsnorm;
  c.ffn = FfnKind::relu2_glu;
  c.hidden_act = "relu2";
  c.subln = true;
  c.rope_theta = 500000.0;
  return c;
}

// A random b1.58 model whose shared norms are equal (as HF stores them once).
std::vector<float> random_model(const ModelConfig& c) {
  model::LanguageModel<float> lm(c);
  lm.init_weights(11);
  const model::ParamLayout& L = lm.layout();
  std::mt19937 rng(5);
  std::normal_distribution<float> nd(1.0f, 0.1f);
  for (const auto& p : L.params())
    if (p.name.find("norm.weight") != std::string::npos)
      for (int64_t i = 0; i < p.numel; ++i) lm.params()[p.offset + i] = nd(rng);
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
    const std::string pre = "layers." + std::to_string(l) + ".";
    for (const char* dst : {"attn.k", "attn.v"})
      std::copy_n(lm.param(pre + "attn.q.norm.weight"), c.hidden_size, lm.param(pre + dst + std::string(".norm.weight")));
    std::copy_n(lm.param(pre + "ffn.gate.norm.weight"), c.hidden_size, lm.param(pre + "ffn.up.norm.weight"));
  }
  return std::vector<float>(lm.params(), lm.params() + lm.num_params());
}

}  // namespace

TEST_CASE("HF ternary packing: four blocks of N/4 output rows share a byte, code = value + 1", "[io][hf]") {
  // N = 8, K = 2: byte [r, k] holds rows r, r+2, r+4, r+6 at bits 0-1, 2-3, 4-5, 6-7.
  const std::vector<int8_t> w = {1, -1,  0, 0,  -1, 1,  1, 0,  0, 0,  -1, -1,  1, 1,  0, 1};
  const std::vector<uint8_t> p = io::pack_hf_ternary(w.data(), 8, 2);
  REQUIRE(p.size() == 4);
  // [0,0]: rows 0,2,4,6 col 0 = 1,-1,0,1 -> codes 2,0,1,2 -> 0b10'01'00'10
  CHECK(p[0] == 0b10010010);
  // [1,1]: rows 1,3,5,7 col 1 = 0,0,-1,1 -> codes 1,1,0,2 -> 0b10'00'01'01
  CHECK(p[3] == 0b10000101);
  std::vector<int8_t> back(16);
  CHECK(io::unpack_hf_ternary(p.data(), 8, 2, back.data()) == -1);
  CHECK(back == w);
  std::vector<uint8_t> bad = p;
  bad[2] |= 0b11000000;
  CHECK(io::unpack_hf_ternary(bad.data(), 8, 2, back.data()) == 2);
  CHECK_THROWS_AS(io::pack_hf_ternary(w.data(), 6, 2), Error);
}

TEST_CASE("latent weights quantize back to the packed values and the exact scale", "[io][hf]") {
  std::mt19937 rng(3);
  int exact = 0, total = 0;
  for (int trial = 0; trial < 40; ++trial) {
    const int64_t N = 4 * (1 + trial % 7), K = 3 + trial * 5;
    std::vector<int8_t> w(std::size_t(N * K));
    std::uniform_int_distribution<int> d(-1, 1);
    for (auto& v : w) v = int8_t(d(rng));
    // bf16 scales as in the release
    const float s = io::bf16_to_f32(io::f32_to_bf16(std::uniform_real_distribution<float>(1.f, 200.f)(rng)));
    bool ex = false;
    double err = 0;
    const std::vector<float> W = io::latent_for_ternary(w.data(), N, K, s, &ex, &err);
    std::vector<int8_t> q(w.size());
    float got = 0;
    quant::quantize_weights(quant::WeightQuant::ternary_absmean, W.data(), N, K, 1, q.data(), &got);
    REQUIRE(q == w);
    exact += got == s;
    ++total;
    // 1/x in float does not reach every float: at worst the neighbour of s, which rounds back
    // to s in bf16 (the release's dtype).
    CHECK(std::fabs(got - s) <= std::nextafter(s, INFINITY) - s);
    CHECK(ex == (got == s));
    CHECK(io::f32_to_bf16(got) == io::f32_to_bf16(s));
  }
  CHECK(exact >= total / 2);
}

TEST_CASE("numpy-written HF folders import to the logits the script computed", "[io][hf]") {
  REQUIRE(fs::exists(kReference + "/packed/config.json"));  // written by test_io_hf_reference_write
  for (const char* form : {"packed", "sharded", "bf16"}) {
    INFO(form);
    const std::string dir = kReference + "/" + form;
    const io::HfImport m = io::import_hf_bitnet(dir);
    CHECK(io::hf_weight_form_name(m.form) == std::string(std::string(form) == "bf16" ? "bf16" : "packed"));
    if (m.form == io::HfWeightForm::packed) CHECK(m.max_scale_rel_error <= 1.2e-7);
    const std::vector<int32_t> tokens = read_tokens(dir + "/tokens.txt");
    const std::vector<float> ref = read_f32_file(dir + "/logits.f32");
    model::InferenceModel inf(m.config, m.params.data());
    const std::vector<float> got = inf.forward(tokens.data(), int64_t(tokens.size()), 0);
    REQUIRE(got.size() == ref.size());
    float scale = 0, diff = 0;
    std::size_t argmax_same = 0;
    const int64_t V = m.config.vocab_size;
    for (std::size_t i = 0; i < ref.size(); ++i) {
      scale = std::max(scale, std::fabs(ref[i]));
      diff = std::max(diff, std::fabs(ref[i] - got[i]));
    }
    for (std::size_t t = 0; t < tokens.size(); ++t) {
      const auto* r = ref.data() + t * V;
      const auto* g = got.data() + t * V;
      argmax_same += (std::max_element(r, r + V) - r) == (std::max_element(g, g + V) - g);
    }
    INFO("max |logit| " << scale << ", max |diff| " << diff);
    CHECK(diff <= 1e-4f * scale);
    CHECK(argmax_same == tokens.size());
  }
  // The sharded folder is the packed one split in two: same parameters, bit for bit.
  const io::HfImport a = io::import_hf_bitnet(kReference + "/packed"), b = io::import_hf_bitnet(kReference + "/sharded");
  CHECK(a.params == b.params);
}

TEST_CASE("HF import -> export reproduces the published tensors bit for bit", "[io][hf]") {
  REQUIRE(fs::exists(kReference + "/packed/config.json"));
  for (const char* form : {"packed", "bf16"}) {
    INFO(form);
    const io::HfImport m = io::import_hf_bitnet(kReference + "/" + form);
    const std::string out = temp_dir(std::string("reexport-") + form);
    io::HfExportOptions o;
    o.form = m.form;
    io::export_hf_bitnet(m.config, m.params.data(), out, o);
    require_same_tensors(kReference + "/" + form + "/model.safetensors", out + "/model.safetensors");
    fs::remove_all(out);
  }
}

TEST_CASE("abacus export -> import -> export is bit-identical (packed, bf16, sharded)", "[io][hf]") {
  const ModelConfig c = small_b158();
  const std::vector<float> params = random_model(c);
  for (int variant = 0; variant < 3; ++variant) {
    INFO("variant " << variant);
    io::HfExportOptions o;
    o.form = variant == 1 ? io::HfWeightForm::bf16 : io::HfWeightForm::packed;
    o.shard_bytes = variant == 2 ? 1024 : 0;
    const std::string a = temp_dir("a" + std::to_string(variant)), b = temp_dir("b" + std::to_string(variant));
    io::export_hf_bitnet(c, params.data(), a, o);
    if (variant == 2) REQUIRE(fs::exists(a + "/model.safetensors.index.json"));
    const io::HfImport m = io::import_hf_bitnet(a);
    io::export_hf_bitnet(m.config, m.params.data(), b, o);
    // Same files, byte for byte.
    for (const auto& e : fs::directory_iterator(a)) {
      const std::string name = e.path().filename().string();
      INFO(name);
      std::ifstream fa(e.path(), std::ios::binary), fb(fs::path(b) / name, std::ios::binary);
      REQUIRE(fb.good());
      std::stringstream sa, sb;
      sa << fa.rdbuf();
      sb << fb.rdbuf();
      CHECK(sa.str() == sb.str());
    }
    // The imported model quantizes to the same ternary weights and scale as the original
    // (packed form; the bf16 form stores bf16-rounded latents, its files are what must agree).
    const model::ParamLayout L(c);
    for (const auto& p : model::block_projections(c)) {
      if (variant == 1) break;
      const auto& spec = L.at("layers.1." + p.name + ".weight");
      std::vector<int8_t> q0(std::size_t(spec.numel)), q1(q0.size());
      float s0 = 0, s1 = 0;
      quant::quantize_weights(quant::WeightQuant::ternary_absmean, params.data() + spec.offset, p.out, p.in, 1, q0.data(), &s0);
      quant::quantize_weights(quant::WeightQuant::ternary_absmean, m.params.data() + spec.offset, p.out, p.in, 1, q1.data(), &s1);
      CHECK(q0 == q1);
      CHECK(io::f32_to_bf16(s0) == io::f32_to_bf16(s1));  // bf16 scale as published
    }
    fs::remove_all(a);
    fs::remove_all(b);
  }
}

TEST_CASE("export refuses models HF cannot hold exactly and never leaves a half-written folder", "[io][hf]") {
  ModelConfig c = small_b158();
  std::vector<float> params = random_model(c);
  const model::ParamLayout L(c);
  params[std::size_t(L.at("layers.1.attn.k.norm.weight").offset)] += 0.5f;
  const std::string out = temp_dir("refuse");
  try {
    io::export_hf_bitnet(c, params.data(), out, {});
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("layers.1.attn.k.norm.weight") != std::string::npos);
  }
  CHECK(!fs::exists(out));
  ModelConfig g = c;
  g.quant_groups = 2;
  CHECK_THROWS_AS(io::export_hf_bitnet(g, random_model(g).data(), out, {}), Error);
  CHECK(!fs::exists(out));
  fs::create_directories(out);
  CHECK_THROWS_AS(io::export_hf_bitnet(c, random_model(c).data(), out, {}), Error);
  fs::remove_all(out);
}
