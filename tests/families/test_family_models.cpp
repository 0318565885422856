// Whole-model checks of the families on a tiny Brown-layout corpus: the tape's backward
// against finite differences for every family (fp, double), training that lowers the loss
// in fp and b1.58, the checkpoint round trip, and the trace (integer records exact against
// int8_gemm_ref; bad traces rejected).
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "src/families/family_model.h"
#include "src/families/family_trace.h"
#include "src/quant/int_gemm.h"
#include "src/util/error.h"
#include "tests/families/fake_brown.h"

using namespace abacus;
using namespace abacus::families;
namespace fs = std::filesystem;

namespace {

FamilyConfig tiny(Family f, Quant q) {
  std::string j;
  switch (f) {
    case Family::mlp: j = R"({"family":"mlp","hidden_size":12,"data":{"vocab_size":60,"chunk_words":50},"training":{"steps":6,"batch_size":16,"lr":0.01}})"; break;
    case Family::sgc: j = R"({"family":"sgc","data":{"vocab_size":60,"chunk_words":50,"window":8},"training":{"steps":30,"lr":0.05}})"; break;
    case Family::gcn: j = R"({"family":"gcn","hidden_size":8,"data":{"vocab_size":60,"chunk_words":50,"window":8},"training":{"steps":30,"lr":0.02}})"; break;
    case Family::encoder: j = R"({"family":"encoder","hidden_size":8,"layers":1,"heads":2,"ffn_size":12,"data":{"vocab_size":60,"seq_len":12,"mask_fraction":0.25},"training":{"steps":40,"batch_size":8,"lr":0.01}})"; break;
    case Family::encdec: j = R"({"family":"encdec","hidden_size":8,"layers":1,"decoder_layers":1,"heads":2,"ffn_size":12,"rel_buckets":8,"rel_max_distance":16,"data":{"vocab_size":60,"seq_len":12,"mask_fraction":0.25,"mean_span":2},"training":{"steps":40,"batch_size":8,"lr":0.01}})"; break;
  }
  j.insert(1, std::string("\"quant\":\"") + quant_name(q) + "\",");
  return parse_family_config(j, "tiny");
}

const char* fam_name(Family f) { return family_name(f); }

}  // namespace

TEST_CASE("family backward equals finite differences of the whole fp model (double)", "[families]") {
  const std::string dir = test::fake_brown_dir();
  for (Family f : {Family::mlp, Family::sgc, Family::gcn, Family::encoder, Family::encdec}) {
    INFO(fam_name(f));
    FamilyConfig c = tiny(f, Quant::fp);
    FamilyDataset d = build_dataset(c, dir);
    if (f == Family::gcn) {  // a smaller graph keeps the double forward fast
      d.chunks.resize(20);
      d.labels.resize(20);
      d.train_rows = {0, 1, 2, 3, 4, 5, 6, 7};
      d.graph = std::make_shared<TextGraph>(build_text_graph(d.chunks, d.vocab, c.data.window));
      d.adj_t = std::make_shared<Csr>(d.graph->adj.transposed());
    }
    const ParamLayout L = family_layout(c, d);
    const std::vector<float> pf = init_params(L, 7);
    std::vector<double> p(pf.begin(), pf.end());
    std::mt19937 gen(9);
    for (auto& v : p) v += std::normal_distribution<double>(0, 0.05)(gen);  // non-trivial norms and biases
    Batch b;
    b.rows = f == Family::gcn ? std::vector<int64_t>{0, 1, 2, 3} : std::vector<int64_t>{0, 1, 2};
    b.noise_seed = 11;
    auto loss = [&]() {
      Tape<double> tp;
      return family_forward<double>(tp, c, d, L, p.data(), nullptr, b, nullptr, nullptr);
    };
    std::vector<double> g(p.size(), 0);
    {
      Tape<double> tp;
      family_forward<double>(tp, c, d, L, p.data(), g.data(), b, nullptr, nullptr);
      tp.backward();
    }
    // Every parameter tensor, a few entries each.
    for (const auto& q : L.params) {
      for (int64_t t = 0; t < 3; ++t) {
        const int64_t i = q.offset + int64_t(gen() % uint64_t(q.rows * q.cols));
        const double saved = p[size_t(i)], h = 1e-6;
        p[size_t(i)] = saved + h;
        const double lp = loss();
        p[size_t(i)] = saved - h;
        const double lm = loss();
        p[size_t(i)] = saved;
        INFO(q.name << "[" << i - q.offset << "]");
        CHECK(g[size_t(i)] == Approx((lp - lm) / (2 * h)).epsilon(1e-4).margin(1e-7));
      }
    }
  }
}

TEST_CASE("T5 relative buckets and span corruption", "[families]") {
  CHECK(relative_bucket(0, true, 32, 128) == 0);
  CHECK(relative_bucket(-3, true, 32, 128) == 3);
  CHECK(relative_bucket(3, true, 32, 128) == 19);
  CHECK(relative_bucket(-1000, true, 32, 128) == 15);
  CHECK(relative_bucket(5, false, 32, 128) == 0);  // decoder: future keys share bucket 0
  tensor::Rng rng(3);
  std::vector<int32_t> seq;
  for (int i = 0; i < 20; ++i) seq.push_back(100 + i);
  const SpanCorruption s = span_corrupt(seq, 0.15, 3.0, rng);
  // Reassemble: replace each sentinel of the input by its span from the target.
  std::vector<int32_t> rebuilt;
  for (int32_t t : s.input) {
    if (t >= 3 && t < 3 + kSentinels) {
      auto it = std::find(s.target.begin(), s.target.end(), t);
      REQUIRE(it != s.target.end());
      for (++it; it != s.target.end() && !(*it >= 3 && *it < 3 + kSentinels); ++it) rebuilt.push_back(*it);
    } else {
      rebuilt.push_back(t);
    }
  }
  CHECK(rebuilt == seq);
  CHECK(s.dec_input.size() == s.target.size());
  CHECK(s.dec_input[0] == kPad);
}

