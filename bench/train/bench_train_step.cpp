// Training throughput (tokens/s) of one full step (forward, backward, AdamW) on the CPU for
// each tiny preset: fp is the baseline, the BitNet variants are read as ratios to it
// (tokens_per_s counter). Batch 8 x seq 128, fixed tokens, all threads.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "src/model/lm.h"
#include "src/train/adamw.h"

namespace {

void train_step(benchmark::State& state, const std::string& preset) {
  const abacus::ModelConfig c = abacus::ModelConfig::load(std::string(ABACUS_SOURCE_DIR) + "/models/" + preset + ".json");
  abacus::model::LanguageModel<float> m(c);
  m.init_weights(1);
  std::vector<abacus::train::ParamSegment> segs;
  for (const auto& p : m.layout().params()) segs.push_back({p.offset, p.numel, p.decay});
  abacus::train::AdamW opt(m.num_params(), {}, segs);
  const int64_t B = 8, T = 128;
  std::vector<int32_t> in(B * T), tg(B * T);
  for (int64_t i = 0; i < B * T; ++i) {
    in[size_t(i)] = int32_t((i * 2654435761u) % uint64_t(c.vocab_size));
    tg[size_t(i)] = int32_t((i * 40503u + 7) % uint64_t(c.vocab_size));
  }
  for (auto _ : state) {
    benchmark::DoNotOptimize(m.forward(in.data(), tg.data(), B, T));
    m.zero_grad();
    m.backward();
    opt.step(m.params(), m.grads(), 1e-3, 0.1);
  }
  state.counters["tokens_per_s"] = benchmark::Counter(double(state.iterations() * B * T), benchmark::Counter::kIsRate);
}

}  // namespace

BENCHMARK_CAPTURE(train_step, tiny_1m_fp, std::string("tiny-1m-fp"))->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(train_step, tiny_1m_b1, std::string("tiny-1m-b1"))->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(train_step, tiny_1m_b158, std::string("tiny-1m-b1.58"))->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(train_step, tiny_1m_b158_median, std::string("tiny-1m-b1.58-median"))
    ->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
