// Where every parameter of a decoder-only LM lives in one flat fp32 buffer, under the names
// of the safetensors checkpoint (embed.weight, layers.<i>.attn.q.weight, ...), and which
// projections carry a norm of their own (BitLinear's internal norm, or SubLN in fp models).
//
// Architecture (decided here, the one place the model, inference path and checkpoint agree on):
//   BitNet (b1, b1.58, b1.58-median): every projection is a BitLinear with its own norm gain
//     "<proj>.norm.weight" (LayerNorm for b1, RMSNorm for b1.58); no separate pre-norms.
//   fp: pre-norm blocks ("layers.<i>.attn_norm.weight", "layers.<i>.ffn_norm.weight", kind
//     config.norm); with subln, o and down also get "<proj>.norm.weight" in front.
//   All: RoPE on q and k, no biases, norms have a gain and no bias, "final_norm.weight" before
//   the fp lm_head ("lm_head.weight" unless tie_word_embeddings).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "src/model/config.h"

namespace abacus::model {

struct ParamSpec {
  std::string name;
  std::vector<int64_t> shape;
  int64_t offset = 0, numel = 0;
  bool decay = false;  // AdamW weight decay applies (matrices; not norms or embeddings)
};

// One projection of a block: "attn.q" ... "ffn.down".
struct ProjSpec {
  std::string name;  // "attn.q", "attn.k", "attn.v", "attn.o", "ffn.gate", "ffn.up", "ffn.down"
  int64_t in = 0, out = 0;
  bool has_norm = false;  // a norm gain of its own (BitLinear's norm or SubLN)
};

// The projections of one block in execution order (q, k, v, o, [gate], up, down).
std::vector<ProjSpec> block_projections(const ModelConfig& c);
// True when the block has separate pre-attention / pre-FFN norms (fp models).
bool has_pre_norms(const ModelConfig& c);

class ParamLayout {
 public:
  explicit ParamLayout(const ModelConfig& c);
  const std::vector<ParamSpec>& params() const { return params_; }
  int64_t total() const { return total_; }
  const ParamSpec* find(const std::string& name) const;
  const ParamSpec& at(const std::string& name) const;  // missing -> Error

 private:
  void add(const std::string& name, std::vector<int64_t> shape, bool decay);
  std::vector<ParamSpec> params_;
  int64_t total_ = 0;
};

}  // namespace abacus::model
