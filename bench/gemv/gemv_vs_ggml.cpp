// Ternary GEMV side by side: abacus' int8 x packed-ternary kernel, llama.cpp/ggml's TQ2_0
// (x quantized to Q8_K) and bitnet.cpp's I2_S (int8 x), on the same shapes, interleaved and
// repeated; plus streaming read bandwidth measured in the same run. Built and run by
// run-gemv-vs-ggml.sh against ggml and bitnet.cpp sources it fetches (none are committed here).
// Every kernel is driven the same way: rows split over the same abacus thread pool, one
// call per block of rows, so the comparison is of kernels, not of thread pools.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include <immintrin.h>

#include "ggml-cpu.h"
#include "ggml.h"
#include "src/quant/packing.h"
#include "src/quant/ternary_gemm.h"
#include "src/tensor/parallel.h"

// bitnet.cpp's I2_S kernels (src/ggml-bitnet-mad.cpp), compiled from its source by the script.
extern "C++" void ggml_vec_dot_i2_i8_s_1x1(int n, float* s, size_t bs, const void* vx, size_t bx, const void* vy,
                                           size_t by, int nrc);

using namespace abacus;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

// I2_S layout (bitnet.cpp quantize_i2_s, x86): per 128 weights 32 bytes; weight j of a block at
// byte j % 32, bits 6 - 2 (j / 32); code = w + 1 (0, 1, 2).
std::vector<uint8_t> pack_i2s(const std::vector<int8_t>& w, int64_t N, int64_t K) {
  std::vector<uint8_t> out(size_t(N * K / 4), 0);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t k = 0; k < K; ++k) {
      const int64_t b = k / 128, j = k % 128;
      out[size_t(n * K / 4 + b * 32 + j % 32)] |= uint8_t((w[size_t(n * K + k)] + 1) << (6 - 2 * (j / 32)));
    }
  return out;
}

// Streaming read bandwidth: AVX-512 loads over a buffer far larger than the caches, split
// over the pool's threads (GB/s).
__attribute__((target("avx512f"))) int64_t read_range(const uint8_t* base, int64_t lo, int64_t hi) {
  const __m512i* p = reinterpret_cast<const __m512i*>(base);
  __m512i a = _mm512_setzero_si512(), b = a, c = a, d = a;
  int64_t i = lo;
  for (; i + 4 <= hi; i += 4) {
    a = _mm512_xor_si512(a, _mm512_loadu_si512(p + i));
    b = _mm512_xor_si512(b, _mm512_loadu_si512(p + i + 1));
    c = _mm512_xor_si512(c, _mm512_loadu_si512(p + i + 2));
    d = _mm512_xor_si512(d, _mm512_loadu_si512(p + i + 3));
  }
  alignas(64) int64_t lanes[8];
  _mm512_store_si512(lanes, _mm512_xor_si512(_mm512_xor_si512(a, b), _mm512_xor_si512(c, d)));
  return lanes[0];
}

double stream_read(const std::vector<uint8_t>& buf) {
  const int64_t n = int64_t(buf.size()) / 64;
  std::vector<int64_t> sink(64, 0);
  const auto t = Clock::now();
  tensor::parallel_for(0, n, 1 << 14, [&](int64_t lo, int64_t hi) { sink[size_t(lo % 64)] ^= read_range(buf.data(), lo, hi); });
  const double s = seconds_since(t);
  if (sink[0] == 42) std::printf(" ");
  return double(buf.size()) / s / 1e9;
}

struct Stats {
  std::vector<double> t;
  double min() const { return *std::min_element(t.begin(), t.end()); }
  double median() const {
    std::vector<double> v = t;
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  }
};

}  // namespace

