#include "src/model/inference.h"

#include <algorithm>

#include "src/accel/accel_arith.h"
#include "src/model/norm_ops.h"
#include "src/model/param_layout.h"
#include "src/nn/activations.h"
#include "src/nn/attention.h"
#include "src/nn/embedding.h"
#include "src/nn/linear.h"
#include "src/nn/rope.h"
#include "src/util/error.h"

namespace abacus::model {

namespace {
std::vector<float> copy_param(const ParamLayout& layout, const float* params, const std::string& name) {
  const ParamSpec& s = layout.at(name);
  return std::vector<float>(params + s.offset, params + s.offset + s.numel);
}
}  // namespace

InferenceModel::InferenceModel(const ModelConfig& config, const float* params)
    : InferenceModel(config, [layout = ParamLayout(config), params](const std::string& name) {
        return copy_param(layout, params, name);
      }) {}

InferenceModel::InferenceModel(const ModelConfig& config, const ParamSource& source) : config_(config) {
  const ParamLayout layout(config);
  const ModelConfig& c = config_;
  auto fetch = [&](const std::string& name) {
    std::vector<float> v = source(name);
    if (int64_t(v.size()) != layout.at(name).numel) fail("", name, "parameter source returned the wrong size");
    return v;
  };
  embed_ = fetch("embed.weight");
  final_norm_ = fetch("final_norm.weight");
  lm_head_ = c.tie_word_embeddings ? embed_ : fetch("lm_head.weight");
  const int64_t kvd = c.kv_dim();
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
    const std::string pre = "layers." + std::to_string(l) + ".";
    Layer L;
    if (has_pre_norms(c)) {
      L.attn_norm = fetch(pre + "attn_norm.weight");
      L.ffn_norm = fetch(pre + "ffn_norm.weight");
    }
    for (const ProjSpec& s : block_projections(c)) {
      Proj p;
      p.name = pre + s.name;
      p.in = s.in;
      p.out = s.out;
      const std::vector<float> wv = fetch(pre + s.name + ".weight");
      const std::vector<float> gv = s.has_norm ? fetch(pre + s.name + ".norm.weight") : std::vector<float>();
      const float* w = wv.data();
      const float* g = s.has_norm ? gv.data() : nullptr;
      if (c.is_bitnet()) {
        p.packed = true;
        nn::BitLinearSpec spec = nn::BitLinearSpec::for_model(c, s.in, s.out);
        spec.accel_role = accel::role_of(s.name);
        p.bit = nn::BitLinearPacked(spec, w, g);
      } else {
        p.w.assign(w, w + s.in * s.out);
        if (g) p.gain.assign(g, g + s.in);
      }
      if (s.name == "attn.q") L.q = std::move(p);
      else if (s.name == "attn.k") L.k = std::move(p);
      else if (s.name == "attn.v") L.v = std::move(p);
      else if (s.name == "attn.o") L.o = std::move(p);
      else if (s.name == "ffn.gate") L.gate = std::move(p);
      else if (s.name == "ffn.up") L.up = std::move(p);
      else L.down = std::move(p);
    }
    L.k_cache.assign(size_t(c.max_position_embeddings * kvd), 0.f);
    L.v_cache.assign(size_t(c.max_position_embeddings * kvd), 0.f);
    layers_.push_back(std::move(L));
  }
}

int64_t InferenceModel::projection_weight_bytes() const {
  int64_t b = 0;
  for (const Layer& L : layers_)
    for (const Proj* p : {&L.q, &L.k, &L.v, &L.o, &L.gate, &L.up, &L.down})
      b += p->packed ? p->bit.weight_bytes() : int64_t(p->w.size() * sizeof(float));
  return b;
}

void InferenceModel::run_proj(const Proj& p, float* y, const float* x, int64_t rows,
                              const nn::BitLinearObserver* observer) {
  if (p.packed) {
    p.bit.forward(y, x, rows, observer, p.name);
    return;
  }
  const float* in = x;
  std::vector<float> normed;
  if (!p.gain.empty()) {  // SubLN of an fp model
    normed.resize(size_t(rows * p.in));
    std::vector<float> mean(static_cast<size_t>(rows)), rstd(static_cast<size_t>(rows));
    norm_forward(config_.norm, normed.data(), mean.data(), rstd.data(), x, p.gain.data(), rows, p.in,
                 config_.rms_norm_eps);
    in = normed.data();
  }
  nn::linear_forward(y, in, p.w.data(), static_cast<const float*>(nullptr), rows, p.in, p.out);
}

