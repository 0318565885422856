// GPU benchmark scaffold for issue 8 (needs a CUDA GPU; prints "SKIPPED: no CUDA GPU" without).
//   1. Training step of the linear-layer stack (all BitLinear/Linear matmuls of every block, their
//      quantizers and AdamW over their weights) at the b1 Table 5 125M shape (d 768, FFN 3072,
//      12 layers) and the b1.58 700M shape (d 1536, GLU 4096, 24 layers): fp BF16 vs b1.58.
//      Reports tokens/s, MFU = 6 * params * tokens/s / peak, and the b1.58 / BF16 step-time ratio.
//      Attention, embeddings, norms outside BitLinear and the loss are not in this stack.
//   2. Decode (one token) through the 700M linears: W2A8 GEMV on packed weights vs BF16 GEMV
//      (cuBLASLt, M = 1), and the W2A8 kernel's bandwidth vs the measured cudaMemcpy D2D bandwidth.
// Usage: bench_cuda [--tokens N] [--iters N] [--peak-tflops F]
#include <cuda_runtime.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "src/cuda/bitnet_cuda.h"

namespace cu = abacus::cuda;

namespace {

struct Linear {
  int64_t in, out;
};
struct Shape {
  const char* name;
  int64_t d, ff, layers;
  bool glu;
  std::vector<Linear> linears() const {  // one block's matmuls
    std::vector<Linear> v = {{d, d}, {d, d}, {d, d}, {d, d}, {d, ff}};
    if (glu) v.push_back({d, ff});
    v.push_back({ff, d});
    return v;
  }
  int64_t params() const {
    int64_t p = 0;
    for (const Linear& l : linears()) p += l.in * l.out;
    return p * layers;
  }
};

double time_seconds(const std::function<void()>& f, int iters) {
  f();  // warm-up (cuBLASLt heuristics, first-touch)
  cu::synchronize();
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < iters; ++i) f();
  cu::synchronize();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() / iters;
}

struct LayerBuffers {  // per distinct linear: weights, states, activations sized for M tokens
  cu::DeviceBuffer W, G, m, v, w_q, packed, w_scale, w_bf16, x, x_bf16, x_q, x_scale, acc, y, dy_bf16, dx;
  LayerBuffers(const Linear& l, int64_t M)
      : W(size_t(l.in * l.out) * 4), G(size_t(l.in * l.out) * 4), m(size_t(l.in * l.out) * 4),
        v(size_t(l.in * l.out) * 4), w_q(size_t(l.in * l.out)), packed(size_t(l.out * cu::packed_row_bytes(l.in))),
        w_scale(4), w_bf16(size_t(l.in * l.out) * 2), x(size_t(M * l.in) * 4), x_bf16(size_t(M * l.in) * 2),
        x_q(size_t(M * l.in)), x_scale(size_t(M) * 4), acc(size_t(M * l.out) * 4), y(size_t(M * l.out) * 4),
        dy_bf16(size_t(M * l.out) * 2), dx(size_t(M * l.in) * 4) {
    for (cu::DeviceBuffer* b : {&W, &G, &m, &v, &x, &dy_bf16, &x_bf16, &w_bf16}) b->zero();
  }
};

void train_step(const Linear& l, LayerBuffers& b, int64_t M, bool ternary, int64_t t) {
  if (ternary) {
    cu::quant_weights_ternary(cu::WeightCenter::absmean, b.W.as<float>(), l.out, l.in, 1, b.w_q.as<int8_t>(),
                              b.packed.as<uint8_t>(), b.w_scale.as<float>());
    cu::norm_quant_act(cu::Norm::rmsnorm, b.x.as<float>(), nullptr, M, l.in, 1e-5, b.x_q.as<int8_t>(),
                       b.x_scale.as<float>(), nullptr, nullptr);
    cu::int8_gemm(b.x_q.as<int8_t>(), b.w_q.as<int8_t>(), b.acc.as<int32_t>(), M, l.in, l.out);
    cu::rescale_epilogue(b.acc.as<int32_t>(), b.x_scale.as<float>(), b.w_scale.as<float>(), M, l.out, 1,
                         b.y.as<float>());
    cu::dequant_weights_bf16(b.w_q.as<int8_t>(), b.w_scale.as<float>(), l.out, l.in, 1, b.w_bf16.as<uint16_t>());
    // The backward's bf16 input x~ (stands in for dequantizing x_q; same traffic).
    cu::float_to_bf16(b.x.as<float>(), b.x_bf16.as<uint16_t>(), M * l.in);
  } else {
    cu::float_to_bf16(b.W.as<float>(), b.w_bf16.as<uint16_t>(), l.in * l.out);
    cu::gemm_bf16(false, true, M, l.out, l.in, 1.f, b.x_bf16.as<uint16_t>(), b.w_bf16.as<uint16_t>(), 0.f,
                  b.y.as<float>());
  }
  cu::bitlinear_backward_bf16(b.dy_bf16.as<uint16_t>(), b.x_bf16.as<uint16_t>(), b.w_bf16.as<uint16_t>(), M, l.in,
                              l.out, b.dx.as<float>(), b.G.as<float>());
  cu::adamw_step(b.W.as<float>(), b.G.as<float>(), b.m.as<float>(), b.v.as<float>(), l.in * l.out, t, 1e-3, 0.9,
                 0.95, 1e-8, 0.1, true);
}

}  // namespace

