#include "src/io/hf_bitnet.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <set>
#include <unistd.h>

#include "src/io/atomic_file.h"
#include "src/io/hf_tensor_set.h"
#include "src/io/hf_ternary_packing.h"
#include "src/io/safetensors.h"
#include "src/model/param_layout.h"
#include "src/quant/rounding.h"
#include "src/quant/weight_quant.h"
#include "src/util/error.h"

namespace fs = std::filesystem;

namespace abacus::io {

const char* hf_weight_form_name(HfWeightForm f) { return f == HfWeightForm::packed ? "packed" : "bf16"; }

namespace {

constexpr const char* kArchitecture = "BitNetForCausalLM";

// abacus projection name -> HF module path inside model.layers.<i>.
std::string hf_proj(const std::string& p) {
  static const std::map<std::string, std::string> m = {
      {"attn.q", "self_attn.q_proj"}, {"attn.k", "self_attn.k_proj"},  {"attn.v", "self_attn.v_proj"},
      {"attn.o", "self_attn.o_proj"}, {"ffn.gate", "mlp.gate_proj"},   {"ffn.up", "mlp.up_proj"},
      {"ffn.down", "mlp.down_proj"}};
  return m.at(p);
}

// The HF norm whose output feeds abacus projection p (see the header's mapping).
std::string hf_norm_for(const std::string& p) {
  if (p == "attn.q" || p == "attn.k" || p == "attn.v") return "input_layernorm";
  if (p == "attn.o") return "self_attn.attn_sub_norm";
  if (p == "ffn.gate" || p == "ffn.up") return "post_attention_layernorm";
  return "mlp.ffn_sub_norm";
}

std::string shape_str(const std::vector<int64_t>& s) {
  std::string o = "[";
  for (std::size_t i = 0; i < s.size(); ++i) o += (i ? ", " : "") + std::to_string(s[i]);
  return o + "]";
}

bool is_float(DType t) { return t == DType::F32 || t == DType::F16 || t == DType::BF16; }

struct HfQuantization {
  std::string mode;  // "offline", "online" or "" (not given)
};

ModelConfig parse_config(const Json& j, const std::string& file, const std::string& name, HfQuantization* q) {
  if (!j.is_object()) fail(file, "", "is not a JSON object");
  bool bitnet = false;
  if (j.contains("architectures") && j.at("architectures").is_array())
    for (const Json& a : j.at("architectures")) bitnet = bitnet || (a.is_string() && a.get<std::string>() == kArchitecture);
  if (!bitnet)
    fail(file, "architectures",
         "not a BitNet checkpoint: expected [\"BitNetForCausalLM\"], got " +
             (j.contains("architectures") ? j.at("architectures").dump() : std::string("nothing")));
  JsonFields f(j, file);
  if (f.has("model_type") && f.get<std::string>("model_type") != "bitnet")
    f.error("model_type", "expected \"bitnet\" for BitNetForCausalLM");
  ModelConfig c;
  c.name = name;
  c.hidden_size = f.get_int("hidden_size", 1, 1 << 20);
  c.intermediate_size = f.get_int("intermediate_size", 1, 1 << 22);
  c.num_hidden_layers = f.get_int("num_hidden_layers", 1, 4096);
  c.num_attention_heads = f.get_int("num_attention_heads", 1, 4096);
  c.num_key_value_heads = f.get_int_or("num_key_value_heads", c.num_attention_heads, 1, 4096);
  c.vocab_size = f.get_int("vocab_size", 2, 1 << 24);
  c.max_position_embeddings = f.get_int("max_position_embeddings", 1, 1 << 24);
  c.rms_norm_eps = f.has("rms_norm_eps") ? f.get_positive("rms_norm_eps") : 1e-5;
  c.rope_theta = f.has("rope_theta") ? f.get_positive("rope_theta") : 500000.0;
  c.tie_word_embeddings = f.get_or<bool>("tie_word_embeddings", false);  // HF's default
  const std::string act = f.get_enum_or("hidden_act", "relu2", {"relu2", "silu"});
  c.hidden_act = act;
  c.ffn = act == "relu2" ? FfnKind::relu2_glu : FfnKind::swiglu;
  if (f.get_or<bool>("attention_bias", false)) f.error("attention_bias", "biases are not part of BitNet b1.58");
  if (f.get_or<bool>("mlp_bias", false)) f.error("mlp_bias", "biases are not part of BitNet b1.58");
  if (f.has("rope_scaling") && !f.raw("rope_scaling").is_null())
    f.error("rope_scaling", "RoPE scaling is not supported (abacus runs plain RoPE)");
  if (c.hidden_size % c.num_attention_heads != 0)
    f.error("hidden_size", "must be divisible by num_attention_heads");
  if (c.num_attention_heads % c.num_key_value_heads != 0)
    f.error("num_key_value_heads", "must divide num_attention_heads");
  if (f.has("head_dim") && !f.raw("head_dim").is_null() &&
      f.get_int("head_dim", 1, 1 << 20) != c.hidden_size / c.num_attention_heads)
    f.error("head_dim", "must equal hidden_size / num_attention_heads = " +
                            std::to_string(c.hidden_size / c.num_attention_heads));
  if (f.has("quantization_config") && !f.raw("quantization_config").is_null()) {
    JsonFields qc = f.object("quantization_config");
    const std::string method = qc.get<std::string>("quant_method");
    if (method != "bitnet")
      qc.error("quant_method", "unknown quant_method \"" + method + "\" (a BitNet checkpoint says \"bitnet\")");
    qc.get_enum_or("linear_class", "bitlinear", {"bitlinear", "autobitlinear"});
    q->mode = qc.get_enum_or("quantization_mode", "offline", {"offline", "online"});
  }
  c.quant = Quant::b158;
  c.norm = NormKind::rmsnorm;
  c.subln = true;
  c.quant_groups = 1;
  // Through abacus's own checks (the same ones a preset passes).
  return ModelConfig::from_json_text(c.to_json_text(), file);
}

}  // namespace

ModelConfig hf_bitnet_config(const Json& j, const std::string& file, const std::string& name) {
  HfQuantization q;
  return parse_config(j, file, name, &q);
}

std::vector<float> latent_for_ternary(const int8_t* w_q, int64_t N, int64_t K, float scale, bool* exact,
                                      double* rel_error) {
  const int64_t count = N * K;
  int64_t nnz = 0;
  for (int64_t i = 0; i < count; ++i) nnz += w_q[i] != 0;
  std::vector<float> W(std::size_t(count), 0.f);
  *exact = true;
  *rel_error = 0;
  if (nnz == 0) return W;  // all zeros: every output is 0 whatever the scale
  // The absmean quantizer's scale for nnz entries of magnitude c (weight_quant.cpp: the sum in
  // double is exact for nnz < 2^29, the mean is rounded to float, the scale is 1/mean in float).
  const double denom = double(float(std::max<int64_t>(count, 1)));
  auto scale_of = [&](float c) {
    const float center = float(double(nnz) * double(c) / denom);
    return 1.0f / std::max(center, quant::kScaleEps);
  };
  float c = float(double(count) / (double(nnz) * double(scale)));
  float best = c;
  double best_err = std::fabs(double(scale_of(c)) - scale);
  for (int step = 0; step < 512 && best_err > 0; ++step) {
    const float s = scale_of(c);
    c = s > scale ? std::nextafter(c, INFINITY) : std::nextafter(c, 0.f);
    const double err = std::fabs(double(scale_of(c)) - scale);
    if (err < best_err) best_err = err, best = c;
  }
  for (int64_t i = 0; i < count; ++i) W[std::size_t(i)] = float(w_q[i]) * best;
  // Measure, don't predict: run the quantizer abacus will run.
  std::vector<int8_t> q(static_cast<std::size_t>(count));
  float got = 0;
  quant::quantize_weights(quant::WeightQuant::ternary_absmean, W.data(), N, K, 1, q.data(), &got);
  if (std::memcmp(q.data(), w_q, std::size_t(count)) != 0)
    fail("", "weights", "internal: latent weights do not quantize back to the packed values");
  *exact = got == scale;
  *rel_error = std::fabs(double(got) - scale) / scale;
  return W;
}

struct HfBitnetReader::Impl {
  std::string dir;
  ModelConfig config;
  HfWeightForm form = HfWeightForm::packed;
  bool tokenizer_json = false;
  HfTensorSet set;
  // abacus parameter -> HF tensor (+ its weight_scale for packed projection weights)
  std::map<std::string, std::pair<std::string, std::string>> source;
};

HfBitnetReader::HfBitnetReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HfBitnetReader::HfBitnetReader(HfBitnetReader&&) noexcept = default;
HfBitnetReader::~HfBitnetReader() = default;
const ModelConfig& HfBitnetReader::config() const { return impl_->config; }
HfWeightForm HfBitnetReader::form() const { return impl_->form; }
const std::vector<std::string>& HfBitnetReader::files() const { return impl_->set.files(); }
bool HfBitnetReader::tokenizer_json() const { return impl_->tokenizer_json; }

HfBitnetReader HfBitnetReader::open(const std::string& dir) {
  if (!fs::is_directory(dir)) fail(dir, "", "not a folder (expected a Hugging Face BitNetForCausalLM folder)");
  const std::string cfg_path = (fs::path(dir) / "config.json").string();
  if (!fs::exists(cfg_path)) fail(cfg_path, "", "missing: not a Hugging Face model folder");
  auto m = std::make_unique<Impl>();
  m->dir = dir;
  HfQuantization q;
  std::string name = fs::path(dir).filename().string();
  if (name.empty()) name = fs::path(dir).parent_path().filename().string();
  m->config = parse_config(load_json_file(cfg_path), cfg_path, name, &q);
  const ModelConfig& c = m->config;
  m->set = HfTensorSet::open(dir);
  const HfTensorSet& set = m->set;
  m->tokenizer_json = fs::exists(fs::path(dir) / "tokenizer.json");
  const model::ParamLayout layout(c);
  std::set<std::string> used;

  auto get = [&](const std::string& hf) -> HfTensorSet::Ref {
    HfTensorSet::Ref r = set.find(hf);
    if (!r.file) fail(set.source(), "tensor " + hf, "missing (every BitNetForCausalLM tensor must be present)");
    used.insert(hf);
    return r;
  };
  auto bad = [&](const HfTensorSet::Ref& r, const std::string& what) {
    fail(r.file->path(), "tensor " + r.info->name, what);
  };
  auto check_float = [&](const std::string& hf, const std::string& abacus_name) {
    const HfTensorSet::Ref r = get(hf);
    const model::ParamSpec& p = layout.at(abacus_name);
    if (!is_float(r.info->dtype))
      bad(r, std::string("dtype ") + dtype_name(r.info->dtype) + ", expected BF16, F16 or F32");
    if (r.info->shape != p.shape) bad(r, "shape " + shape_str(r.info->shape) + ", expected " + shape_str(p.shape));
    m->source[abacus_name] = {hf, ""};
  };

  const HfTensorSet::Ref pr = get("model.layers.0.self_attn.q_proj.weight");
  m->form = pr.info->dtype == DType::U8 ? HfWeightForm::packed : HfWeightForm::bf16;
  if (m->form == HfWeightForm::bf16 && !is_float(pr.info->dtype))
    bad(pr, std::string("dtype ") + dtype_name(pr.info->dtype) +
                ": expected U8 (packed ternary) or BF16/F16/F32 (master weights)");
  if (q.mode == "offline" && m->form != HfWeightForm::packed)
    bad(pr, "quantization_config.quantization_mode is \"offline\" (packed U8 weights) but this weight is " +
                std::string(dtype_name(pr.info->dtype)));
  if (q.mode == "online" && m->form != HfWeightForm::bf16)
    bad(pr, "quantization_config.quantization_mode is \"online\" (master weights) but this weight is packed U8");

  check_float("model.embed_tokens.weight", "embed.weight");
  check_float("model.norm.weight", "final_norm.weight");
  if (!c.tie_word_embeddings) check_float("lm_head.weight", "lm_head.weight");
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
    const std::string hl = "model.layers." + std::to_string(l) + ".";
    const std::string al = "layers." + std::to_string(l) + ".";
    for (const model::ProjSpec& p : model::block_projections(c)) {
      check_float(hl + hf_norm_for(p.name) + ".weight", al + p.name + ".norm.weight");
      const std::string wname = hl + hf_proj(p.name) + ".weight", sname = wname + "_scale";
      if (m->form == HfWeightForm::bf16) {
        if (const HfTensorSet::Ref s = set.find(sname); s.file)
          bad(s, "a weight_scale belongs to the packed form, but " + wname + " holds master weights");
        check_float(wname, al + p.name + ".weight");
        continue;
      }
      const HfTensorSet::Ref w = get(wname);
      const int64_t N = p.out, K = p.in;
      if (w.info->dtype != DType::U8)
        bad(w, std::string("dtype ") + dtype_name(w.info->dtype) + ", expected U8 (packed like the other projections)");
      if (N % kHfValuesPerByte != 0) bad(w, "output size " + std::to_string(N) + " is not divisible by 4 (packing)");
      const std::vector<int64_t> pshape = {N / kHfValuesPerByte, K};
      if (w.info->shape != pshape)
        bad(w, "packed shape " + shape_str(w.info->shape) + ", expected " + shape_str(pshape) +
                   " (4 ternary values per byte along the " + std::to_string(N) + " outputs)");
      const HfTensorSet::Ref s = get(sname);
      if (!is_float(s.info->dtype)) bad(s, std::string("dtype ") + dtype_name(s.info->dtype) + ", expected BF16, F16 or F32");
      if (s.info->numel() != 1) bad(s, "shape " + shape_str(s.info->shape) + ", expected one per-tensor scale [1]");
      m->source[al + p.name + ".weight"] = {wname, sname};
    }
  }

