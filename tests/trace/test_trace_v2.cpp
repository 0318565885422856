// Trace format v2 (src/trace/trace.h): weights once per layer, 2-bit packed; record sampling
// (layers, max_tokens); version 1 files still read; operand statistics (operand_stats.h)
// against a brute-force count.
#include <catch2/catch.hpp>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <unistd.h>

#include "src/io/safetensors.h"
#include "src/model/inference.h"
#include "src/model/lm.h"
#include "src/quant/packing.h"
#include "src/trace/operand_stats.h"
#include "src/trace/trace.h"
#include "src/trace/workload.h"
#include "src/util/error.h"
#include "tests/trace/trace_fixture.h"

using namespace abacus;
namespace fs = std::filesystem;

namespace {

std::string temp_path(const std::string& name) {
  return (fs::temp_directory_path() / ("abacus-trace-v2-" + std::to_string(::getpid()) + "-" + name)).string();
}

// Runs the tiny model (prefill of 7 tokens + `decode` steps) into a writer with `sampling`.
void run_into(const ModelConfig& c, const std::string& path, int decode, trace::TraceSampling sampling) {
  model::LanguageModel<float> lm(c);
  lm.init_weights(7);
  model::InferenceModel inf(c, lm.params());
  std::vector<int32_t> prompt = {1, 5, 9, 3, 17, 22, 8};
  trace::TraceWriter w(c, prompt, sampling);
  w.begin_step(0, prompt);
  std::vector<float> logits = inf.forward(prompt.data(), 7, 0, &w.observer());
  for (int s = 1; s <= decode; ++s) {
    const int32_t next = int32_t(s * 3 % c.vocab_size);
    w.begin_step(6 + s, {next});
    logits = inf.forward(&next, 1, 6 + s, &w.observer());
  }
  w.write(path);
}

// A version 1 file with the same content as an unsampled v2 trace: w_q and w_scale in every record.
void write_as_v1(const trace::TraceFile& t, const std::string& path) {
  io::SafetensorsWriter w;
  for (const auto& [k, v] : t.file().metadata())
    if (k != "sampling") w.set_metadata(k, k == "version" ? "1" : v);
  for (const trace::TraceRecord& r : t.records()) {
    const std::string pre = r.name + ".";
    for (const char* n : {"x_q", "x_scale", "x_offset", "acc", "y"})
      if (const io::TensorInfo* ti = t.file().find(pre + n)) w.add(ti->name, ti->dtype, ti->shape, t.file().data(*ti), ti->nbytes());
    w.add(pre + "w_q", io::DType::I8, {r.N, r.K}, r.w_q, std::size_t(r.N * r.K));
    w.add(pre + "w_scale", io::DType::F32, {r.G_w}, r.w_scale, std::size_t(r.G_w) * 4);
  }
  w.write(path);
}

}  // namespace

TEST_CASE("trace v2 stores each layer's weights once, packed, and reads back the same records", "[trace][v2]") {
  for (Quant q : {Quant::b158, Quant::b1}) {
    const ModelConfig c = test::tiny_config(q);
    const std::string p2 = temp_path("full.safetensors"), p1 = temp_path("v1.safetensors");
    const auto captured = test::make_trace(c, p2, 3);
    const trace::TraceFile t = trace::TraceFile::open(p2);
    CHECK(t.version() == 2);
    CHECK(!t.sampled());
    REQUIRE(t.records().size() == 4u * 2 * 7);
    int64_t packed_tensors = 0;
    for (const io::TensorInfo& ti : t.file().tensors()) packed_tensors += ti.name.find(".w_packed") != std::string::npos;
    CHECK(packed_tensors == 2 * 7);  // layers x projections, not x steps
    for (const trace::TraceRecord& r : t.records()) {
      INFO(r.name);
      const auto& k = captured.at(r.name);
      CHECK(std::memcmp(r.acc, k.acc.data(), k.acc.size() * 4) == 0);
      CHECK(r.T == r.step_tokens);
      // acc is x_q . w_q with the unpacked weights
      for (int64_t t0 = 0; t0 < r.T; ++t0)
        for (int64_t n = 0; n < r.N; ++n) {
          int64_t a = 0;
          for (int64_t kk = 0; kk < r.K; ++kk) a += int64_t(r.x_q[t0 * r.K + kk]) * r.w_q[n * r.K + kk];
          REQUIRE(a == r.acc[t0 * r.N + n]);
        }
    }
    // Version 1 with the same content reads to the same records and workload.
    write_as_v1(t, p1);
    const trace::TraceFile t1 = trace::TraceFile::open(p1);
    CHECK(t1.version() == 1);
    REQUIRE(t1.records().size() == t.records().size());
    for (std::size_t i = 0; i < t.records().size(); ++i) {
      const auto &a = t.records()[i], &b = t1.records()[i];
      CHECK(std::memcmp(a.w_q, b.w_q, std::size_t(a.N * a.K)) == 0);
      CHECK(std::memcmp(a.x_q, b.x_q, std::size_t(a.T * a.K)) == 0);
    }
    const trace::TraceWorkload w2 = trace::extract_workload(t), w1 = trace::extract_workload(t1);
    CHECK(w2.macs == w1.macs);
    CHECK(w2.zero_weight_mac_fraction == w1.zero_weight_mac_fraction);
    CHECK(w2.skippable_mac_fraction == w1.skippable_mac_fraction);
    CHECK(fs::file_size(p2) < fs::file_size(p1));
    fs::remove(p1);
    fs::remove(p2);
  }
}