int main(int argc, char** argv) {
  int64_t tokens = 16384;
  int iters = 10;
  double peak_tflops = 989.0;  // H100 SXM dense BF16; pass the GPU's own figure
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--tokens")) tokens = std::atoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--iters")) iters = std::atoi(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--peak-tflops")) peak_tflops = std::atof(argv[i + 1]);
  }
  if (cu::device_count() == 0) {
    std::printf("SKIPPED: no CUDA GPU\n");
    return 0;
  }
  std::printf("GPU: %s, %lld tokens per step, %d iterations, peak %.0f TFLOP/s\n", cu::device_name(0).c_str(),
              static_cast<long long>(tokens), iters, peak_tflops);
  const Shape shapes[] = {{"125M (b1 T5)", 768, 3072, 12, false}, {"700M (b1.58)", 1536, 4096, 24, true}};

  std::printf("\n%-14s %-6s %12s %14s %8s %8s\n", "shape", "mode", "step ms", "tokens/s", "MFU", "ratio");
  for (const Shape& s : shapes) {
    // Layers of a block are distinct; the same block's buffers are reused for every layer (the
    // time per layer does not depend on which layer it is).
    std::vector<Linear> ls = s.linears();
    std::vector<LayerBuffers> bufs;
    for (const Linear& l : ls) bufs.emplace_back(l, tokens);
    double ms[2];
    for (int mode = 0; mode < 2; ++mode) {
      int64_t t = 0;
      const double sec = time_seconds(
          [&] {
            ++t;
            for (int64_t layer = 0; layer < s.layers; ++layer)
              for (size_t i = 0; i < ls.size(); ++i) train_step(ls[i], bufs[i], tokens, mode == 1, t);
          },
          iters);
      ms[mode] = sec * 1e3;
      const double tps = double(tokens) / sec, mfu = 6.0 * double(s.params()) * tps / (peak_tflops * 1e12);
      std::printf("%-14s %-6s %12.2f %14.0f %7.1f%% %8s\n", s.name, mode ? "b1.58" : "bf16", ms[mode], tps,
                  100 * mfu, mode ? (std::to_string(ms[1] / ms[0]).substr(0, 5)).c_str() : "");
    }
  }

  // Decode through the 700M linears.
  const Shape& s = shapes[1];
  std::vector<Linear> ls = s.linears();
  // Every layer has its own weight copy, as in a real model: the 700M packed weights (~0.17 GB)
  // and BF16 weights (~1.4 GB) exceed the L2 cache, so the GEMVs stream from HBM.
  std::vector<cu::DeviceBuffer> packed, wbf, xq, xbf, acc, y;
  int64_t packed_bytes = 0, bf16_bytes = 0;
  for (int64_t layer = 0; layer < s.layers; ++layer)
    for (const Linear& l : ls) {
      packed.emplace_back(size_t(l.out * cu::packed_row_bytes(l.in)));
      wbf.emplace_back(size_t(l.out * l.in) * 2);
      packed.back().zero();
      wbf.back().zero();
      packed_bytes += int64_t(packed.back().bytes());
      bf16_bytes += int64_t(wbf.back().bytes());
    }
  for (const Linear& l : ls) {
    xq.emplace_back(size_t(l.in));
    xbf.emplace_back(size_t(l.in) * 2);
    acc.emplace_back(size_t(l.out) * 4);
    y.emplace_back(size_t(l.out) * 4);
    xq.back().zero();
    xbf.back().zero();
  }
  const size_t per_block = ls.size();
  const double w2a8 = time_seconds(
      [&] {
        for (size_t j = 0; j < packed.size(); ++j) {
          const size_t i = j % per_block;
          cu::w2a8_gemv(xq[i].as<int8_t>(), packed[j].as<uint8_t>(), ls[i].out, ls[i].in, acc[i].as<int32_t>());
        }
      },
      iters);
  const double bf16 = time_seconds(
      [&] {
        for (size_t j = 0; j < wbf.size(); ++j) {
          const size_t i = j % per_block;
          cu::gemm_bf16(false, true, 1, ls[i].out, ls[i].in, 1.f, xbf[i].as<uint16_t>(), wbf[j].as<uint16_t>(), 0.f,
                        y[i].as<float>());
        }
      },
      iters);
  const size_t copy_bytes = size_t(1) << 30;
  cu::DeviceBuffer src(copy_bytes), dst(copy_bytes);
  const double copy = time_seconds([&] { cudaMemcpy(dst.as<void>(), src.as<void>(), copy_bytes, cudaMemcpyDeviceToDevice); },
                                   iters);
  const double copy_bw = 2.0 * double(copy_bytes) / copy;  // read + write
  const double w2a8_bw = double(packed_bytes) / w2a8;
  std::printf("\ndecode, %s linears only (one token):\n", s.name);
  std::printf("  W2A8 GEMV   %8.3f ms/token  %8.0f tokens/s  %7.1f GB/s\n", w2a8 * 1e3, 1.0 / w2a8, w2a8_bw / 1e9);
  std::printf("  BF16 GEMV   %8.3f ms/token  %8.0f tokens/s  %7.1f GB/s\n", bf16 * 1e3, 1.0 / bf16,
              double(bf16_bytes) / bf16 / 1e9);
  std::printf("  cudaMemcpy D2D %.1f GB/s; W2A8 reaches %.1f %% of it\n", copy_bw / 1e9, 100 * w2a8_bw / copy_bw);
  std::printf("RESULT decode size=700M w2a8_tokens_per_s=%.1f bf16_tokens_per_s=%.1f w2a8_gbps=%.1f copy_gbps=%.1f "
              "w2a8_pct_of_copy=%.2f\n",
              1.0 / w2a8, 1.0 / bf16, w2a8_bw / 1e9, copy_bw / 1e9, 100 * w2a8_bw / copy_bw);
  return 0;
}
