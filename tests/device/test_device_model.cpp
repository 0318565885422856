// The whole-model device path (src/device) on the CPU backend, which runs the GPU's arithmetic on
// the host: the orchestration (DeviceLM, the device trainer, checkpoints across devices) is
// tested here in CI; tests/cuda/test_cuda_model.cpp runs the same checks on a GPU.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "src/data/corpus.h"
#include "src/data/tokenizer.h"
#include "src/device/device_inference.h"
#include "src/device/device_trainer.h"
#include "src/model/inference.h"
#include "src/model/norm_ops.h"
#include "src/quant/act_quant.h"
#include "src/quant/int_gemm.h"
#include "src/quant/weight_quant.h"
#include "src/train/checkpoint.h"
#include "src/train/trainer.h"
#include "tests/device/model_runs.h"
#include "tests/train/micro_config.h"

using namespace abacus;
namespace fs = std::filesystem;

namespace {

struct Case {
  const char* what;
  ModelConfig config;
};

std::vector<Case> model_kinds() {
  std::vector<Case> v;
  v.push_back({"fp rmsnorm swiglu", test::micro_config(Quant::fp, NormKind::rmsnorm, FfnKind::swiglu, false)});
  v.push_back({"fp layernorm gelu subln untied",
               test::micro_config(Quant::fp, NormKind::layernorm, FfnKind::gelu, true, 2, false)});
  v.push_back({"b1 (layernorm, per-tensor activations)",
               test::micro_config(Quant::b1, NormKind::layernorm, FfnKind::swiglu, false)});
  v.push_back({"b1.58 GQA relu2-glu", test::micro_config(Quant::b158, NormKind::rmsnorm, FfnKind::relu2_glu, false, 1)});
  Case med{"b1.58-median, 2 weight groups, untied",
           test::micro_config(Quant::b158_median, NormKind::rmsnorm, FfnKind::swiglu, false, 2, false)};
  med.config.quant_groups = 2;
  v.push_back(med);
  return v;
}

}  // namespace

TEST_CASE("device path on the CPU backend trains like LanguageModel<float> for every model kind", "[device]") {
  // Differences come only from the GPU arithmetic the backend emulates: the integer BitLinear
  // forward (the fake-quantized float matmul's values up to float rounding) and bf16 operands of
  // the STE backward and of fp Linear layers. Stated bounds (measured on this machine, 2-core
  // Zen: step-0 loss 0.7e-5..2.4e-5 relative, step 4 up to 4e-4, parameters max 4.5e-3 and mean
  // up to 1.8e-4 after 4 steps at lr 2e-3): step-0 loss within 2e-4 relative, later steps 5e-3;
  // every parameter within 2 lr per step (Adam moves each by about lr per step, so even a flipped
  // update direction costs at most 2 lr) and the mean difference below lr / 4.
  const test::RunSpec spec;
  auto be = device::make_cpu_backend();
  for (const Case& k : model_kinds()) {
    INFO(k.what);
    const test::StepRun ref = test::run_reference(k.config, spec);
    const test::StepRun dev = test::run_device(*be, k.config, spec);
    REQUIRE(dev.losses.size() == ref.losses.size());
    CHECK(std::fabs(dev.losses[0] - ref.losses[0]) <= 2e-4 * ref.losses[0]);
    for (size_t s = 1; s < ref.losses.size(); ++s) CHECK(std::fabs(dev.losses[s] - ref.losses[s]) <= 5e-3 * ref.losses[s]);
    double mean = 0;
    for (size_t i = 0; i < ref.params.size(); ++i) mean += std::fabs(double(dev.params[i]) - double(ref.params[i]));
    mean /= double(ref.params.size());
    CHECK(test::max_abs_diff(dev.params, ref.params) <= 2 * spec.lr * double(spec.steps));
    CHECK(mean <= spec.lr / 4);
    if (std::getenv("ABACUS_PRINT_DIFFS"))
      std::printf("%-40s loss0 rel %.2e  last rel %.2e  param max %.2e mean %.2e\n", k.what,
                  std::fabs(dev.losses[0] - ref.losses[0]) / ref.losses[0],
                  std::fabs(dev.losses.back() - ref.losses.back()) / ref.losses.back(),
                  test::max_abs_diff(dev.params, ref.params), mean);
    // And the run learns: the device loss falls like the reference's.
    CHECK(dev.losses.back() < dev.losses.front());
  }
}