TEST_CASE("trace v2 sampling keeps the chosen layers and the first token rows", "[trace][v2]") {
  const ModelConfig c = test::tiny_config(Quant::b158);
  const std::string full = temp_path("all.safetensors"), part = temp_path("part.safetensors");
  run_into(c, full, 2, {});
  trace::TraceSampling s;
  s.layers = {1};
  s.max_tokens = 3;
  run_into(c, part, 2, s);
  const trace::TraceFile a = trace::TraceFile::open(full), b = trace::TraceFile::open(part);
  CHECK(b.sampled());
  CHECK(b.layers() == std::vector<int64_t>{1});
  CHECK(b.max_tokens() == 3);
  REQUIRE(b.records().size() == 3u * 7);
  for (const trace::TraceRecord& r : b.records()) {
    INFO(r.name);
    CHECK(r.block == 1);
    CHECK(r.T == std::min<int64_t>(r.step_tokens, 3));
    const trace::TraceRecord* f = a.find(r.name);
    REQUIRE(f);
    CHECK(std::memcmp(f->x_q, r.x_q, std::size_t(r.T * r.K)) == 0);
    CHECK(std::memcmp(f->acc, r.acc, std::size_t(r.T * r.N) * 4) == 0);
    CHECK(std::memcmp(f->w_q, r.w_q, std::size_t(r.N * r.K)) == 0);
  }
  CHECK(trace::extract_workload(b).sampled);
  CHECK(trace::parse_layer_list("0,5,2-3", "--layers") == std::vector<int64_t>{0, 2, 3, 5});
  CHECK_THROWS_AS(trace::parse_layer_list("3-1", "--layers"), Error);
  CHECK_THROWS_AS(trace::parse_layer_list("a", "--layers"), Error);
  trace::TraceSampling bad;
  bad.layers = {9};
  CHECK_THROWS_AS(trace::TraceWriter(c, {1, 2}, bad), Error);
  fs::remove(full);
  fs::remove(part);
}

TEST_CASE("trace v2: a corrupt packed weight is an error naming the tensor", "[trace][v2]") {
  const ModelConfig c = test::tiny_config(Quant::b158);
  const std::string p = temp_path("corrupt.safetensors");
  run_into(c, p, 0, {});
  uint64_t off = 0;
  {
    const io::SafetensorsFile f = io::SafetensorsFile::open(p);
    uint64_t hlen = 0;
    std::FILE* fp = std::fopen(p.c_str(), "rb");
    REQUIRE(std::fread(&hlen, 8, 1, fp) == 1);
    std::fclose(fp);
    off = 8 + hlen + f.at("weights.layers.0.attn.k.w_packed").begin;
  }
  std::FILE* fp = std::fopen(p.c_str(), "r+b");
  std::fseek(fp, long(off), SEEK_SET);
  const unsigned char code10 = 0b10;  // the invalid 2-bit code
  std::fwrite(&code10, 1, 1, fp);
  std::fclose(fp);
  try {
    trace::TraceFile::open(p);
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("weights.layers.0.attn.k.w_packed") != std::string::npos);
  }
  fs::remove(p);
}

TEST_CASE("operand statistics equal a brute-force count", "[trace][stats]") {
  const ModelConfig c = test::tiny_config(Quant::b158);
  const std::string p = temp_path("stats.safetensors");
  run_into(c, p, 2, {});
  const trace::TraceFile t = trace::TraceFile::open(p);
  const std::vector<trace::OperandStats> st = trace::operand_stats(t);
  REQUIRE(st.back().proj == "all");
  REQUIRE(st.size() == 8);
  for (const trace::OperandStats& s : st) {
    INFO(s.proj);
    double macs = 0, skip = 0;
    int64_t zx = 0, nx = 0, toggles = 0, beats = 0, peak = 0;
    for (const trace::TraceRecord& r : t.records()) {
      if (s.proj != "all" && r.proj != s.proj) continue;
      for (int64_t i = 0; i < r.T; ++i)
        for (int64_t k = 0; k < r.K; ++k) {
          const int x = r.x_q[i * r.K + k];
          zx += x == 0;
          ++nx;
          if (i + 1 < r.T) {
            toggles += __builtin_popcount(unsigned(uint8_t(x ^ r.x_q[(i + 1) * r.K + k])));
            ++beats;
          }
          for (int64_t n = 0; n < r.N; ++n) {
            macs += 1;
            skip += (x == 0 || r.w_q[n * r.K + k] == 0);
          }
        }
      for (int64_t i = 0; i < r.T * r.N; ++i) peak = std::max<int64_t>(peak, std::llabs(r.acc[i]));
    }
    CHECK(s.macs == macs);
    CHECK(s.skippable_macs == skip);
    CHECK(s.zero_activations == zx);
    CHECK(s.activations == nx);
    CHECK(s.toggled_bits == toggles);
    CHECK(s.lane_beats == beats);
    CHECK(s.acc_peak == peak);
    CHECK(s.acc_bits() >= 2);
    CHECK((int64_t(1) << (s.acc_bits() - 1)) > s.acc_peak);
  }
  CHECK(trace::extract_workload(t).skippable_mac_fraction == st.back().skippable_mac_fraction());
  CHECK(st.back().skippable_mac_fraction() >= st.back().zero_weight_mac_fraction());
  fs::remove(p);
}
