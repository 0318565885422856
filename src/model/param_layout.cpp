#include "src/model/param_layout.h"

#include "src/util/error.h"

namespace abacus::model {

bool has_pre_norms(const ModelConfig& c) { return !c.is_bitnet(); }

std::vector<ProjSpec> block_projections(const ModelConfig& c) {
  const int64_t C = c.hidden_size, I = c.intermediate_size;
  const int64_t q_dim = c.head_dim() * c.num_attention_heads, kv = c.kv_dim();
  const bool bit = c.is_bitnet();
  const bool sub = bit || c.subln;
  std::vector<ProjSpec> p;
  p.push_back({"attn.q", C, q_dim, bit});
  p.push_back({"attn.k", C, kv, bit});
  p.push_back({"attn.v", C, kv, bit});
  p.push_back({"attn.o", q_dim, C, sub});
  if (c.ffn != FfnKind::gelu) p.push_back({"ffn.gate", C, I, bit});
  p.push_back({"ffn.up", C, I, bit});
  p.push_back({"ffn.down", I, C, sub});
  return p;
}

ParamLayout::ParamLayout(const ModelConfig& c) {
  const int64_t C = c.hidden_size;
  add("embed.weight", {c.vocab_size, C}, false);
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
    const std::string pre = "layers." + std::to_string(l) + ".";
    if (has_pre_norms(c)) add(pre + "attn_norm.weight", {C}, false);
    for (const ProjSpec& p : block_projections(c)) {
      if (p.name == "ffn.gate" || (p.name == "ffn.up" && c.ffn == FfnKind::gelu)) {
        if (has_pre_norms(c)) add(pre + "ffn_norm.weight", {C}, false);
      }
      if (p.has_norm) add(pre + p.name + ".norm.weight", {p.in}, false);
      add(pre + p.name + ".weight", {p.out, p.in}, true);
    }
  }
  add("final_norm.weight", {C}, false);
  if (!c.tie_word_embeddings) add("lm_head.weight", {c.vocab_size, C}, true);
}

void ParamLayout::add(const std::string& name, std::vector<int64_t> shape, bool decay) {
  ParamSpec s;
  s.name = name;
  s.numel = 1;
  for (int64_t d : shape) s.numel *= d;
  s.shape = std::move(shape);
  s.offset = total_;
  s.decay = decay;
  total_ += s.numel;
  params_.push_back(std::move(s));
}

const ParamSpec* ParamLayout::find(const std::string& name) const {
  for (const ParamSpec& p : params_)
    if (p.name == name) return &p;
  return nullptr;
}

const ParamSpec& ParamLayout::at(const std::string& name) const {
  const ParamSpec* p = find(name);
  if (!p) fail("", name, "no such parameter in this model");
  return *p;
}

}  // namespace abacus::model
