// Trace format: a trace of a tiny BitNet model's inference holds exactly what the model
// computed (acc recomputed by the integer reference, y equal to the layer outputs the model
// produced), and edited or truncated traces are rejected with an error naming the record.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "src/io/atomic_file.h"
#include "src/io/safetensors.h"
#include "src/model/inference.h"
#include "src/model/lm.h"
#include "src/quant/int_gemm.h"
#include "src/trace/trace.h"
#include "src/trace/workload.h"
#include "src/util/error.h"
#include "tests/trace/trace_fixture.h"

using namespace abacus;
using abacus::test::Captured;
using abacus::test::make_trace;
using abacus::test::tiny_config;

namespace {

std::string temp_path(const std::string& name) { return std::string(ABACUS_BINARY_DIR) + "/tests/trace/" + name; }

std::string open_error(const std::string& path) {
  try {
    trace::TraceFile::open(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// Rewrites a trace tensor by tensor; `edit` may change a tensor's shape/dtype/bytes or drop it.
struct Tensor {
  io::DType dtype;
  std::vector<int64_t> shape;
  std::vector<uint8_t> bytes;
};
void rewrite(const std::string& src, const std::string& dst,
             const std::function<bool(const std::string&, Tensor&)>& edit) {
  io::SafetensorsFile f = io::SafetensorsFile::open(src);
  io::SafetensorsWriter w;
  for (const auto& kv : f.metadata()) w.set_metadata(kv.first, kv.second);
  for (const auto& ti : f.tensors()) {
    Tensor t{ti.dtype, ti.shape, std::vector<uint8_t>(f.data(ti), f.data(ti) + ti.nbytes())};
    if (!edit(ti.name, t)) continue;
    w.add(ti.name, t.dtype, t.shape, t.bytes.data(), t.bytes.size());
  }
  w.write(dst);
}

}  // namespace

TEST_CASE("trace records hold exactly what the model computed", "[trace]") {
  for (Quant q : {Quant::b158, Quant::b1, Quant::b158_median}) {
    CAPTURE(quant_name(q));
    const ModelConfig c = tiny_config(q);
    const std::string path = temp_path(std::string("exact-") + quant_name(q) + ".safetensors");
    const auto captured = make_trace(c, path, 3);
    const trace::TraceFile t = trace::TraceFile::open(path);

    REQUIRE(t.steps().size() == 4);
    REQUIRE(t.tokens().size() == 10);
    REQUIRE(t.prompt_tokens() == 7);
    REQUIRE(t.quant() == q);
    REQUIRE(t.records().size() == 4 * 2 * 7);  // steps x layers x projections
    REQUIRE(t.records().size() == captured.size());
    CHECK(t.records().front().name == "step0.layers.0.attn.q");
    for (const trace::TraceRecord& r : t.records()) {
      CAPTURE(r.name);
      REQUIRE(captured.count(r.name));
      const Captured& k = captured.at(r.name);
      CHECK(r.T == (r.step == 0 ? 7 : 1));
      std::vector<int32_t> acc(std::size_t(r.T * r.N));
      quant::int8_gemm_ref(r.x_q, r.w_q, acc.data(), r.T, r.K, r.N);
      CHECK(std::memcmp(acc.data(), r.acc, acc.size() * 4) == 0);
      CHECK(std::memcmp(k.acc.data(), r.acc, acc.size() * 4) == 0);
      // y is the layer output the model produced, bit for bit ...
      CHECK(std::memcmp(k.y.data(), r.y, k.y.size() * 4) == 0);
      // ... and, in the unshifted form, the stated dequantization of acc.
      if (!r.x_offset) {
        int64_t bad = 0;
        for (int64_t i = 0; i < r.T; ++i)
          for (int64_t n = 0; n < r.N; ++n) {
            const float expect = float(r.acc[i * r.N + n]) / (r.x_scale[i] * r.w_scale[r.weight_group(n)]);
            bad += expect != r.y[i * r.N + n];
          }
        CHECK(bad == 0);
      }
      for (int64_t i = 0; i < r.N * r.K; ++i) {
        if (q == Quant::b1) REQUIRE((r.w_q[i] == 1 || r.w_q[i] == -1));
        else REQUIRE((r.w_q[i] >= -1 && r.w_q[i] <= 1));
      }
    }
  }
}

TEST_CASE("workload extraction counts shapes, zeros and activation statistics", "[trace]") {
  const ModelConfig c = tiny_config(Quant::b158);
  const std::string path = temp_path("workload.safetensors");
  make_trace(c, path, 2);
  const trace::TraceFile t = trace::TraceFile::open(path);
  const trace::TraceWorkload w = trace::extract_workload(t);
  REQUIRE(w.gemms.size() == t.records().size());
  CHECK(w.tokens == 9);
  CHECK(w.prompt_tokens == 7);
  CHECK(w.decode_steps == 2);
  // Independent count: weights of step 0 (each layer once), activations of every record.
  int64_t weights = 0, zeros = 0, acts = 0, zero_acts = 0, abs_sum = 0;
  double macs = 0;
  for (const auto& r : t.records()) {
    macs += double(r.T * r.K * r.N);
    for (int64_t i = 0; i < r.T * r.K; ++i) {
      ++acts;
      zero_acts += r.x_q[i] == 0;
      abs_sum += r.x_q[i] < 0 ? -r.x_q[i] : r.x_q[i];
    }
    if (r.step != 0) continue;
    for (int64_t i = 0; i < r.N * r.K; ++i) {
      ++weights;
      zeros += r.w_q[i] == 0;
    }
  }
  CHECK(w.macs == macs);
  CHECK(w.weight_count == weights);
  CHECK(w.zero_weight_count == zeros);
  CHECK(zeros > 0);  // absmean ternary weights of a random init have zeros
  CHECK(w.zero_weight_fraction == Approx(double(zeros) / double(weights)));
  // Every step runs every layer, so the MAC-weighted fraction equals the per-weight one.
  CHECK(w.zero_weight_mac_fraction == Approx(w.zero_weight_fraction));
  CHECK(w.activation_count == acts);
  CHECK(w.zero_activation_fraction == Approx(double(zero_acts) / double(acts)));
  CHECK(w.mean_abs_x_q == Approx(double(abs_sum) / double(acts)));
  CHECK(w.gemms[0].T == 7);
  CHECK(w.gemms[0].K == 32);
  CHECK(w.gemms[0].N == 32);
  CHECK(w.gemms[1].N == 16);  // attn.k: kv_dim = 2 heads x 8
}

TEST_CASE("edited or truncated traces are rejected naming the record", "[trace]") {
  const ModelConfig c = tiny_config(Quant::b158);
  const std::string good = temp_path("good.safetensors");
  make_trace(c, good, 1);
  REQUIRE(open_error(good).empty());
  const std::string bad = temp_path("bad.safetensors");
  const std::string victim = "step1.layers.1.ffn.up";

  SECTION("truncated file") {
    std::string bytes = io::read_file(good);
    io::write_file_atomic(bad, std::string_view(bytes).substr(0, bytes.size() - 100));
    CHECK_FALSE(open_error(bad).empty());
  }
  SECTION("missing tensor") {
    rewrite(good, bad, [&](const std::string& n, Tensor&) { return n != victim + ".acc"; });
    const std::string e = open_error(bad);
    CHECK(e.find(victim + ".acc") != std::string::npos);
  }
  SECTION("wrong shape") {
    rewrite(good, bad, [&](const std::string& n, Tensor& t) {
      if (n == victim + ".y") {
        t.shape = {t.shape[1], t.shape[0]};  // [N, T] instead of [T, N]
      }
      return true;
    });
    const std::string e = open_error(bad);
    CHECK(e.find(victim + ".y") != std::string::npos);
  }
  SECTION("wrong dtype") {
    rewrite(good, bad, [&](const std::string& n, Tensor& t) {
      if (n == victim + ".x_q") t.dtype = io::DType::U8;
      return true;
    });
    const std::string e = open_error(bad);
    CHECK(e.find(victim + ".x_q") != std::string::npos);
  }
  SECTION("weight out of the ternary set") {  // format v2: the layer's packed weights, code 10
    rewrite(good, bad, [&](const std::string& n, Tensor& t) {
      if (n == "weights.layers.1.ffn.up.w_packed") t.bytes[5] = 0b10;
      return true;
    });
    const std::string e = open_error(bad);
    CHECK(e.find("weights.layers.1.ffn.up.w_packed") != std::string::npos);
  }
  SECTION("non-positive scale") {
    rewrite(good, bad, [&](const std::string& n, Tensor& t) {
      if (n == victim + ".x_scale") std::memset(t.bytes.data(), 0, 4);
      return true;
    });
    CHECK(open_error(bad).find(victim + ".x_scale") != std::string::npos);
  }
  SECTION("a whole record missing") {
    rewrite(good, bad, [&](const std::string& n, Tensor&) { return n.rfind(victim + ".", 0) != 0; });
    CHECK(open_error(bad).find(victim) != std::string::npos);
  }
  SECTION("stray tensor") {
    io::SafetensorsFile f = io::SafetensorsFile::open(good);
    io::SafetensorsWriter w;
    for (const auto& kv : f.metadata()) w.set_metadata(kv.first, kv.second);
    for (const auto& ti : f.tensors()) w.add(ti.name, ti.dtype, ti.shape, f.data(ti), ti.nbytes());
    const float extra = 1.f;
    w.add("step0.layers.0.attn.q.extra", io::DType::F32, {1}, &extra, 4);
    w.write(bad);
    CHECK(open_error(bad).find("step0.layers.0.attn.q.extra") != std::string::npos);
  }
  SECTION("wrong format name") {
    io::SafetensorsFile f = io::SafetensorsFile::open(good);
    io::SafetensorsWriter w;
    for (const auto& kv : f.metadata()) w.set_metadata(kv.first, kv.first == "format" ? "other" : kv.second);
    for (const auto& ti : f.tensors()) w.add(ti.name, ti.dtype, ti.shape, f.data(ti), ti.nbytes());
    w.write(bad);
    CHECK(open_error(bad).find("format") != std::string::npos);
  }
}

TEST_CASE("the writer refuses an fp model and empty traces", "[trace]") {
  CHECK_THROWS_AS(trace::TraceWriter(tiny_config(Quant::fp), {1, 2}), Error);
  trace::TraceWriter w(tiny_config(Quant::b158), {1, 2});
  CHECK_THROWS_AS(w.write(temp_path("empty.safetensors")), Error);
}
