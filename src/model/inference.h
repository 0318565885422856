// Inference path of the decoder-only LM: prefill + decode with a KV cache. BitNet projections
// use BitLinearPacked (2-bit packed ternary / binary weights, int8 activations per token,
// integer matmul, no dequantized fp32 weight copy) and report every call to an optional
// BitLinearObserver under "layers.<i>.attn.{q,k,v,o}" / "layers.<i>.ffn.{gate,up,down}".
// fp models run fp32 Linear layers (the observer is not called for them).
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "src/model/config.h"
#include "src/nn/bitlinear.h"

namespace abacus::model {

class InferenceModel {
 public:
  // params: the fp32 latent weights in ParamLayout(config) order (e.g. LanguageModel<float>::params()).
  InferenceModel(const ModelConfig& config, const float* params);
  // The same, with each parameter fetched by its ParamLayout name when needed (so the fp32
  // latent weights never exist all at once: a large model from a packed file, one matrix at a
  // time).
  using ParamSource = std::function<std::vector<float>(const std::string& name)>;
  InferenceModel(const ModelConfig& config, const ParamSource& source);

  const ModelConfig& config() const { return config_; }
  // Runs tokens[0..n) at positions pos..pos+n-1 (the KV cache must hold positions < pos from
  // earlier calls; entries at >= pos are overwritten). Returns logits [n, vocab].
  std::vector<float> forward(const int32_t* tokens, int64_t n, int64_t pos,
                             const nn::BitLinearObserver* observer = nullptr);
  // Bytes of projection weights as stored for inference (packed for BitNet, fp32 for fp).
  int64_t projection_weight_bytes() const;

 private:
  struct Proj {
    std::string name;  // "layers.<i>.attn.q"
    int64_t in = 0, out = 0;
    bool packed = false;
    nn::BitLinearPacked bit;
    std::vector<float> w, gain;  // fp path; gain empty = no norm
  };
  struct Layer {
    std::vector<float> attn_norm, ffn_norm;  // fp pre-norms (empty for BitNet)
    Proj q, k, v, o, gate, up, down;
    std::vector<float> k_cache, v_cache;     // [max_pos, kv_dim]
  };
  void run_proj(const Proj& p, float* y, const float* x, int64_t rows, const nn::BitLinearObserver* observer);

  ModelConfig config_;
  std::vector<float> embed_, final_norm_, lm_head_;
  std::vector<Layer> layers_;
  std::vector<float> scratch_;
};

}  // namespace abacus::model