  // Everything else must be a known leftover: a tied lm_head equal to the embedding, or RoPE
  // inverse frequencies some exporters save.
  for (const std::string& n : set.names()) {
    if (used.count(n)) continue;
    const HfTensorSet::Ref r = set.find(n);
    if (n.size() > 20 && n.compare(n.size() - 20, 20, "rotary_emb.inv_freq") == 0) continue;
    if (n == "lm_head.weight" && c.tie_word_embeddings) {
      const HfTensorSet::Ref e = set.find("model.embed_tokens.weight");
      if (r.info->shape == e.info->shape && r.info->dtype == e.info->dtype &&
          std::memcmp(r.file->data(*r.info), e.file->data(*e.info), r.info->nbytes()) == 0)
        continue;
      bad(r, "differs from model.embed_tokens.weight although config.json sets tie_word_embeddings");
    }
    bad(r, "is not a tensor of BitNetForCausalLM with this config (unexpected)");
  }
  return HfBitnetReader(std::move(m));
}

std::vector<float> HfBitnetReader::param(const std::string& name, bool* exact, double* rel_error) const {
  const Impl& m = *impl_;
  auto it = m.source.find(name);
  if (it == m.source.end()) fail(m.dir, name, "no such parameter in this model");
  const HfTensorSet::Ref r = m.set.find(it->second.first);
  auto bad = [&](const HfTensorSet::Ref& t, const std::string& what) { fail(t.file->path(), "tensor " + t.info->name, what); };
  if (exact) *exact = true;
  if (rel_error) *rel_error = 0;
  if (it->second.second.empty()) {
    std::vector<float> v = r.file->read_f32(r.info->name);
    for (std::size_t i = 0; i < v.size(); ++i)
      if (!std::isfinite(v[i])) bad(r, "entry " + std::to_string(i) + " is not finite");
    return v;
  }
  const HfTensorSet::Ref s = m.set.find(it->second.second);
  const float scale = s.file->read_f32(s.info->name)[0];
  if (!(std::isfinite(scale) && scale > 0)) bad(s, "scale " + std::to_string(scale) + " is not finite and positive");
  const int64_t N = r.info->shape[0] * kHfValuesPerByte, K = r.info->shape[1];
  std::vector<int8_t> wq(static_cast<std::size_t>(N * K));
  const int64_t badbyte = unpack_hf_ternary(r.file->data(*r.info), N, K, wq.data());
  if (badbyte >= 0)
    bad(r, "byte [" + std::to_string(badbyte / K) + ", " + std::to_string(badbyte % K) +
               "] holds the 2-bit code 3, which is no ternary value (codes 0, 1, 2 = -1, 0, +1)");
  bool ex = false;
  double err = 0;
  std::vector<float> W = latent_for_ternary(wq.data(), N, K, scale, &ex, &err);
  if (exact) *exact = ex;
  if (rel_error) *rel_error = err;
  return W;
}

