// Whole-model training step on a GPU (src/device/DeviceLM on the CUDA backend): b1.58 (BitLinear:
// fused norm + int8 quantization, INT8 tensor-core GEMM, bf16 STE backward) against the BF16
// baseline (the same architecture with fp Linear layers on bf16 operands), at the 125M shape
// (transformer-125M; its b1.58 twin sets quant to b1.58) and the 700M shape (llama-700M vs
// b1.58-700M). The two modes are interleaved step by step; min and median over the steps.
// MFU = 6 * matmul parameters (non-embedding + LM head) * tokens/s / peak BF16 FLOP/s.
// Prints a table and "RESULT ..." lines (scripts/gpu-check.sh reads them).
// Usage: bench_cuda_model [--batch B] [--seq T] [--steps N] [--peak-tflops F] [--sizes 125M,700M]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "src/cuda/bitnet_cuda.h"
#include "src/cuda/cuda_backend.h"
#include "src/device/device_lm.h"
#include "src/model/lm.h"

using namespace abacus;

namespace {

struct Pair {
  const char* size;
  const char* fp_preset;
  const char* bit_preset;  // nullptr: the fp preset with quant = b1.58
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  int64_t B = 8, T = 512, steps = 6;  // 4096 tokens: both 700M models fit in 80 GB
  double peak_tflops = 989.0;  // H100/H200 SXM dense BF16
  std::string sizes = "125M,700M";
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--batch")) B = std::atoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--seq")) T = std::atoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--steps")) steps = std::atoll(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--peak-tflops")) peak_tflops = std::atof(argv[i + 1]);
    else if (!std::strcmp(argv[i], "--sizes")) sizes = argv[i + 1];
  }
  auto be = cuda::make_backend();
  if (!be) {
    std::printf("SKIPPED: no CUDA GPU\n");
    return 0;
  }
  std::printf("%s, %lld x %lld tokens per step, %lld timed steps per mode (interleaved), peak %.0f TFLOP/s\n",
              be->name(), (long long)B, (long long)T, (long long)steps, peak_tflops);
  const Pair pairs[] = {{"125M", "transformer-125M", nullptr}, {"700M", "llama-700M", "b1.58-700M"}};
  std::printf("\n%-6s %-6s %12s %12s %12s %7s %9s\n", "size", "mode", "min ms", "median ms", "tokens/s", "MFU",
              "b1.58/bf16");
  for (const Pair& p : pairs) {
    if (sizes.find(p.size) == std::string::npos) continue;
    ModelConfig cf = ModelConfig::load(resolve_model_config(p.fp_preset));
    ModelConfig cb = p.bit_preset ? ModelConfig::load(resolve_model_config(p.bit_preset)) : cf;
    if (!p.bit_preset) cb.quant = Quant::b158;
    const ModelConfig* cfgs[2] = {&cf, &cb};
    std::vector<std::unique_ptr<device::DeviceLM>> models;
    for (const ModelConfig* c : cfgs) {
      model::LanguageModel<float> init(*c);
      init.init_weights(1);
      models.push_back(std::make_unique<device::DeviceLM>(*c, *be));
      models.back()->set_params(init.params());
    }
    std::vector<int32_t> in(size_t(B * T)), tg(size_t(B * T));
    for (size_t i = 0; i < in.size(); ++i) {
      in[i] = int32_t((i * 7919) % size_t(cf.vocab_size));
      tg[i] = int32_t((i * 104729 + 1) % size_t(cf.vocab_size));
    }
    std::vector<double> ms[2];
    for (int64_t s = -1; s < steps; ++s)  // step -1 warms up (cuBLASLt heuristics, allocations)
      for (int mode = 0; mode < 2; ++mode) {
        device::DeviceLM& m = *models[size_t(mode)];
        be->synchronize();
        const auto t0 = std::chrono::steady_clock::now();
        m.forward(in.data(), tg.data(), B, T);
        m.zero_grad();
        m.backward();
        m.adamw_step(device::AdamWSettings{}, 1e-4, 0.1);
        be->synchronize();
        const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        if (s >= 0) ms[mode].push_back(dt * 1e3);
      }
    const double matmul_params = double(cf.params_non_embedding() + cf.vocab_size * cf.hidden_size);
    const double ratio = median(ms[1]) / median(ms[0]);
    for (int mode = 0; mode < 2; ++mode) {
      const double med = median(ms[mode]), mn = *std::min_element(ms[mode].begin(), ms[mode].end());
      const double tps = double(B * T) / (med * 1e-3), mfu = 6.0 * matmul_params * tps / (peak_tflops * 1e12);
      std::printf("%-6s %-6s %12.2f %12.2f %12.0f %6.1f%% %9s\n", p.size, mode ? "b1.58" : "bf16", mn, med, tps,
                  100 * mfu, mode ? std::to_string(ratio).substr(0, 5).c_str() : "");
      std::printf("RESULT train size=%s mode=%s step_ms_min=%.3f step_ms_median=%.3f tokens_per_s=%.0f mfu=%.4f\n",
                  p.size, mode ? "b1.58" : "bf16", mn, med, tps, mfu);
    }
    std::printf("RESULT ratio size=%s b158_over_bf16=%.4f\n", p.size, ratio);
  }
  return 0;
}
