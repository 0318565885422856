#include <catch2/catch.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "src/io/safetensors.h"
#include "src/util/error.h"

using namespace abacus::io;
namespace fs = std::filesystem;

namespace {

std::string temp_path(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("abacus-test-io-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return (dir / name).string();
}

// A raw safetensors file: 8-byte little-endian length (or `lying_len`), header, data.
std::string write_raw(const std::string& name, const std::string& header, std::size_t data_bytes,
                      int64_t lying_len = -1) {
  const std::string path = temp_path(name);
  std::ofstream f(path, std::ios::binary);
  const uint64_t len = lying_len >= 0 ? uint64_t(lying_len) : header.size();
  for (int i = 0; i < 8; ++i) f.put(char(len >> (8 * i)));
  f << header << std::string(data_bytes, '\x01');
  return path;
}

// Opening `path` throws an abacus::Error whose message contains every one of `needles`.
void require_error(const std::string& path, const std::vector<std::string>& needles) {
  try {
    SafetensorsFile::open(path);
    FAIL("no error for " << path);
  } catch (const abacus::Error& e) {
    const std::string msg = e.what();
    INFO(msg);
    CHECK(msg.find(path) != std::string::npos);
    for (const auto& n : needles) CHECK(msg.find(n) != std::string::npos);
  }
}

}  // namespace

TEST_CASE("safetensors round trip for every dtype with metadata", "[io][safetensors]") {
  SafetensorsWriter w;
  w.set_metadata("format", "abacus-test");
  w.set_metadata("step", "42");
  const std::vector<float> f32 = {1.5f, -2.25f, 0.0f, 3.0e-3f, 1000.0f, -7.0f};
  w.add_f32("a.f32", {2, 3}, f32.data());
  std::vector<uint16_t> f16, bf16;
  for (float v : f32) {
    f16.push_back(f32_to_f16(v));
    bf16.push_back(f32_to_bf16(v));
  }
  w.add("b.f16", DType::F16, {6}, f16.data(), f16.size() * 2);
  w.add("c.bf16", DType::BF16, {3, 2}, bf16.data(), bf16.size() * 2);
  const int8_t i8[5] = {-128, -1, 0, 1, 127};
  w.add("d.i8", DType::I8, {5}, i8, sizeof i8);
  const uint8_t u8[3] = {0, 17, 255};
  w.add("e.u8", DType::U8, {3}, u8, sizeof u8);
  const int32_t i32[2] = {-2147483647 - 1, 2147483647};
  w.add("f.i32", DType::I32, {1, 2}, i32, sizeof i32);
  const int64_t i64[3] = {INT64_MIN, 0, INT64_MAX};
  w.add("g.i64", DType::I64, {3}, i64, sizeof i64);
  w.add("h.empty", DType::F32, {0, 4}, nullptr, 0);
  const std::string path = temp_path("roundtrip.safetensors");
  w.write(path);

  const auto f = SafetensorsFile::open(path);
  CHECK(f.metadata().at("format") == "abacus-test");
  CHECK(f.metadata().at("step") == "42");
  REQUIRE(f.tensors().size() == 8);
  {
    std::ifstream in(path, std::ios::binary);
    uint8_t len[8];
    in.read(reinterpret_cast<char*>(len), 8);
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | len[i];
    CHECK((8 + n) % 8 == 0);  // data section 8-byte aligned
  }
  CHECK(f.read_f32("a.f32") == f32);
  const auto& ta = f.expect("a.f32", DType::F32, {2, 3});
  CHECK(ta.numel() == 6);
  CHECK(reinterpret_cast<uintptr_t>(f.data(ta)) % 4 == 0);
  const auto h = f.read_f32("b.f16");
  const auto b = f.read_f32("c.bf16");
  for (std::size_t i = 0; i < f32.size(); ++i) {
    CHECK(h[i] == Approx(f32[i]).epsilon(1e-3).margin(1e-7));
    CHECK(b[i] == Approx(f32[i]).epsilon(1e-2));
  }
  CHECK(std::memcmp(f.data(f.at("d.i8")), i8, sizeof i8) == 0);
  CHECK(std::memcmp(f.data(f.at("e.u8")), u8, sizeof u8) == 0);
  CHECK(std::memcmp(f.data(f.at("f.i32")), i32, sizeof i32) == 0);
  CHECK(std::memcmp(f.data(f.at("g.i64")), i64, sizeof i64) == 0);
  CHECK(f.at("h.empty").nbytes() == 0);
  CHECK(f.find("nope") == nullptr);
  CHECK_THROWS_WITH(f.at("nope"), Catch::Contains("tensor 'nope'") && Catch::Contains("missing"));
  CHECK_THROWS_WITH(f.expect("a.f32", DType::F16, {2, 3}), Catch::Contains("dtype is F32, expected F16"));
  CHECK_THROWS_WITH(f.expect("a.f32", DType::F32, {3, 2}), Catch::Contains("shape is"));
  CHECK_THROWS_WITH(f.read_f32("d.i8"), Catch::Contains("not a float type"));
}

TEST_CASE("safetensors writer rejects bad tensors", "[io][safetensors]") {
  SafetensorsWriter w;
  const float x[4] = {};
  CHECK_THROWS_WITH(w.add("x", DType::F32, {3}, x, sizeof x), Catch::Contains("tensor 'x'") && Catch::Contains("does not match"));
  w.add("x", DType::F32, {4}, x, sizeof x);
  CHECK_THROWS_WITH(w.add("x", DType::F32, {4}, x, sizeof x), Catch::Contains("added twice"));
  CHECK_THROWS_WITH(w.add("__metadata__", DType::F32, {4}, x, sizeof x), Catch::Contains("reserved"));
}

TEST_CASE("safetensors reader rejects each kind of corrupt file", "[io][safetensors]") {
  const std::string good = R"({"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]}})";
  SECTION("a valid file opens") {
    CHECK(SafetensorsFile::open(write_raw("ok.safetensors", good, 16)).tensors().size() == 1);
  }
  SECTION("file shorter than the length field") {
    const std::string p = temp_path("tiny.safetensors");
    std::ofstream(p, std::ios::binary) << "abc";
    require_error(p, {"too short"});
  }
  SECTION("truncated file: the data section is cut") {
    require_error(write_raw("trunc.safetensors", good, 10), {"tensor 'w'", "past the end"});
  }
  SECTION("header length lies (longer than the file)") {
    require_error(write_raw("lie.safetensors", good, 16, 1000), {"header length 1000", "past the end"});
  }
  SECTION("header length absurdly large") {
    require_error(write_raw("huge.safetensors", good, 16, int64_t(1) << 40), {"header length", "exceeds"});
  }
  SECTION("header length too short cuts the JSON") {
    require_error(write_raw("short.safetensors", good, 16, 10), {"not valid JSON"});
  }
  SECTION("non-JSON header") {
    require_error(write_raw("nonjson.safetensors", "this is not json at all", 0), {"header", "not valid JSON"});
  }
  SECTION("header is JSON but not an object") {
    require_error(write_raw("array.safetensors", "[1,2,3]", 0), {"must be a JSON object"});
  }
  SECTION("offset past the end") {
    require_error(write_raw("past.safetensors", R"({"w":{"dtype":"F32","shape":[2],"data_offsets":[16,24]}})", 16),
                  {"tensor 'w'", "past the end of the data section"});
  }
  SECTION("overlapping tensors") {
    require_error(write_raw("overlap.safetensors",
                            R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
                            R"("b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})",
                            16),
                  {"overlaps"});
  }
  SECTION("overlap hidden behind an empty tensor") {
    require_error(write_raw("overlap2.safetensors",
                            R"({"a":{"dtype":"F32","shape":[8],"data_offsets":[0,32]},)"
                            R"("e":{"dtype":"F32","shape":[0],"data_offsets":[4,4]},)"
                            R"("c":{"dtype":"F32","shape":[2],"data_offsets":[16,24]}})",
                            32),
                  {"tensor 'c'", "overlaps tensor 'a'"});
  }
  SECTION("unknown dtype") {
    require_error(write_raw("dtype.safetensors", R"({"w":{"dtype":"F8_E4M3","shape":[4],"data_offsets":[0,4]}})", 4),
                  {"tensor 'w'", "unknown dtype 'F8_E4M3'"});
  }
  SECTION("shape x dtype size disagrees with the byte range") {
    require_error(write_raw("shape.safetensors", R"({"w":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}})", 16),
                  {"tensor 'w'", "12 bytes but data_offsets span 16"});
  }
  SECTION("negative shape entry") {
    require_error(write_raw("neg.safetensors", R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", 4),
                  {"tensor 'w'", "non-negative"});
  }
  SECTION("overflowing shape") {
    require_error(write_raw("ovf.safetensors",
                            R"({"w":{"dtype":"I64","shape":[4294967296,4294967296],"data_offsets":[0,8]}})", 8),
                  {"tensor 'w'", "overflows"});
  }
  SECTION("end before begin") {
    require_error(write_raw("rev.safetensors", R"({"w":{"dtype":"U8","shape":[0],"data_offsets":[8,4]}})", 8),
                  {"end < begin"});
  }
  SECTION("missing data_offsets") {
    require_error(write_raw("nooff.safetensors", R"({"w":{"dtype":"U8","shape":[1]}})", 8), {"data_offsets"});
  }
  SECTION("unknown tensor field") {
    require_error(write_raw("field.safetensors", R"({"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1],"x":1}})", 8),
                  {"unknown field 'x'"});
  }
  SECTION("metadata values must be strings") {
    require_error(write_raw("meta.safetensors", R"({"__metadata__":{"step":3}})", 0), {"__metadata__.step"});
  }
  SECTION("missing file") { require_error(temp_path("does-not-exist.safetensors"), {"cannot open"}); }
}