TEST_CASE("device BitLinear calls: integer parts equal the integer reference", "[device]") {
  for (const Case& k : model_kinds()) {
    if (k.config.quant == Quant::fp) continue;
    INFO(k.what);
    const ModelConfig& c = k.config;
    model::LanguageModel<float> init(c);
    init.init_weights(3);
    auto be = device::make_cpu_backend();
    device::DeviceLM m(c, *be);
    m.set_params(init.params());
    std::vector<int32_t> in, tg;
    test::batch_of(c, test::RunSpec{}, 0, in, tg);
    m.forward(in.data(), tg.data(), 2, 8);
    const std::vector<device::BitLinearCall> calls = m.bitlinear_calls();
    REQUIRE(calls.size() == size_t(c.num_hidden_layers * (c.ffn == FfnKind::gelu ? 6 : 7)));
    for (const device::BitLinearCall& r : calls) {
      INFO(r.name);
      std::vector<int32_t> acc(r.acc.size());
      quant::int8_gemm_ref(r.x_q.data(), r.w_q.data(), acc.data(), r.rows, r.K, r.N);
      REQUIRE(acc == r.acc);
      std::vector<int8_t> wq(r.w_q.size());
      std::vector<float> ws(r.w_scale.size());
      quant::quantize_weights(quant::weight_quant_for(c.quant), init.param(r.name + ".weight"), r.N, r.K, r.groups,
                              wq.data(), ws.data());
      REQUIRE(wq == r.w_q);
      REQUIRE(ws == r.w_scale);
    }
    // The first projection's input is the embedding: its x_q is the reference quantizer's.
    const device::BitLinearCall& q0 = calls[0];
    const int64_t C = c.hidden_size, rows = q0.rows;
    std::vector<float> x(static_cast<size_t>(rows * C)), xn(x.size()), mean(static_cast<size_t>(rows)), rstd(static_cast<size_t>(rows));
    for (int64_t r = 0; r < rows; ++r)
      std::copy(init.param("embed.weight") + in[size_t(r)] * C, init.param("embed.weight") + (in[size_t(r)] + 1) * C,
                x.begin() + r * C);
    const NormKind nk = c.quant == Quant::b1 ? NormKind::layernorm : NormKind::rmsnorm;
    model::norm_forward(nk, xn.data(), mean.data(), rstd.data(), x.data(), init.param("layers.0.attn.q.norm.weight"),
                        rows, C, c.rms_norm_eps);
    std::vector<int8_t> xq(xn.size());
    std::vector<float> xs(static_cast<size_t>(rows));
    const auto scope = c.quant == Quant::b1 ? quant::ActScope::per_tensor : quant::ActScope::per_token;
    quant::quantize_activations(scope, xn.data(), rows, C, 1, xq.data(), xs.data());
    REQUIRE(xq == q0.x_q);
    REQUIRE(xs[0] == q0.x_scale[0]);
  }
}

namespace {

train::TrainOptions device_options(const std::string& run, int64_t steps) {
  ModelConfig c = test::micro_config(Quant::b158, NormKind::rmsnorm, FfnKind::swiglu, false);
  c.hidden_size = 32;
  c.intermediate_size = 64;
  c.vocab_size = 384;
  c.max_position_embeddings = 32;
  TrainingHints h;
  h.lr = 4e-3;
  h.warmup_steps = 2;
  h.schedule = "linear";
  c.training = h;
  const std::string cfg = "device_test_" + run + ".json";
  c.save(cfg);
  train::TrainOptions o;
  o.config_path = cfg;
  o.data_path = std::string(ABACUS_TEST_DATA) + "/tiny-corpus";
  o.tokenizer_path = "device_test_tokenizer.model";
  if (!fs::exists(o.tokenizer_path))
    data::Tokenizer::train(data::split_documents(data::read_documents(o.data_path)).train, 384, o.tokenizer_path);
  o.out_dir = "device_test_runs/" + run;
  fs::remove_all(o.out_dir);
  o.steps = steps;
  o.batch = 4;
  o.seq = 16;
  o.seed = 9;
  o.threads = 2;
  o.eval_windows = 4;
  o.eval_every = 4;
  o.quiet = true;
  return o;
}

}  // namespace

