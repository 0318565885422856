// One training step (forward, backward, AdamW) of a model config, timed step by step:
//   train_step_timer CONFIG.json THREADS STEPS [BATCH SEQ]
// prints "step_ms WALL cpu_ms CPU" lines (the first two steps are warm-up and not printed);
// CPU time (all threads of the process) is the steadier measure on a shared machine at 1 thread. Used by
// run-train-vs-pytorch.sh beside the same model in PyTorch (torch_train_step.py).
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "src/model/lm.h"
#include "src/tensor/parallel.h"
#include "src/train/adamw.h"

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: train_step_timer CONFIG THREADS STEPS [BATCH SEQ]\n");
    return 2;
  }
  const abacus::ModelConfig c = abacus::ModelConfig::load(argv[1]);
  abacus::tensor::set_num_threads(std::atoi(argv[2]));
  const int steps = std::atoi(argv[3]);
  const int64_t B = argc > 4 ? std::atoll(argv[4]) : 8, T = argc > 5 ? std::atoll(argv[5]) : 128;
  abacus::model::LanguageModel<float> m(c);
  m.init_weights(1);
  std::vector<abacus::train::ParamSegment> segs;
  for (const auto& p : m.layout().params()) segs.push_back({p.offset, p.numel, p.decay});
  abacus::train::AdamWConfig acfg;
  acfg.beta1 = 0.9;
  acfg.beta2 = 0.95;
  abacus::train::AdamW opt(m.num_params(), acfg, segs);
  std::vector<int32_t> in(size_t(B * T)), tg(size_t(B * T));
  for (int64_t i = 0; i < B * T; ++i) {
    in[size_t(i)] = int32_t((i * 2654435761u) % uint64_t(c.vocab_size));
    tg[size_t(i)] = int32_t((i * 40503u + 7) % uint64_t(c.vocab_size));
  }
  std::printf("params %lld\n", (long long)m.num_params());
  auto cpu_ms = [] {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) * 1e-6;
  };
  for (int s = 0; s < steps + 2; ++s) {
    const auto t = std::chrono::steady_clock::now();
    const double c0 = cpu_ms();
    const double loss = m.forward(in.data(), tg.data(), B, T);
    m.zero_grad();
    m.backward();
    opt.step(m.params(), m.grads(), 1e-3, 0.1);
    const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t).count();
    const double cms = cpu_ms() - c0;
    if (s >= 2) std::printf("step_ms %.3f cpu_ms %.3f loss %.4f\n", ms, cms, loss);
  }
  return 0;
}