TEST_CASE("f16 and bf16 conversions round to nearest even", "[io][safetensors]") {
  CHECK(f32_to_f16(1.0f) == 0x3c00);
  CHECK(f32_to_f16(-2.0f) == 0xc000);
  CHECK(f32_to_f16(65504.0f) == 0x7bff);
  CHECK(f32_to_f16(65520.0f) == 0x7c00);              // rounds up to inf
  CHECK(f32_to_f16(1.0f + 1.0f / 2048) == 0x3c00);    // halfway, even stays
  CHECK(f32_to_f16(1.0f + 3.0f / 2048) == 0x3c02);    // halfway, odd rounds up
  CHECK(f32_to_f16(std::ldexp(1.0f, -24)) == 0x0001);  // smallest subnormal
  CHECK(f16_to_f32(0x0001) == std::ldexp(1.0f, -24));
  CHECK(std::isnan(f16_to_f32(f32_to_f16(std::nanf("")))));
  CHECK(std::isinf(f16_to_f32(0x7c00)));
  // Every finite half converts to f32 and back exactly.
  for (uint32_t h = 0; h < 0x10000; ++h) {
    if ((h & 0x7c00) == 0x7c00) continue;
    REQUIRE(f32_to_f16(f16_to_f32(uint16_t(h))) == h);
  }
  CHECK(f32_to_bf16(1.0f) == 0x3f80);
  CHECK(bf16_to_f32(0x3f80) == 1.0f);
  CHECK(f32_to_bf16(1.0f + 1.0f / 256) == 0x3f80);  // halfway, even stays
  CHECK(f32_to_bf16(1.0f + 3.0f / 256) == 0x3f82);  // halfway, odd rounds up
  CHECK(std::isnan(bf16_to_f32(f32_to_bf16(std::nanf("")))));
  for (uint32_t h = 0; h < 0x10000; ++h) {
    if ((h & 0x7f80) == 0x7f80) continue;
    REQUIRE(f32_to_bf16(bf16_to_f32(uint16_t(h))) == h);
  }
}