TEST_CASE("training lowers the loss in fp and b1.58; checkpoint round trip; eval is deterministic", "[families]") {
  const std::string dir = test::fake_brown_dir();
  const fs::path tmp = fs::temp_directory_path() / ("abacus-fam-" + std::to_string(::getpid()));
  fs::create_directories(tmp);
  for (Family f : {Family::mlp, Family::sgc, Family::gcn, Family::encoder, Family::encdec})
    for (Quant q : {Quant::fp, Quant::b158_median}) {
      INFO(fam_name(f) << " " << quant_name(q));
      const FamilyConfig c = tiny(f, q);
      const FamilyDataset d = build_dataset(c, dir);
      const ParamLayout L = family_layout(c, d);
      std::vector<float> p = init_params(L, 1);
      std::vector<double> losses;
      train_family(c, d, L, p, 1, [&](const TrainLog& l) { losses.push_back(l.loss); });
      REQUIRE(losses.size() >= 6);
      double first = 0, last = 0;
      const size_t n = losses.size() / 3;
      for (size_t i = 0; i < n; ++i) first += losses[i], last += losses[losses.size() - 1 - i];
      CHECK(last < first);
      const EvalResult e1 = evaluate_family(c, d, L, p);
      const std::string ck = (tmp / "ck.safetensors").string();
      save_family_checkpoint(ck, c, d, L, p);
      const FamilyCheckpoint loaded = load_family_checkpoint(ck);
      std::vector<float> p2 = checkpoint_params(loaded, d, L, ck);
      CHECK(p2 == p);
      const EvalResult e2 = evaluate_family(loaded.config, d, L, p2);
      CHECK(e1.loss == e2.loss);
      CHECK(e1.accuracy == e2.accuracy);
      CHECK(std::isfinite(e1.loss));
    }
  fs::remove_all(tmp);
}

TEST_CASE("family traces: records exact against int8_gemm_ref, ops per family; bad traces rejected", "[families]") {
  const std::string dir = test::fake_brown_dir();
  const fs::path tmp = fs::temp_directory_path() / ("abacus-famtr-" + std::to_string(::getpid()));
  fs::create_directories(tmp);
  for (Family f : {Family::mlp, Family::sgc, Family::gcn, Family::encoder, Family::encdec}) {
    INFO(fam_name(f));
    const FamilyConfig c = tiny(f, Quant::b158);
    const FamilyDataset d = build_dataset(c, dir);
    const ParamLayout L = family_layout(c, d);
    std::vector<float> p = init_params(L, 2);
    const std::string path = (tmp / (std::string(fam_name(f)) + ".safetensors")).string();
    const int64_t n = write_family_trace(path, c, d, L, p, 2);
    const FamilyTrace t = FamilyTrace::open(path);
    CHECK(int64_t(t.records().size()) == n);
    for (const auto& r : t.records()) {
      std::vector<int32_t> acc(size_t(r.T * r.N));
      quant::int8_gemm_ref(r.x_q, r.w_q, acc.data(), r.T, r.K, r.N);
      CHECK(std::equal(acc.begin(), acc.end(), r.acc));
      for (int64_t i = 0; i < r.T * r.N; ++i) CHECK(r.y[i] == float(r.acc[i]) / (r.x_scale[i / r.N] * r.w_scale[0]));
    }
    int attn = 0, causal = 0, spmm = 0;
    for (const auto& o : t.ops()) {
      attn += o.kind == "attention";
      causal += o.kind == "attention" && o.attn.causal;
      spmm += o.kind == "spmm";
    }
    CHECK(spmm == (f == Family::gcn ? 2 : 0));
    CHECK(attn == (f == Family::encoder ? 1 : f == Family::encdec ? 3 : 0));
    CHECK(causal == (f == Family::encdec ? 1 : 0));
    const FamilyWorkload w = family_workload(t);
    CHECK(w.zero_weight_mac_fraction > 0);
    CHECK(w.zero_weight_mac_fraction < 1);
  }
  // fp models have no integer path; a corrupt or foreign file is an error naming it.
  {
    const FamilyConfig c = tiny(Family::mlp, Quant::fp);
    const FamilyDataset d = build_dataset(c, dir);
    const ParamLayout L = family_layout(c, d);
    std::vector<float> p = init_params(L, 2);
    CHECK_THROWS_WITH(write_family_trace((tmp / "fp.safetensors").string(), c, d, L, p, 1), Catch::Contains("b1.58"));
  }
  const std::string good = (tmp / "mlp.safetensors").string(), bad = (tmp / "bad.safetensors").string();
  std::ifstream in(good, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::ofstream(bad, std::ios::binary) << bytes.substr(0, bytes.size() / 2);
  CHECK_THROWS_WITH(FamilyTrace::open(bad), Catch::Contains("bad.safetensors"));
  std::string flipped = bytes;
  const size_t pos = flipped.find("\"version\":\"1\"");
  REQUIRE(pos != std::string::npos);
  flipped[pos + 11] = '9';
  std::ofstream(bad, std::ios::binary) << flipped;
  // The header's CRC32C catches the edit before the version check does.
  CHECK_THROWS_WITH(FamilyTrace::open(bad), Catch::Contains("checksum"));
  CHECK_THROWS_WITH(load_family_checkpoint(good), Catch::Contains("format"));  // a trace is not a checkpoint
  fs::remove_all(tmp);
}