HfImport import_hf_bitnet(const std::string& dir) {
  const HfBitnetReader reader = HfBitnetReader::open(dir);
  HfImport out;
  out.config = reader.config();
  out.form = reader.form();
  out.files = reader.files();
  out.tokenizer_json = reader.tokenizer_json();
  const model::ParamLayout layout(out.config);
  out.params.assign(std::size_t(layout.total()), 0.f);
  for (const model::ParamSpec& p : layout.params()) {
    bool exact = true;
    double err = 0;
    const std::vector<float> v = reader.param(p.name, &exact, &err);
    std::copy(v.begin(), v.end(), out.params.begin() + p.offset);
    if (p.name.size() > 7 && p.name.compare(p.name.size() - 7, 7, ".weight") == 0 &&
        p.name.find(".norm.") == std::string::npos && p.name.rfind("layers.", 0) == 0) {
      ++out.projections;
      out.scales_exact += exact;
      out.max_scale_rel_error = std::max(out.max_scale_rel_error, err);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Export

namespace {

struct PlannedTensor {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  std::function<std::vector<uint8_t>()> bytes;
  uint64_t nbytes() const {
    uint64_t n = dtype_size(dtype);
    for (int64_t d : shape) n *= uint64_t(d);
    return n;
  }
};

std::vector<uint8_t> float_bytes(const float* v, int64_t n, bool f32) {
  std::vector<uint8_t> b(std::size_t(n) * (f32 ? 4 : 2));
  if (f32) {
    std::memcpy(b.data(), v, b.size());
  } else {
    for (int64_t i = 0; i < n; ++i) {
      const uint16_t h = f32_to_bf16(v[i]);
      std::memcpy(b.data() + 2 * i, &h, 2);
    }
  }
  return b;
}

}  // namespace

void export_hf_bitnet(const ModelConfig& c, const float* params, const std::string& dir, const HfExportOptions& opt) {
  if (c.quant != Quant::b158 && c.quant != Quant::b158_median)
    fail("", "quant", std::string("HF BitNet holds ternary b1.58 models, not \"") + quant_name(c.quant) + "\"");
  if (opt.form == HfWeightForm::bf16 && c.quant != Quant::b158)
    fail("", "quant", "the bf16 (master weight) form is quantized with absmean when loaded; a b1.58-median model "
                      "is only exact in the packed form");
  if (c.norm != NormKind::rmsnorm) fail("", "norm", "HF BitNet uses RMSNorm");
  if (c.quant_groups != 1) fail("", "quant_groups", "HF BitNet has one weight scale per tensor (quant_groups 1)");
  if (c.ffn == FfnKind::gelu) fail("", "ffn", "HF BitNet has a gated FFN (relu2-glu or swiglu), not gelu");
  if (model::has_pre_norms(c)) fail("", "quant", "model has fp pre-norms");
  const model::ParamLayout layout(c);
  auto P = [&](const std::string& n) { return params + layout.at(n).offset; };
  // HF shares one gain among projections that read one normalized input.
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
    const std::string al = "layers." + std::to_string(l) + ".";
    auto same = [&](const std::string& a, const std::string& b) {
      const model::ParamSpec& pa = layout.at(al + a + ".norm.weight");
      if (std::memcmp(P(al + a + ".norm.weight"), P(al + b + ".norm.weight"), std::size_t(pa.numel) * 4) != 0)
        fail("", al + b + ".norm.weight",
             "differs from " + al + a + ".norm.weight; HF BitNet feeds both from one norm, so this model has no "
             "exact HF form");
    };
    same("attn.q", "attn.k");
    same("attn.q", "attn.v");
    same("ffn.gate", "ffn.up");
  }
  if (fs::exists(dir)) fail(dir, "", "already exists (export writes a new folder)");

  const bool f32 = opt.float32;
  const DType fdt = f32 ? DType::F32 : DType::BF16;
  std::vector<PlannedTensor> plan;
  auto add_float = [&](const std::string& hf, const std::string& an) {
    const model::ParamSpec& p = layout.at(an);
    const float* src = params + p.offset;
    plan.push_back({hf, fdt, p.shape, [src, p, f32] { return float_bytes(src, p.numel, f32); }});
  };
  add_float("model.embed_tokens.weight", "embed.weight");
  const quant::WeightQuant wmode = quant::weight_quant_for(c.quant);
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
    const std::string hl = "model.layers." + std::to_string(l) + ".", al = "layers." + std::to_string(l) + ".";
    std::set<std::string> norms_done;
    for (const model::ProjSpec& p : model::block_projections(c)) {
      const std::string norm = hf_norm_for(p.name);
      if (norms_done.insert(norm).second) add_float(hl + norm + ".weight", al + p.name + ".norm.weight");
      const std::string wn = hl + hf_proj(p.name) + ".weight";
      if (opt.form == HfWeightForm::bf16) {
        add_float(wn, al + p.name + ".weight");
        continue;
      }
      const int64_t N = p.out, K = p.in;
      if (N % kHfValuesPerByte != 0)
        fail("", al + p.name + ".weight", "output size " + std::to_string(N) + " is not divisible by 4 (HF packing)");
      // Quantize once (when the weight is written); the scale tensor follows the weight.
      struct Quantized {
        std::vector<int8_t> w_q;
        float scale = 0;
        bool done = false;
      };
      auto q = std::make_shared<Quantized>();
      const float* W = P(al + p.name + ".weight");
      auto ensure = [q, W, N, K, wmode] {
        if (q->done) return;
        q->w_q.resize(std::size_t(N * K));
        quant::quantize_weights(wmode, W, N, K, 1, q->w_q.data(), &q->scale);
        q->done = true;
      };
      plan.push_back({wn, DType::U8, {N / kHfValuesPerByte, K}, [q, ensure, N, K] {
                        ensure();
                        std::vector<uint8_t> b = pack_hf_ternary(q->w_q.data(), N, K);
                        std::vector<int8_t>().swap(q->w_q);  // bounded memory: one matrix at a time
                        return b;
                      }});
      plan.push_back({wn + "_scale", fdt, {1}, [q, ensure, f32] {
                        ensure();
                        return float_bytes(&q->scale, 1, f32);
                      }});
    }
  }
  add_float("model.norm.weight", "final_norm.weight");
  if (!c.tie_word_embeddings) add_float("lm_head.weight", "lm_head.weight");

  // Shards: consecutive tensors up to shard_bytes each (a tensor larger than that gets its own).
  std::vector<std::vector<std::size_t>> shards(1);
  uint64_t in_shard = 0, total = 0;
  for (std::size_t i = 0; i < plan.size(); ++i) {
    const uint64_t nb = plan[i].nbytes();
    total += nb;
    if (opt.shard_bytes > 0 && in_shard > 0 && in_shard + nb > uint64_t(opt.shard_bytes)) {
      shards.emplace_back();
      in_shard = 0;
    }
    shards.back().push_back(i);
    in_shard += nb;
  }

  const std::string tmp = dir + ".partial-" + std::to_string(::getpid());
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  try {
    nlohmann::ordered_json weight_map = nlohmann::ordered_json::object();
    for (std::size_t s = 0; s < shards.size(); ++s) {
      char fname[64];
      if (shards.size() == 1)
        std::snprintf(fname, sizeof fname, "model.safetensors");
      else
        std::snprintf(fname, sizeof fname, "model-%05zu-of-%05zu.safetensors", s + 1, shards.size());
      SafetensorsWriter w;
      w.set_metadata("format", "pt");
      for (std::size_t i : shards[s]) {
        const std::vector<uint8_t> b = plan[i].bytes();
        w.add(plan[i].name, plan[i].dtype, plan[i].shape, b.data(), b.size());
        weight_map[plan[i].name] = fname;
      }
      w.write((fs::path(tmp) / fname).string());
    }
    if (shards.size() > 1) {
      nlohmann::ordered_json idx;
      idx["metadata"] = {{"total_size", total}};
      idx["weight_map"] = weight_map;
      write_file_atomic((fs::path(tmp) / "model.safetensors.index.json").string(), idx.dump(2) + "\n");
    }
    nlohmann::ordered_json j;
    j["architectures"] = {kArchitecture};
    j["model_type"] = "bitnet";
    j["hidden_size"] = c.hidden_size;
    j["intermediate_size"] = c.intermediate_size;
    j["num_hidden_layers"] = c.num_hidden_layers;
    j["num_attention_heads"] = c.num_attention_heads;
    j["num_key_value_heads"] = c.num_key_value_heads;
    j["vocab_size"] = c.vocab_size;
    j["max_position_embeddings"] = c.max_position_embeddings;
    j["hidden_act"] = c.ffn == FfnKind::relu2_glu ? "relu2" : "silu";
    j["rms_norm_eps"] = c.rms_norm_eps;
    j["rope_theta"] = c.rope_theta;
    j["tie_word_embeddings"] = c.tie_word_embeddings;
    j["attention_bias"] = false;
    j["torch_dtype"] = f32 ? "float32" : "bfloat16";
    j["quantization_config"] = {
        {"quant_method", "bitnet"},
        {"linear_class", opt.form == HfWeightForm::packed ? "bitlinear" : "autobitlinear"},
        {"quantization_mode", opt.form == HfWeightForm::packed ? "offline" : "online"}};
    write_file_atomic((fs::path(tmp) / "config.json").string(), j.dump(2) + "\n");
    fs::rename(tmp, dir);
  } catch (...) {
    std::error_code ec;
    fs::remove_all(tmp, ec);
    throw;
  }
}

}  // namespace abacus::io
