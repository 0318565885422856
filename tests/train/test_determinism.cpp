// Same bits at any thread count (fixed tiles in matmul.h, fixed reduction order) and the
// fixed-tree gradient accumulation of data-parallel training (src/dist).
#include <catch2/catch.hpp>
#include <filesystem>
#include <random>

#include "src/data/corpus.h"
#include "src/data/tokenizer.h"
#include "src/dist/communicator.h"
#include "src/dist/tree_order.h"
#include "src/io/atomic_file.h"
#include "src/model/config.h"
#include "src/tensor/matmul.h"
#include "src/tensor/parallel.h"
#include "src/train/trainer.h"
#include "src/util/error.h"

using namespace abacus;
namespace fs = std::filesystem;

namespace {

ModelConfig det_config(Quant q) {
  ModelConfig c;
  c.name = "det";
  c.hidden_size = 64;
  c.intermediate_size = 160;
  c.num_hidden_layers = 2;
  c.num_attention_heads = 4;
  c.num_key_value_heads = 4;
  c.vocab_size = 384;
  c.max_position_embeddings = 64;
  c.quant = q;
  c.norm = q == Quant::b1 ? NormKind::layernorm : NormKind::rmsnorm;
  c.ffn = q == Quant::b1 ? FfnKind::gelu : FfnKind::swiglu;
  c.hidden_act = q == Quant::b1 ? "gelu" : "silu";
  TrainingHints h;
  h.lr = 4e-3;
  h.warmup_steps = 2;
  h.schedule = "linear";
  c.training = h;
  return c;
}

train::TrainOptions det_options(Quant q, const std::string& run, int threads) {
  const std::string cfg = std::string("det_") + quant_name(q) + ".json";
  det_config(q).save(cfg);
  train::TrainOptions o;
  o.config_path = cfg;
  o.data_path = std::string(ABACUS_TEST_DATA) + "/tiny-corpus";
  o.tokenizer_path = "det_tokenizer.model";
  if (!fs::exists(o.tokenizer_path))
    data::Tokenizer::train(data::split_documents(data::read_documents(o.data_path)).train, 384, o.tokenizer_path);
  o.out_dir = "det_runs/" + run;
  fs::remove_all(o.out_dir);
  o.steps = 6;
  o.batch = 8;
  o.seq = 32;
  o.seed = 11;
  o.threads = threads;
  o.eval_windows = 8;
  o.quiet = true;
  return o;
}

std::string newest_generation(const std::string& run) {
  std::string best;
  for (const auto& e : std::filesystem::directory_iterator(run + "/checkpoints")) {
    const std::string name = e.path().filename().string();
    if (name.rfind("step-", 0) == 0 && name.find(".tmp") == std::string::npos && name > best) best = name;
  }
  REQUIRE(!best.empty());
  return run + "/checkpoints/" + best;
}

}  // namespace

TEST_CASE("training a few steps at 1 and 2 threads writes the same bytes", "[determinism]") {
  for (Quant q : {Quant::b158, Quant::fp, Quant::b1}) {
    INFO("quant " << quant_name(q));
    const train::TrainResult one = train::run_training(det_options(q, std::string("t1_") + quant_name(q), 1));
    const train::TrainResult two = train::run_training(det_options(q, std::string("t2_") + quant_name(q), 2));
    tensor::set_num_threads(2);
    REQUIRE(one.losses.size() == two.losses.size());
    for (size_t i = 0; i < one.losses.size(); ++i) CHECK(one.losses[i] == two.losses[i]);  // exact
    const std::string a = "det_runs/t1_" + std::string(quant_name(q)), b = "det_runs/t2_" + std::string(quant_name(q));
    CHECK(io::read_file(a + "/model.safetensors") == io::read_file(b + "/model.safetensors"));
    // The optimizer state lives only in the newest checkpoint generation (src/train/checkpoint.h).
    CHECK(io::read_file(newest_generation(a) + "/optimizer.safetensors") ==
          io::read_file(newest_generation(b) + "/optimizer.safetensors"));
  }
}

