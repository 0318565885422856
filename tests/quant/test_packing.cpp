// 2-bit ternary and 1-bit binary packing: code mapping, layout, round trips, bad values.
#include <catch2/catch.hpp>

#include <random>
#include <vector>

#include "src/quant/packing.h"
#include "src/util/error.h"

using namespace abacus;
using namespace abacus::quant;

TEST_CASE("ternary codes: 00 = 0, 01 = +1, 11 = -1", "[packing]") {
  CHECK(ternary_code(0) == 0b00);
  CHECK(ternary_code(1) == 0b01);
  CHECK(ternary_code(-1) == 0b11);
  CHECK_THROWS_AS(ternary_code(2), Error);
  CHECK(ternary_value(0b10 ^ 0b10) == 0);
  CHECK_THROWS_AS(ternary_value(0b10), Error);
}

TEST_CASE("ternary layout: weight k at byte (k/128)*32 + k%32, bits 2*((k%128)/32)", "[packing]") {
  std::vector<int8_t> w(130, 0);
  w[0] = 1;     // byte 0, bits 0-1 -> 0x01
  w[33] = -1;   // byte 1, bits 2-3 -> 0x0C
  w[127] = 1;   // byte 31, bits 6-7 -> 0x40
  w[129] = -1;  // block 1: byte 33, bits 0-1 -> 0x03
  PackedTernary p = pack_ternary(w.data(), 1, 130);
  REQUIRE(p.row_bytes == 64);
  CHECK(p.bytes[0] == 0x01);
  CHECK(p.bytes[1] == 0x0C);
  CHECK(p.bytes[31] == 0x40);
  CHECK(p.bytes[33] == 0x03);
  int nonzero = 0;
  for (uint8_t b : p.bytes) nonzero += b != 0;
  CHECK(nonzero == 4);
}

TEST_CASE("ternary pack/unpack round trip over many shapes", "[packing]") {
  std::mt19937 gen(7);
  std::uniform_int_distribution<int> d(-1, 1);
  for (int64_t K : {1, 3, 4, 31, 32, 127, 128, 129, 300}) {
    for (int64_t N : {1, 5}) {
      std::vector<int8_t> w(size_t(N * K)), back(size_t(N * K), 9);
      for (auto& v : w) v = int8_t(d(gen));
      PackedTernary p = pack_ternary(w.data(), N, K);
      CHECK(p.row_bytes == ternary_row_bytes(K));
      CHECK(int64_t(p.bytes.size()) == N * p.row_bytes);
      unpack_ternary(p, back.data());
      CHECK(back == w);
    }
  }
  std::vector<int8_t> bad = {0, 2};
  CHECK_THROWS_AS(pack_ternary(bad.data(), 1, 2), Error);
  PackedTernary p = pack_ternary(std::vector<int8_t>{1, 0}.data(), 1, 2);
  p.bytes[1] = 0b10;  // weight 1 with the invalid code
  std::vector<int8_t> out(2);
  CHECK_THROWS_AS(unpack_ternary(p, out.data()), Error);
}

TEST_CASE("binary pack/unpack round trip and bit order", "[packing]") {
  std::vector<int8_t> w = {1, -1, -1, 1, -1, -1, -1, -1, 1};
  PackedBinary p = pack_binary(w.data(), 1, 9);
  REQUIRE(p.row_bytes == 2);
  CHECK(p.bytes[0] == 0x09);
  CHECK(p.bytes[1] == 0x01);
  std::vector<int8_t> back(9);
  unpack_binary(p, back.data());
  CHECK(back == w);
  std::mt19937 gen(3);
  std::vector<int8_t> big(3 * 77), big_back(3 * 77);
  for (auto& v : big) v = (gen() & 1) ? 1 : -1;
  unpack_binary(pack_binary(big.data(), 3, 77), big_back.data());
  CHECK(big_back == big);
  std::vector<int8_t> bad = {1, 0};
  CHECK_THROWS_AS(pack_binary(bad.data(), 1, 2), Error);
}
