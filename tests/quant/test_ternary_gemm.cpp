// The packed int8 x ternary kernels are bit-exact with int8_gemm_ref.
#include <catch2/catch.hpp>

#include <random>
#include <vector>

#include "src/quant/int_gemm.h"
#include "src/quant/packing.h"
#include "src/quant/ternary_gemm.h"

using namespace abacus::quant;

namespace {

void check_shape(int64_t T, int64_t K, int64_t N, std::mt19937& gen, bool extremes) {
  std::uniform_int_distribution<int> dx(-128, 127), dw(-1, 1);
  std::vector<int8_t> x(size_t(T * K)), w(size_t(N * K));
  for (auto& v : x) v = extremes ? int8_t(-128) : int8_t(dx(gen));
  for (auto& v : w) v = extremes ? int8_t(-1) : int8_t(dw(gen));
  std::vector<int32_t> ref(size_t(T * N)), got(size_t(T * N), 12345);
  int8_gemm_ref(x.data(), w.data(), ref.data(), T, K, N);
  PackedTernary p = pack_ternary(w.data(), N, K);
  std::vector<Kernel> kernels = {Kernel::portable, Kernel::auto_select};
  if (cpu_has_avx2()) kernels.push_back(Kernel::avx2);
  if (cpu_has_avx512_vnni()) kernels.push_back(Kernel::avx512_vnni);
  for (Kernel k : kernels) {
    INFO("T=" << T << " K=" << K << " N=" << N << " kernel=" << int(k));
    ternary_gemm(x.data(), p, got.data(), T, k);
    CHECK(got == ref);
  }
}

}  // namespace

TEST_CASE("ternary_gemm matches int8_gemm_ref on random and corner shapes", "[ternary_gemm]") {
  std::mt19937 gen(11);
  for (int64_t T : {1, 3, 4, 5, 9})
    for (int64_t K : {1, 7, 31, 32, 33, 127, 128, 129, 200, 255, 256, 257, 384, 513})
      for (int64_t N : {1, 2, 17}) check_shape(T, K, N, gen, false);
  check_shape(2, 4096, 8, gen, false);
  // Several register blocks of four outputs and both threads: GEMV and small GEMM.
  check_shape(1, 2048, 203, gen, false);
  check_shape(6, 1024, 130, gen, false);
  check_shape(1, 640, 64, gen, false);
}

TEST_CASE("ternary_gemm is exact at the int8 extremes (-128 times -1)", "[ternary_gemm]") {
  std::mt19937 gen(1);
  check_shape(3, 1000, 5, gen, true);  // sum = 128 * 1000 per output
  check_shape(1, 1000, 9, gen, true);  // the GEMV register blocks
}

TEST_CASE("ternary_gemv equals the T = 1 gemm", "[ternary_gemm]") {
  std::mt19937 gen(5);
  const int64_t K = 300, N = 70;
  std::vector<int8_t> x(K), w(size_t(N * K));
  for (auto& v : x) v = int8_t(int(gen() % 256) - 128);
  for (auto& v : w) v = int8_t(int(gen() % 3) - 1);
  std::vector<int32_t> ref(N), got(N);
  int8_gemm_ref(x.data(), w.data(), ref.data(), 1, K, N);
  ternary_gemv(x.data(), pack_ternary(w.data(), N, K), got.data());
  CHECK(got == ref);
}

TEST_CASE("binary weights run through the ternary kernel exactly", "[ternary_gemm]") {
  std::mt19937 gen(9);
  const int64_t T = 3, K = 150, N = 6;
  std::vector<int8_t> x(size_t(T * K)), w(size_t(N * K));
  for (auto& v : x) v = int8_t(int(gen() % 256) - 128);
  for (auto& v : w) v = (gen() & 1) ? 1 : -1;
  std::vector<int32_t> ref(size_t(T * N)), got(size_t(T * N));
  int8_gemm_ref(x.data(), w.data(), ref.data(), T, K, N);
  ternary_gemm(x.data(), pack_ternary(w.data(), N, K), got.data(), T);
  CHECK(got == ref);
}
