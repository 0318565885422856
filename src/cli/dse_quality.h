// abacus dse --quality CKPT: model-quality columns (val_loss, perplexity, ppl_delta vs the
// software reference), one model evaluation per distinct arithmetic configuration
// (eval::ArithQuality caches by the arithmetic fields), inserted before the pareto column.
#pragma once
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "src/data/token_shard.h"
#include "src/eval/arith_quality.h"
#include "src/train/checkpoint.h"
#include "src/util/error.h"

namespace abacus::cli {

class DseQuality {
 public:
  DseQuality(const std::string& ckpt, int64_t seq, int64_t windows) {
    namespace fs = std::filesystem;
    train::LoadedModel lm = train::load_checkpoint_model(ckpt);
    if (!lm.config.is_bitnet()) fail(ckpt + "/config.json", "quant", "--quality needs a BitNet checkpoint");
    const std::string vb = (fs::path(ckpt) / "val.bin").string();
    if (!fs::exists(vb)) fail(vb, "", "no validation shard in the --quality checkpoint");
    if (seq <= 0) {
      const fs::path tj = fs::path(ckpt) / "trainer.json";
      seq = fs::exists(tj) ? train::load_trainer_state(tj.string()).seq : 128;
    }
    q_ = std::make_unique<eval::ArithQuality>(lm.config, std::move(lm.params), data::read_token_shard(vb), seq,
                                              windows);
  }
  void add_header(std::vector<std::string>& h) const {
    h.insert(h.end() - 1, {"val_loss", "perplexity", "ppl_delta"});
  }
  void add_row(const accel::ArithConfig& a, std::vector<std::string>& row) {
    const eval::LossResult& r = q_->at(a);
    row.insert(row.end() - 1, {num(r.loss), num(r.perplexity), num(r.perplexity - q_->reference().perplexity)});
  }
  int64_t evaluations() const { return q_->evaluations(); }
  double reference_loss() const { return q_->reference().loss; }

 private:
  static std::string num(double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%.6g", v);
    return b;
  }
  std::unique_ptr<eval::ArithQuality> q_;
};

}  // namespace abacus::cli
