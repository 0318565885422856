// Model quality under accelerator arithmetic on a small model trained here (tiny corpus):
// a 12-bit accumulator is measurably worse than 32-bit, and the dse quality cache evaluates
// each distinct arithmetic configuration once.
#include <catch2/catch.hpp>
#include <filesystem>

#include "src/accel/accel_arith.h"
#include "src/data/corpus.h"
#include "src/data/token_shard.h"
#include "src/data/tokenizer.h"
#include "src/eval/arith_quality.h"
#include "src/eval/perplexity.h"
#include "src/train/checkpoint.h"
#include "src/train/trainer.h"

using namespace abacus;
namespace fs = std::filesystem;

namespace {

// Trained once per process: hidden 128 (K = 128 and 256 at the projections), 2 layers.
const std::string& trained_run() {
  static std::string dir;
  if (!dir.empty()) return dir;
  ModelConfig c;
  c.name = "accel-test";
  c.hidden_size = 128;
  c.intermediate_size = 256;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 4;
  c.vocab_size = 384;
  c.max_position_embeddings = 64;
  c.quant = Quant::b158;
  TrainingHints h;
  h.lr = 4e-3;
  h.warmup_steps = 10;
  h.schedule = "linear";
  c.training = h;
  c.save("accel_test_model.json");
  train::TrainOptions o;
  o.config_path = "accel_test_model.json";
  o.data_path = std::string(ABACUS_TEST_DATA) + "/tiny-corpus";
  o.tokenizer_path = "accel_test_tokenizer.model";
  if (!fs::exists(o.tokenizer_path))
    data::Tokenizer::train(data::split_documents(data::read_documents(o.data_path)).train, 384, o.tokenizer_path);
  o.out_dir = "accel_test_runs/b158";
  fs::remove_all(o.out_dir);
  o.steps = 120;
  o.batch = 8;
  o.seq = 32;
  o.seed = 5;
  o.threads = 2;
  o.eval_windows = 8;
  o.quiet = true;
  o.device = "cpu";
  train::run_training(o);
  dir = o.out_dir;
  return dir;
}

}  // namespace

TEST_CASE("a 12-bit accumulator is measurably worse than 32-bit on a trained model", "[accel]") {
  const train::LoadedModel lm = train::load_checkpoint_model(trained_run());
  const std::vector<int32_t> val = data::read_token_shard(trained_run() + "/val.bin");
  accel::ArithConfig a32, a12;
  a12.acc_bits = 12;
  eval::LossResult r32, r12, ref;
  {
    ref = eval::evaluate_loss_inference(lm.config, lm.params.data(), val, 32, 16);
    const accel::ScopedArith on(&a32);
    r32 = eval::evaluate_loss_inference(lm.config, lm.params.data(), val, 32, 16);
  }
  {
    const accel::ScopedArith on(&a12);
    r12 = eval::evaluate_loss_inference(lm.config, lm.params.data(), val, 32, 16);
  }
  INFO("val loss: reference " << ref.loss << ", 32-bit " << r32.loss << ", 12-bit wrap " << r12.loss);
  CHECK(r32.loss == ref.loss);          // the default width is the reference
  CHECK(r12.loss > r32.loss + 0.01);    // wrap-around garbage costs loss
  a12.acc_overflow = accel::Overflow::saturate;
  const accel::ScopedArith on(&a12);
  const eval::LossResult s12 = eval::evaluate_loss_inference(lm.config, lm.params.data(), val, 32, 16);
  INFO("12-bit saturate " << s12.loss);
  CHECK(s12.loss > r32.loss);
}

TEST_CASE("the quality cache evaluates each distinct arithmetic configuration once", "[accel]") {
  const train::LoadedModel lm = train::load_checkpoint_model(trained_run());
  eval::ArithQuality q(lm.config, lm.params, data::read_token_shard(trained_run() + "/val.bin"), 32, 4);
  accel::ArithConfig a;
  const double l0 = q.at(a).loss;
  CHECK(l0 == q.reference().loss);
  CHECK(q.evaluations() == 1);
  q.at(a);  // same arithmetic again (e.g. a point differing only in dram_gbps): cached
  CHECK(q.evaluations() == 1);
  a.ppu_precision = accel::PpuPrecision::bf16;
  q.at(a);
  CHECK(q.evaluations() == 2);
  a.ppu_precision = accel::PpuPrecision::fp32;
  CHECK(q.at(a).loss == l0);
  CHECK(q.evaluations() == 2);
}

TEST_CASE("train --accel: training under 4-bit activations runs and learns", "[accel]") {
  // The forward sees the configured activation quantizer and PPU; STE backward.
  ModelConfig c = train::load_checkpoint_model(trained_run()).config;
  c.save("accel_test_model_a4.json");
  accel::ArithConfig a;
  a.act_bits = 4;
  a.ppu_precision = accel::PpuPrecision::bf16;
  const accel::ScopedArith on(&a);
  train::TrainOptions o;
  o.config_path = "accel_test_model_a4.json";
  o.data_path = std::string(ABACUS_TEST_DATA) + "/tiny-corpus";
  o.tokenizer_path = "accel_test_tokenizer.model";
  o.out_dir = "accel_test_runs/a4";
  fs::remove_all(o.out_dir);
  o.steps = 40;
  o.batch = 8;
  o.seq = 32;
  o.seed = 5;
  o.threads = 2;
  o.eval_windows = 4;
  o.quiet = true;
  o.device = "cpu";
  const train::TrainResult r = train::run_training(o);
  REQUIRE(r.losses.size() == 40);
  CHECK(r.losses.back() < r.losses.front() - 0.5);
}