std::vector<float> InferenceModel::forward(const int32_t* tokens, int64_t n, int64_t pos,
                                           const nn::BitLinearObserver* observer) {
  const ModelConfig& c = config_;
  const int64_t C = c.hidden_size, I = c.intermediate_size, V = c.vocab_size;
  const int64_t nh = c.num_attention_heads, nkv = c.num_key_value_heads, hd = c.head_dim();
  const int64_t qd = nh * hd, kvd = nkv * hd;
  if (n <= 0) fail("", "tokens", "no tokens to run");
  if (pos < 0 || pos + n > c.max_position_embeddings)
    fail("", "position", "positions " + std::to_string(pos) + ".." + std::to_string(pos + n - 1) +
                             " exceed max_position_embeddings " + std::to_string(c.max_position_embeddings));
  std::vector<float> x(static_cast<size_t>(n * C)), xn(static_cast<size_t>(n * C)), mean(static_cast<size_t>(n)), rstd(static_cast<size_t>(n));
  std::vector<float> q(size_t(n * qd)), k(size_t(n * kvd)), v(size_t(n * kvd)), att(size_t(n * qd));
  std::vector<float> o(size_t(n * C)), gate(size_t(n * I)), up(size_t(n * I)), h(size_t(n * I));
  std::vector<float> scores(size_t(nh * (pos + n)));
  nn::embedding_forward(x.data(), tokens, embed_.data(), n, V, C);
  for (Layer& L : layers_) {
    const float* ain = x.data();
    if (!L.attn_norm.empty()) {
      norm_forward(c.norm, xn.data(), mean.data(), rstd.data(), x.data(), L.attn_norm.data(), n, C, c.rms_norm_eps);
      ain = xn.data();
    }
    run_proj(L.q, q.data(), ain, n, observer);
    run_proj(L.k, k.data(), ain, n, observer);
    run_proj(L.v, v.data(), ain, n, observer);
    nn::rope_forward(q.data(), 1, n, nh, hd, pos, c.rope_theta);
    nn::rope_forward(k.data(), 1, n, nkv, hd, pos, c.rope_theta);
    if (const accel::ArithConfig* a = accel::active()) {  // --accel: the KV cache's storage format
      accel::store_kv(k.data(), n, nkv, hd, a->kv_bits);
      accel::store_kv(v.data(), n, nkv, hd, a->kv_bits);
    }
    std::copy(k.begin(), k.end(), L.k_cache.begin() + pos * kvd);
    std::copy(v.begin(), v.end(), L.v_cache.begin() + pos * kvd);
    for (int64_t t = 0; t < n; ++t)
      nn::attention_decode(att.data() + t * qd, q.data() + t * qd, L.k_cache.data(), L.v_cache.data(), pos + t + 1,
                           nh, nkv, hd, scores.data());
    run_proj(L.o, o.data(), att.data(), n, observer);
    for (int64_t i = 0; i < n * C; ++i) x[size_t(i)] += o[size_t(i)];
    const float* fin = x.data();
    if (!L.ffn_norm.empty()) {
      norm_forward(c.norm, xn.data(), mean.data(), rstd.data(), x.data(), L.ffn_norm.data(), n, C, c.rms_norm_eps);
      fin = xn.data();
    }
    if (c.ffn == FfnKind::gelu) {
      run_proj(L.up, up.data(), fin, n, observer);
      nn::gelu_forward(h.data(), up.data(), n * I);
    } else {
      run_proj(L.gate, gate.data(), fin, n, observer);
      run_proj(L.up, up.data(), fin, n, observer);
      if (c.ffn == FfnKind::swiglu)
        nn::swiglu_forward(h.data(), gate.data(), up.data(), n * I);
      else
        nn::relu2_glu_forward(h.data(), gate.data(), up.data(), n * I);
    }
    run_proj(L.down, o.data(), h.data(), n, observer);
    for (int64_t i = 0; i < n * C; ++i) x[size_t(i)] += o[size_t(i)];
  }
  norm_forward(c.norm, xn.data(), mean.data(), rstd.data(), x.data(), final_norm_.data(), n, C, c.rms_norm_eps);
  std::vector<float> logits(size_t(n * V));
  nn::linear_forward(logits.data(), xn.data(), lm_head_.data(), static_cast<const float*>(nullptr), n, C, V);
  return logits;
}

}  // namespace abacus::model