TEST_CASE("device trainer: exact resume, and checkpoints resume across devices", "[device][train]") {
  auto be = device::make_cpu_backend();
  const train::TrainResult full = device::run_device_training(device_options("full", 8), *be);
  REQUIRE(full.losses.size() == 8);
  CHECK(full.losses.back() < full.losses.front());
  CHECK(std::isfinite(full.val_loss));

  // Stop at 4 and resume on the same device: bit-identical.
  train::TrainOptions part = device_options("part", 8);
  part.stop_after = 4;
  REQUIRE(device::run_device_training(part, *be).losses.size() == 4);
  part.stop_after = 0;
  part.resume = true;
  const train::TrainResult rest = device::run_device_training(part, *be);
  REQUIRE(rest.first_step == 4);
  REQUIRE(rest.losses.size() == 4);
  for (size_t i = 0; i < 4; ++i) CHECK(rest.losses[i] == full.losses[4 + i]);

  // The checkpoint format is the CPU trainer's: a device run resumes on the CPU and vice versa,
  // with the loss within the device path's stated tolerance (5e-3 relative) of the device run.
  train::TrainOptions cross = device_options("cross", 8);
  cross.stop_after = 4;
  device::run_device_training(cross, *be);
  const train::LoadedModel lm = train::load_checkpoint_model(cross.out_dir);
  CHECK(lm.params.size() == size_t(model::ParamLayout(lm.config).total()));
  cross.stop_after = 0;
  cross.resume = true;
  cross.device = "cpu";
  const train::TrainResult on_cpu = train::run_training(cross);
  REQUIRE(on_cpu.first_step == 4);
  REQUIRE(on_cpu.losses.size() == 4);
  for (size_t i = 0; i < 4; ++i) CHECK(std::fabs(on_cpu.losses[i] - full.losses[4 + i]) <= 5e-3 * full.losses[4 + i]);

  train::TrainOptions back = device_options("back", 8);
  back.device = "cpu";
  back.stop_after = 4;
  train::run_training(back);
  back.stop_after = 0;
  back.resume = true;
  const train::TrainResult on_dev = device::run_device_training(back, *be);
  REQUIRE(on_dev.first_step == 4);
  REQUIRE(on_dev.losses.size() == 4);
  for (size_t i = 0; i < 4; ++i) CHECK(std::fabs(on_dev.losses[i] - full.losses[4 + i]) <= 5e-3 * full.losses[4 + i]);
}

TEST_CASE("device trainer: the data-parallel gradient hook sees every step's gradients", "[device][train]") {
  // Two "ranks" with the same batch average to the same gradients: the hook (here the mean of
  // the gradients with a copy of themselves, as an allreduce over 2 identical ranks leaves
  // them) must not change the run, and it runs once per step on the whole gradient buffer.
  auto be = device::make_cpu_backend();
  const train::TrainResult plain = device::run_device_training(device_options("dp_plain", 4), *be);
  int64_t calls = 0;
  const train::TrainResult dp = device::run_device_training(
      device_options("dp_hook", 4), *be, [&](float* g, int64_t n) {
        ++calls;
        std::vector<float> other(static_cast<size_t>(n));
        be->download(other.data(), g, other.size() * 4);
        for (float& v : other) v = (v + v) / 2.f;
        be->upload(g, other.data(), other.size() * 4);
      });
  CHECK(calls == 4);
  REQUIRE(dp.losses.size() == plain.losses.size());
  for (size_t i = 0; i < dp.losses.size(); ++i) CHECK(dp.losses[i] == plain.losses[i]);
}

