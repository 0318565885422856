// Hugging Face BitNetForCausalLM folders <-> abacus b1.58 models.
//
// A folder holds config.json (architectures ["BitNetForCausalLM"], quantization_config
// {"quant_method": "bitnet", ...}) and model.safetensors or a sharded
// model.safetensors.index.json, in one of the two published forms of BitNet b1.58 2B4T:
//   packed  every projection weight is uint8 [N/4, K] (hf_ternary_packing.h) with a
//           weight_scale [1]; the layer computes y = (x_q . w_q) / (x_scale * weight_scale),
//           i.e. W ~= w_q / weight_scale, which is abacus's own scale convention;
//   bf16    the master (latent) weights [N, K], quantized when the model runs (absmean).
//
// Tensor mapping (HF -> abacus ParamLayout). HF normalizes once per sub-block and feeds the
// result to several projections; abacus gives every BitLinear its own RMSNorm gain over its
// input, so the HF gain is copied to each projection that reads that normalized input:
//   model.layers.i.input_layernorm         -> layers.i.attn.{q,k,v}.norm.weight
//   model.layers.i.self_attn.attn_sub_norm -> layers.i.attn.o.norm.weight
//   model.layers.i.post_attention_layernorm-> layers.i.ffn.{gate,up}.norm.weight
//   model.layers.i.mlp.ffn_sub_norm        -> layers.i.ffn.down.norm.weight
//   model.layers.i.self_attn.{q,k,v,o}_proj-> layers.i.attn.{q,k,v,o}.weight
//   model.layers.i.mlp.{gate,up,down}_proj -> layers.i.ffn.{gate,up,down}.weight
//   model.embed_tokens / model.norm / lm_head -> embed / final_norm / lm_head (untied only)
// RMSNorm(x) * g is a function of x alone, so three copies of one gain give three identical
// normalized inputs: the forward is the same computation.
//
// Packed weights become latent weights that abacus's absmean quantizer maps back to exactly
// the stored w_q and weight_scale: nonzero entries get magnitude c with mean|W| == 1/scale
// (c = count / (nnz * scale), nudged by ulps toward the float quantizer reproducing the scale
// bit for bit), zeros stay 0. Exact for most scales; 1/x in float does not reach every float,
// so some come out one float ulp away (relative 6e-8, below bf16's resolution by 2^16: the
// export rounds them back to the stored bf16 value).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "src/io/json_fields.h"
#include "src/model/config.h"

namespace abacus::io {

enum class HfWeightForm { packed, bf16 };
const char* hf_weight_form_name(HfWeightForm f);  // "packed", "bf16"

// config.json of a BitNetForCausalLM folder -> the abacus b1.58 config (quant b1.58, rmsnorm,
// relu2-glu for hidden_act "relu2" / swiglu for "silu", subln). Unsupported or inconsistent
// fields are Errors naming the file and field.
ModelConfig hf_bitnet_config(const Json& j, const std::string& file, const std::string& name);

// Reads a folder lazily, so a model far larger than memory in fp32 can still be run: open()
// parses config.json and checks every tensor's presence, dtype and shape (and that nothing
// unexpected is there) without reading tensor data; param() reads one abacus parameter.
class HfBitnetReader {
 public:
  static HfBitnetReader open(const std::string& dir);
  HfBitnetReader(HfBitnetReader&&) noexcept;
  ~HfBitnetReader();

  const ModelConfig& config() const;
  HfWeightForm form() const;
  const std::vector<std::string>& files() const;
  bool tokenizer_json() const;
  // One parameter under its abacus ParamLayout name, fp32. Packed projection weights come back
  // as the latent weights of latent_for_ternary (exact / rel_error say how the scale came out).
  // Data errors (invalid 2-bit code, non-finite value, bad scale) name the file and tensor.
  std::vector<float> param(const std::string& name, bool* exact = nullptr, double* rel_error = nullptr) const;

 private:
  struct Impl;
  explicit HfBitnetReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct HfImport {
  ModelConfig config;
  std::vector<float> params;  // ParamLayout(config) order
  HfWeightForm form = HfWeightForm::packed;
  std::vector<std::string> files;        // safetensors files read
  int64_t projections = 0;               // BitLinear weights imported
  int64_t scales_exact = 0;              // packed: scales the latent weights reproduce bit for bit
  double max_scale_rel_error = 0;        // packed: worst relative scale error otherwise
  bool tokenizer_json = false;           // the folder ships tokenizer.json
};

HfImport import_hf_bitnet(const std::string& dir);

struct HfExportOptions {
  HfWeightForm form = HfWeightForm::packed;
  bool float32 = false;       // embeddings, norms (and bf16 latent weights) as F32 instead of BF16
  int64_t shard_bytes = 0;    // > 0: split into model-0000k-of-0000n.safetensors + index
};

// Writes `dir` (which must not exist) through a temporary sibling folder renamed into place.
// Needs a b1.58 / b1.58-median model with rmsnorm, no fp pre-norms, quant_groups 1, and the
// norm gains HF shares equal (q == k == v, gate == up); bf16 form needs b1.58 (absmean).
void export_hf_bitnet(const ModelConfig& config, const float* params, const std::string& dir,
                      const HfExportOptions& opt);

// Latent weights W [N*K] whose absmean quantization is exactly (w_q, scale) when the returned
// flag is true; otherwise the scale is reproduced to `rel_error`.
std::vector<float> latent_for_ternary(const int8_t* w_q, int64_t N, int64_t K, float scale, bool* exact,
                                      double* rel_error);

}  // namespace abacus::io