int main(int argc, char** argv) {
  const int reps = argc > 1 ? std::atoi(argv[1]) : 7;
  ggml_cpu_init();
  const auto* tq2 = ggml_get_type_traits_cpu(GGML_TYPE_TQ2_0);
  const auto* q8k = ggml_get_type_traits_cpu(GGML_TYPE_Q8_K);
  std::printf("kernel,threads,N,K,weight_MiB,abacus_us_min,abacus_us_med,tq2_0_us_min,tq2_0_us_med,i2_s_us_min,i2_s_us_med,"
              "x_tq2_0_min,x_i2_s_min,x_tq2_0_med,x_i2_s_med,abacus_GBps,stream_GBps,abacus_pct_stream\n");
  const int64_t shapes[][2] = {{2560, 2560}, {6912, 2560}, {2560, 6912}, {4096, 4096}, {16384, 16384}};
  std::vector<uint8_t> big(size_t(1) << 30);  // 1 GiB for the bandwidth probe
  std::memset(big.data(), 1, big.size());
  for (int threads : {1, 2}) {
    tensor::set_num_threads(threads);
    for (const auto& sh : shapes) {
      const int64_t N = sh[0], K = sh[1];
      std::mt19937 g(uint32_t(N + K));
      std::vector<int8_t> w(size_t(N * K)), x(static_cast<size_t>(K));
      std::vector<float> wf(size_t(N * K)), xf(static_cast<size_t>(K));
      for (size_t i = 0; i < w.size(); ++i) {
        w[i] = int8_t(int(g() % 3) - 1);
        wf[i] = float(w[i]);
      }
      for (size_t i = 0; i < x.size(); ++i) {
        x[i] = int8_t(int(g() % 255) - 127);
        xf[i] = float(x[i]) / 127.f;
      }
      const quant::PackedTernary pw = quant::pack_ternary(w.data(), N, K);
      const size_t tq_row = ggml_row_size(GGML_TYPE_TQ2_0, K);
      std::vector<uint8_t> tq_w(tq_row * size_t(N)), xq8k(ggml_row_size(GGML_TYPE_Q8_K, K));
      ggml_quantize_chunk(GGML_TYPE_TQ2_0, wf.data(), tq_w.data(), 0, N, K, nullptr);
      q8k->from_float(xf.data(), xq8k.data(), K);
      const std::vector<uint8_t> i2_w = pack_i2s(w, N, K);
      std::vector<int32_t> acc(static_cast<size_t>(N));
      std::vector<float> y_tq(static_cast<size_t>(N)), y_i2(static_cast<size_t>(N));

      auto run_abacus = [&] { quant::ternary_gemv(x.data(), pw, acc.data()); };
      auto run_tq2 = [&] {
        tensor::parallel_for(0, N, 64, [&](int64_t lo, int64_t hi) {
          for (int64_t n = lo; n < hi; ++n)
            tq2->vec_dot(int(K), &y_tq[size_t(n)], 0, tq_w.data() + size_t(n) * tq_row, 0, xq8k.data(), 0, 1);
        });
      };
      auto run_i2 = [&] {
        tensor::parallel_for(0, N, 64, [&](int64_t lo, int64_t hi) {
          ggml_vec_dot_i2_i8_s_1x1(int(K), y_i2.data() + lo, 0, i2_w.data() + size_t(lo * K / 4), size_t(K), x.data(),
                                   0, int(hi - lo));
        });
      };
      // Correctness: I2_S returns sum (w + 1) x (bitnet.cpp subtracts sum x later), abacus sum w x;
      // TQ2_0 agrees to Q8_K rounding.
      int64_t xsum = 0;
      for (int8_t v : x) xsum += v;
      run_abacus();
      run_tq2();
      run_i2();
      int64_t bad_i2 = 0;
      double err = 0, ref = 0;
      for (int64_t n = 0; n < N; ++n) {
        bad_i2 += int64_t(y_i2[size_t(n)]) != acc[size_t(n)] + xsum;
        err += std::fabs(double(y_tq[size_t(n)]) * 127.0 - acc[size_t(n)]);
        ref += std::fabs(double(acc[size_t(n)]));
      }
      if (bad_i2 != 0 || err > 0.02 * ref) {
        std::fprintf(stderr, "kernels disagree on %lldx%lld: i2_s %lld rows, tq2_0 rel err %.4f\n", (long long)N,
                     (long long)K, (long long)bad_i2, err / ref);
        return 1;
      }
      const double bytes = double(pw.bytes.size());
      // Enough calls per timing to last ~20 ms.
      auto t0 = Clock::now();
      run_abacus();
      const int iters = std::max(1, int(0.02 / std::max(1e-7, seconds_since(t0))));
      Stats sa, st, si;
      auto time = [&](auto&& f) {
        const auto t = Clock::now();
        for (int i = 0; i < iters; ++i) f();
        return seconds_since(t) / iters * 1e6;
      };
      for (int r = 0; r < reps; ++r) {  // interleaved: one of each per round
        sa.t.push_back(time(run_abacus));
        st.t.push_back(time(run_tq2));
        si.t.push_back(time(run_i2));
      }
      double bw = 0;  // best of three probes, taken between the kernel rounds
      for (int i = 0; i < 3; ++i) bw = std::max(bw, stream_read(big));
      const double gbps = bytes / (sa.min() * 1e-6) / 1e9;
      std::printf("gemv,%d,%lld,%lld,%.2f,%.1f,%.1f,%.1f,%.1f,%.1f,%.1f,%.3f,%.3f,%.3f,%.3f,%.2f,%.2f,%.1f\n", threads,
                  (long long)N, (long long)K, bytes / 1048576.0, sa.min(), sa.median(), st.min(), st.median(), si.min(),
                  si.median(), st.min() / sa.min(), si.min() / sa.min(), st.median() / sa.median(),
                  si.median() / sa.median(), gbps, bw, 100.0 * gbps / bw);
      std::fflush(stdout);
    }
  }
  return 0;
}