namespace {

// Every BitLinear record of a prefill of 5 tokens and 3 decode steps on fixed tokens.
struct Rec {
  std::string name;
  int64_t T, K, N, G_w;
  std::vector<int8_t> x_q, w_q;
  std::vector<float> x_scale, w_scale, y;
  std::vector<int32_t> acc;
};

template <class Model>
std::vector<Rec> trace_run(Model& m, std::vector<std::vector<float>>* logits) {
  std::vector<Rec> recs;
  const nn::BitLinearObserver obs = [&](const nn::BitLinearRecord& r) {
    recs.push_back({r.name, r.T, r.K, r.N, r.G_w, std::vector<int8_t>(r.x_q, r.x_q + r.T * r.K),
                    std::vector<int8_t>(r.w_q, r.w_q + r.N * r.K), std::vector<float>(r.x_scale, r.x_scale + r.T),
                    std::vector<float>(r.w_scale, r.w_scale + r.G_w), std::vector<float>(r.y, r.y + r.T * r.N),
                    std::vector<int32_t>(r.acc, r.acc + r.T * r.N)});
  };
  const std::vector<int32_t> prompt = {3, 17, 5, 29, 11}, decode = {7, 2, 19};
  logits->push_back(m.forward(prompt.data(), 5, 0, &obs));
  for (size_t i = 0; i < decode.size(); ++i) logits->push_back(m.forward(&decode[i], 1, int64_t(5 + i), &obs));
  return recs;
}

}  // namespace

TEST_CASE("device inference on the CPU backend: trace records equal InferenceModel's bit for bit", "[device][trace]") {
  // Prefill runs the int8 GEMM on w_q, decode the W2A8 GEMV arithmetic on the packed weights;
  // every integer tensor and every BitLinear output equals the CPU inference path's. Logits go
  // through the bf16 LM head (the GPU's), so they agree within bf16 rounding only.
  std::vector<ModelConfig> cfgs = {test::micro_config(Quant::b158, NormKind::rmsnorm, FfnKind::swiglu, false),
                                   test::micro_config(Quant::b1, NormKind::layernorm, FfnKind::gelu, true, 1),
                                   test::micro_config(Quant::b158_median, NormKind::rmsnorm, FfnKind::relu2_glu, false)};
  cfgs[2].quant_groups = 2;
  auto be = device::make_cpu_backend();
  for (const ModelConfig& c : cfgs) {
    INFO(quant_name(c.quant));
    model::LanguageModel<float> init(c);
    init.init_weights(11);
    model::InferenceModel cpu(c, init.params());
    device::DeviceInference dev(c, init.params(), *be);
    std::vector<std::vector<float>> lc, ld;
    const std::vector<Rec> a = trace_run(cpu, &lc), b = trace_run(dev, &ld);
    REQUIRE(a.size() == b.size());
    REQUIRE(a.size() == size_t(4 * c.num_hidden_layers * (c.ffn == FfnKind::gelu ? 6 : 7)));
    for (size_t i = 0; i < a.size(); ++i) {
      INFO(a[i].name << " record " << i);
      REQUIRE(a[i].name == b[i].name);
      REQUIRE((a[i].T == b[i].T && a[i].K == b[i].K && a[i].N == b[i].N && a[i].G_w == b[i].G_w));
      REQUIRE(a[i].x_q == b[i].x_q);
      REQUIRE(a[i].x_scale == b[i].x_scale);
      REQUIRE(a[i].w_q == b[i].w_q);
      REQUIRE(a[i].w_scale == b[i].w_scale);
      REQUIRE(a[i].acc == b[i].acc);
      REQUIRE(a[i].y == b[i].y);
    }
    for (size_t s = 0; s < lc.size(); ++s)
      for (size_t j = 0; j < lc[s].size(); ++j) REQUIRE(std::fabs(lc[s][j] - ld[s][j]) <= 2e-2f + 1e-2f * std::fabs(lc[s][j]));
  }
}