TEST_CASE("micro-batches change the step only through the fixed tree, not the thread count", "[determinism]") {
  // Two micro-batches of 4 sequences at 1 and at 2 threads: identical; and the same losses
  // to float rounding as one batch of 8 (the gradient is the same mean, added differently).
  train::TrainOptions m1 = det_options(Quant::b158, "micro_t1", 1);
  m1.micro_batch = 4;
  train::TrainOptions m2 = det_options(Quant::b158, "micro_t2", 2);
  m2.micro_batch = 4;
  const train::TrainResult r1 = train::run_training(m1), r2 = train::run_training(m2);
  const train::TrainResult whole = train::run_training(det_options(Quant::b158, "micro_whole", 2));
  for (size_t i = 0; i < r1.losses.size(); ++i) {
    CHECK(r1.losses[i] == r2.losses[i]);
    CHECK(r1.losses[i] == Approx(whole.losses[i]).epsilon(1e-3));
  }
  CHECK(io::read_file("det_runs/micro_t1/model.safetensors") == io::read_file("det_runs/micro_t2/model.safetensors"));
}

TEST_CASE("a micro-batch that does not divide the batch is an error naming the flag", "[determinism]") {
  train::TrainOptions o = det_options(Quant::b158, "micro_bad", 1);
  o.micro_batch = 3;
  try {
    train::run_training(o);
    FAIL("no error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("--micro-batch") != std::string::npos);
  }
}

TEST_CASE("rank splits that follow the summation tree", "[determinism]") {
  CHECK(dist::rank_split_follows_tree(8, 1));
  CHECK(dist::rank_split_follows_tree(8, 2));
  CHECK(dist::rank_split_follows_tree(8, 4));
  CHECK(dist::rank_split_follows_tree(8, 8));
  CHECK(dist::rank_split_follows_tree(3, 3));   // one micro-batch per rank: any count
  CHECK(dist::rank_split_follows_tree(6, 6));
  CHECK_FALSE(dist::rank_split_follows_tree(6, 3));  // [0,6) splits at 3, not at a rank edge of 2
  CHECK_FALSE(dist::rank_split_follows_tree(8, 3));
  CHECK_FALSE(dist::rank_split_follows_tree(2, 4));
  CHECK(dist::rank_split_follows_tree(12, 4));
}

TEST_CASE("matmul and parallel_sum give the same bits at 1, 2 and 3 threads", "[determinism]") {
  std::mt19937 g(3);
  std::normal_distribution<float> d;
  const int64_t rows = 200, C = 96, OC = 130;
  std::vector<float> x(size_t(rows * C)), w(size_t(OC * C)), dy(size_t(rows * OC));
  for (float& v : x) v = d(g);
  for (float& v : w) v = d(g);
  for (float& v : dy) v = d(g);
  std::vector<std::vector<float>> outs;
  std::vector<double> sums;
  for (int th : {1, 2, 3}) {
    tensor::set_num_threads(th);
    std::vector<float> y(size_t(rows * OC)), dx(size_t(rows * C), 0.f), dw(size_t(OC * C), 0.f), wt(size_t(C * rows));
    tensor::matmul_forward(y.data(), x.data(), w.data(), static_cast<const float*>(nullptr), rows, C, OC);
    tensor::matmul_backward(dx.data(), dw.data(), static_cast<float*>(nullptr), dy.data(), x.data(), w.data(), rows,
                            C, OC);
    // A wide product (more columns than rows) takes the column tiles.
    std::vector<float> yw(size_t(8 * OC));
    tensor::matmul_forward(yw.data(), x.data(), w.data(), static_cast<const float*>(nullptr), 8, C, OC);
    std::vector<float> all = y;
    all.insert(all.end(), dx.begin(), dx.end());
    all.insert(all.end(), dw.begin(), dw.end());
    all.insert(all.end(), yw.begin(), yw.end());
    outs.push_back(all);
    sums.push_back(tensor::parallel_sum(int64_t(x.size()), 1000, [&](int64_t lo, int64_t hi) {
      double s = 0;
      for (int64_t i = lo; i < hi; ++i) s += double(x[size_t(i)]) * 1e-3;
      return s;
    }));
  }
  tensor::set_num_threads(2);
  CHECK(outs[0] == outs[1]);
  CHECK(outs[0] == outs[2]);
  CHECK(sums[0] == sums[1]);
  CHECK(sums[0] == sums[2]);
}
