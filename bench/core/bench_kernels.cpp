// int8 x packed-ternary GEMM/GEMV against fp32 OpenBLAS sgemm/sgemv of the same shape, and
// the ternary GEMV's memory bandwidth against memcpy. ratios.py turns the JSON into ratios.
// Counters: "bytes_per_second" for GEMV = packed weight bytes read per second; for memcpy =
// 2 x bytes copied (read + write traffic, STREAM "copy" convention); for the read benchmark =
// bytes read.
#include <benchmark/benchmark.h>

#include <cstring>
#include <random>
#include <vector>

#include "src/quant/packing.h"
#include "src/quant/ternary_gemm.h"
#include "src/tensor/buffer.h"
#include "src/tensor/matmul.h"
#include "src/tensor/parallel.h"

using namespace abacus;

namespace {

std::vector<int8_t> random_ternary(int64_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::vector<int8_t> w(static_cast<size_t>(n));
  for (auto& v : w) v = int8_t(int(gen() % 3) - 1);
  return w;
}
std::vector<int8_t> random_int8(int64_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::vector<int8_t> x(static_cast<size_t>(n));
  for (auto& v : x) v = int8_t(int(gen() % 255) - 127);
  return x;
}
tensor::Floats random_floats(int64_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> d(0.f, 1.f);
  tensor::Floats f(static_cast<size_t>(n));
  for (auto& v : f) v = d(gen);
  return f;
}

void BM_TernaryGemm(benchmark::State& st) {
  const int64_t T = st.range(0), K = st.range(1), N = st.range(2);
  auto w = quant::pack_ternary(random_ternary(N * K, 1).data(), N, K);
  auto x = random_int8(T * K, 2);
  std::vector<int32_t> acc(static_cast<size_t>(T * N));
  for (auto _ : st) {
    quant::ternary_gemm(x.data(), w, acc.data(), T);
    benchmark::DoNotOptimize(acc.data());
  }
  st.counters["GOPS"] = benchmark::Counter(2.0 * double(T * K * N), benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
}

void BM_Sgemm(benchmark::State& st) {
  const int64_t T = st.range(0), K = st.range(1), N = st.range(2);
  auto W = random_floats(N * K, 1), x = random_floats(T * K, 2);
  tensor::Floats y(static_cast<size_t>(T * N));
  for (auto _ : st) {
    tensor::matmul_forward(y.data(), x.data(), W.data(), static_cast<const float*>(nullptr), T, K, N);
    benchmark::DoNotOptimize(y.data());
  }
  st.counters["GOPS"] = benchmark::Counter(2.0 * double(T * K * N), benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
}

void BM_TernaryGemv(benchmark::State& st) {
  const int64_t K = st.range(0), N = st.range(1);
  auto w = quant::pack_ternary(random_ternary(N * K, 3).data(), N, K);
  auto x = random_int8(K, 4);
  std::vector<int32_t> acc(static_cast<size_t>(N));
  for (auto _ : st) {
    quant::ternary_gemv(x.data(), w, acc.data());
    benchmark::DoNotOptimize(acc.data());
  }
  st.SetBytesProcessed(int64_t(st.iterations()) * int64_t(w.bytes.size()));
}

void BM_Sgemv(benchmark::State& st) {
  const int64_t K = st.range(0), N = st.range(1);
  auto W = random_floats(N * K, 3), x = random_floats(K, 4);
  tensor::Floats y(static_cast<size_t>(N));
  for (auto _ : st) {
    tensor::matvec(y.data(), W.data(), x.data(), N, K);
    benchmark::DoNotOptimize(y.data());
  }
  st.SetBytesProcessed(int64_t(st.iterations()) * N * K * int64_t(sizeof(float)));
}

void BM_Memcpy(benchmark::State& st) {
  const int64_t bytes = st.range(0);
  std::vector<char> a(size_t(bytes), 1), b(size_t(bytes), 0);
  for (auto _ : st) {
    std::memcpy(b.data(), a.data(), size_t(bytes));
    benchmark::DoNotOptimize(b.data());
    benchmark::ClobberMemory();
  }
  st.SetBytesProcessed(int64_t(st.iterations()) * 2 * bytes);
}

// Both cores copying halves (parallel_for), the bandwidth the 2-thread kernels compete for.
void BM_MemcpyParallel(benchmark::State& st) {
  const int64_t bytes = st.range(0);
  std::vector<char> a(static_cast<size_t>(bytes), 1), b(static_cast<size_t>(bytes), 0);
  for (auto _ : st) {
    tensor::parallel_for(0, bytes, 1 << 20, [&](int64_t lo, int64_t hi) {
      std::memcpy(b.data() + lo, a.data() + lo, size_t(hi - lo));
    });
    benchmark::ClobberMemory();
  }
  st.SetBytesProcessed(int64_t(st.iterations()) * 2 * bytes);
}

// Pure streaming read with both cores (sum of 64-bit words): the ceiling for a GEMV, which
// only reads its weights.
void BM_ReadParallel(benchmark::State& st) {
  const int64_t bytes = st.range(0), words = bytes / 8;
  std::vector<uint64_t> a(static_cast<size_t>(words), 3);
  for (auto _ : st) {
    std::vector<uint64_t> part(64, 0);
    tensor::parallel_for(0, words, 1 << 17, [&](int64_t lo, int64_t hi) {
      uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
      int64_t i = lo;
      for (; i + 4 <= hi; i += 4) {
        s0 += a[size_t(i)];
        s1 += a[size_t(i + 1)];
        s2 += a[size_t(i + 2)];
        s3 += a[size_t(i + 3)];
      }
      for (; i < hi; ++i) s0 += a[size_t(i)];
      part[size_t(lo * 63 / words)] += s0 + s1 + s2 + s3;
    });
    benchmark::DoNotOptimize(part.data());
  }
  st.SetBytesProcessed(int64_t(st.iterations()) * bytes);
}

// One GEMV shape through each kernel the CPU has (0 = portable, 1 = AVX2, 2 = AVX-512 VNNI).
void BM_TernaryGemvKernel(benchmark::State& st) {
  const int64_t K = st.range(0), N = st.range(1);
  const quant::Kernel kernel = st.range(2) == 0 ? quant::Kernel::portable
                               : st.range(2) == 1 ? quant::Kernel::avx2
                                                  : quant::Kernel::avx512_vnni;
  if ((kernel == quant::Kernel::avx2 && !quant::cpu_has_avx2()) ||
      (kernel == quant::Kernel::avx512_vnni && !quant::cpu_has_avx512_vnni())) {
    st.SkipWithError("kernel not supported by this CPU");
    return;
  }
  auto w = quant::pack_ternary(random_ternary(N * K, 3).data(), N, K);
  auto x = random_int8(K, 4);
  std::vector<int32_t> acc(static_cast<size_t>(N));
  for (auto _ : st) {
    quant::ternary_gemv(x.data(), w, acc.data(), kernel);
    benchmark::DoNotOptimize(acc.data());
  }
  st.SetBytesProcessed(int64_t(st.iterations()) * int64_t(w.bytes.size()));
}

// Prefill-like GEMMs at BitNet layer shapes (700M: d 1536, GLU 4096; 2B4T: d 2560).
#define GEMM_SHAPES ->Args({64, 1536, 1536})->Args({64, 1536, 4096})->Args({128, 2560, 2560})
// Decode GEMVs; 16384 x 16384 (64 MiB packed, 1 GiB fp32) is far larger than the last-level cache.
#define GEMV_SHAPES ->Args({1536, 4096})->Args({2560, 6912})->Args({8192, 8192})->Args({16384, 16384})

BENCHMARK(BM_TernaryGemm) GEMM_SHAPES->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Sgemm) GEMM_SHAPES->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_TernaryGemv) GEMV_SHAPES->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_Sgemv) GEMV_SHAPES->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_Memcpy)->Arg(256 << 20)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_MemcpyParallel)->Arg(256 << 20)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_ReadParallel)->Arg(256 << 20)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_TernaryGemvKernel)->Args({16384, 16384, 0})->Args({16384, 16384, 1})->Args({16384, 16384, 2})->Unit(benchmark::kMicrosecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
