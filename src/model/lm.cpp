#include "src/model/lm.h"

#include <cmath>

#include "src/model/norm_ops.h"
#include "src/nn/activations.h"
#include "src/nn/attention.h"
#include "src/nn/bitlinear.h"
#include "src/nn/cross_entropy.h"
#include "src/nn/embedding.h"
#include "src/nn/linear.h"
#include "src/nn/residual.h"
#include "src/nn/rope.h"
#include "src/tensor/rng.h"
#include "src/util/error.h"

namespace abacus::model {

namespace {

template <class T>
using Vec = std::vector<T>;

struct Proj {
  ProjSpec spec;
  nn::BitLinearSpec bl;
  bool bitlinear = false;  // BitLinear (its norm inside; quant fp = norm + Linear) or plain Linear
  int64_t w = -1, g = -1;  // parameter offsets of the weight and of the norm gain
};

struct LayerPlan {
  int64_t attn_norm = -1, ffn_norm = -1;
  Proj q, k, v, o, gate, up, down;
};

template <class T>
struct ProjBuf {
  Vec<T> mean, rstd, xt, wt;
  void resize(const Proj& p, int64_t rows) {
    if (!p.bitlinear) return;
    mean.assign(size_t(rows), T(0));
    rstd.assign(size_t(rows), T(0));
    xt.assign(size_t(rows * p.spec.in), T(0));
    wt.assign(size_t(p.spec.in * p.spec.out), T(0));
  }
  nn::BitLinearSaved<T> saved() { return {mean.data(), rstd.data(), xt.data(), wt.data()}; }
};

template <class T>
void proj_forward(const Proj& p, T* y, const T* x, const T* P, int64_t rows, ProjBuf<T>& b) {
  if (p.bitlinear)
    nn::bitlinear_forward(p.bl, y, x, P + p.w, P + p.g, rows, b.saved());
  else
    nn::linear_forward(y, x, P + p.w, static_cast<const T*>(nullptr), rows, p.spec.in, p.spec.out);
}

template <class T>
void proj_backward(const Proj& p, T* dx, const T* dy, const T* x, const T* P, T* G, int64_t rows, ProjBuf<T>& b) {
  if (p.bitlinear)
    nn::bitlinear_backward(p.bl, dx, G + p.w, G + p.g, dy, x, P + p.g, rows, b.saved());
  else
    nn::linear_backward(dx, G + p.w, static_cast<T*>(nullptr), dy, x, P + p.w, rows, p.spec.in, p.spec.out);
}

template <class T>
void zero(Vec<T>& v) {
  std::fill(v.begin(), v.end(), T(0));
}

}  // namespace

template <class T>
struct LanguageModel<T>::Acts {
  std::vector<LayerPlan> plan;
  int64_t embed = 0, final_norm = 0, lm_head = 0;

  struct LayerBuf {
    Vec<T> xn, xn_mean, xn_rstd, q, k, v, att, att_out, x_mid, xn2, xn2_mean, xn2_rstd, gate, up, h;
    ProjBuf<T> pq, pk, pv, po, pgate, pup, pdown;
  };
  int64_t B = 0, T_ = 0;
  std::vector<Vec<T>> resid;
  std::vector<LayerBuf> layers;
  Vec<T> xf, xf_mean, xf_rstd, logits, dlogits, losses;
  std::vector<int32_t> tokens;
  bool have_targets = false;
  Vec<T> dres, dmid, dxn, dq, dk, dv, datt_out, dgate, dup, dh;
};

template <class T>
LanguageModel<T>::LanguageModel(const ModelConfig& config)
    : config_(config), layout_(config), acts_(std::make_unique<Acts>()) {
  const ModelConfig& c = config_;
  if (c.hidden_size % c.num_attention_heads != 0)
    fail("config.json", "hidden_size", "must be a multiple of num_attention_heads");
  if (c.num_attention_heads % c.num_key_value_heads != 0)
    fail("config.json", "num_key_value_heads", "must divide num_attention_heads");
  if (c.head_dim() % 2 != 0) fail("config.json", "hidden_size", "head_dim must be even for RoPE");
  params_.assign(size_t(layout_.total()), T(0));
  grads_.assign(size_t(layout_.total()), T(0));
  Acts& a = *acts_;
  a.embed = layout_.at("embed.weight").offset;
  a.final_norm = layout_.at("final_norm.weight").offset;
  a.lm_head = c.tie_word_embeddings ? a.embed : layout_.at("lm_head.weight").offset;
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
    const std::string pre = "layers." + std::to_string(l) + ".";
    LayerPlan lp;
    if (has_pre_norms(c)) {
      lp.attn_norm = layout_.at(pre + "attn_norm.weight").offset;
      lp.ffn_norm = layout_.at(pre + "ffn_norm.weight").offset;
    }
    for (const ProjSpec& s : block_projections(c)) {
      Proj p;
      p.spec = s;
      p.bitlinear = s.has_norm;
      p.bl = nn::BitLinearSpec::for_model(c, s.in, s.out);
      p.bl.accel_role = accel::role_of(s.name);
      if (c.quant == Quant::fp) {
        p.bl.norm = c.norm;  // SubLN of an fp model: its own norm kind, no quantizers
        p.bl.weight_groups = 1;
      }
      p.w = layout_.at(pre + s.name + ".weight").offset;
      if (s.has_norm) p.g = layout_.at(pre + s.name + ".norm.weight").offset;
      if (s.name == "attn.q") lp.q = p;
      else if (s.name == "attn.k") lp.k = p;
      else if (s.name == "attn.v") lp.v = p;
      else if (s.name == "attn.o") lp.o = p;
      else if (s.name == "ffn.gate") lp.gate = p;
      else if (s.name == "ffn.up") lp.up = p;
      else lp.down = p;
    }
    a.plan.push_back(lp);
  }
}

template <class T>
LanguageModel<T>::~LanguageModel() = default;
template <class T>
LanguageModel<T>::LanguageModel(LanguageModel&&) noexcept = default;

template <class T>
void LanguageModel<T>::init_weights(uint64_t seed) {
  tensor::Rng rng(seed);
  const float std_dev = 0.02f;
  const float proj_std = std_dev / std::sqrt(2.0f * float(std::max<int64_t>(1, config_.num_hidden_layers)));
  std::vector<float> tmp;
  for (const ParamSpec& p : layout_.params()) {
    T* dst = params_.data() + p.offset;
    const bool is_norm = p.name.size() >= 11 && p.name.compare(p.name.size() - 11, 11, "norm.weight") == 0;
    if (is_norm) {
      std::fill(dst, dst + p.numel, T(1));
      continue;
    }
    const bool out_proj = p.name.find("attn.o.weight") != std::string::npos ||
                          p.name.find("ffn.down.weight") != std::string::npos;
    tmp.resize(size_t(p.numel));
    rng.fill_normal(tmp.data(), p.numel, 0.f, out_proj ? proj_std : std_dev);
    for (int64_t i = 0; i < p.numel; ++i) dst[i] = T(tmp[size_t(i)]);
  }
}

template <class T>
double LanguageModel<T>::forward(const int32_t* tokens, const int32_t* targets, int64_t B, int64_t Tn) {
  const ModelConfig& c = config_;
  Acts& a = *acts_;
  const int64_t rows = B * Tn, C = c.hidden_size, I = c.intermediate_size, V = c.vocab_size;
  const int64_t nh = c.num_attention_heads, nkv = c.num_key_value_heads, hd = c.head_dim();
  const int64_t qd = nh * hd, kvd = nkv * hd, L = c.num_hidden_layers;
  if (Tn > c.max_position_embeddings)
    fail("", "seq", "sequence length " + std::to_string(Tn) + " exceeds max_position_embeddings " +
                        std::to_string(c.max_position_embeddings));
  if (a.B != B || a.T_ != Tn) {
    a.B = B;
    a.T_ = Tn;
    a.resid.assign(size_t(L + 1), Vec<T>(size_t(rows * C)));
    a.layers.assign(size_t(L), typename Acts::LayerBuf{});
    for (int64_t l = 0; l < L; ++l) {
      auto& lb = a.layers[size_t(l)];
      const LayerPlan& lp = a.plan[size_t(l)];
      if (lp.attn_norm >= 0) {
        lb.xn.resize(size_t(rows * C));
        lb.xn_mean.resize(size_t(rows));
        lb.xn_rstd.resize(size_t(rows));
        lb.xn2.resize(size_t(rows * C));
        lb.xn2_mean.resize(size_t(rows));
        lb.xn2_rstd.resize(size_t(rows));
      }
      lb.q.resize(size_t(rows * qd));
      lb.k.resize(size_t(rows * kvd));
      lb.v.resize(size_t(rows * kvd));
      lb.att.resize(size_t(B * nh * Tn * Tn));
      lb.att_out.resize(size_t(rows * qd));
      lb.x_mid.resize(size_t(rows * C));
      if (c.ffn != FfnKind::gelu) lb.gate.resize(size_t(rows * I));
      lb.up.resize(size_t(rows * I));
      lb.h.resize(size_t(rows * I));
      lb.pq.resize(lp.q, rows);
      lb.pk.resize(lp.k, rows);
      lb.pv.resize(lp.v, rows);
      lb.po.resize(lp.o, rows);
      if (c.ffn != FfnKind::gelu) lb.pgate.resize(lp.gate, rows);
      lb.pup.resize(lp.up, rows);
      lb.pdown.resize(lp.down, rows);
    }
    a.xf.resize(size_t(rows * C));
    a.xf_mean.resize(size_t(rows));
    a.xf_rstd.resize(size_t(rows));
    a.logits.resize(size_t(rows * V));
    a.dlogits.resize(size_t(rows * V));
    a.losses.resize(size_t(rows));
    a.dres.resize(size_t(rows * C));
    a.dmid.resize(size_t(rows * C));
    a.dxn.resize(size_t(rows * C));
    a.dq.resize(size_t(rows * qd));
    a.datt_out.resize(size_t(rows * qd));
    a.dk.resize(size_t(rows * kvd));
    a.dv.resize(size_t(rows * kvd));
    a.dgate.resize(size_t(rows * I));
    a.dup.resize(size_t(rows * I));
    a.dh.resize(size_t(rows * I));
  }
  a.tokens.assign(tokens, tokens + rows);
  const T* P = params_.data();
  const nn::AttentionShape shape{B, Tn, nh, nkv, hd};

  nn::embedding_forward(a.resid[0].data(), tokens, P + a.embed, rows, V, C);
  for (int64_t l = 0; l < L; ++l) {
    const LayerPlan& lp = a.plan[size_t(l)];
    auto& lb = a.layers[size_t(l)];
    const T* x = a.resid[size_t(l)].data();
    const T* ain = x;
    if (lp.attn_norm >= 0) {
      norm_forward(c.norm, lb.xn.data(), lb.xn_mean.data(), lb.xn_rstd.data(), x, P + lp.attn_norm, rows, C,
                   c.rms_norm_eps);
      ain = lb.xn.data();
    }
    proj_forward(lp.q, lb.q.data(), ain, P, rows, lb.pq);
    proj_forward(lp.k, lb.k.data(), ain, P, rows, lb.pk);
    proj_forward(lp.v, lb.v.data(), ain, P, rows, lb.pv);
    nn::rope_forward(lb.q.data(), B, Tn, nh, hd, 0, c.rope_theta);
    nn::rope_forward(lb.k.data(), B, Tn, nkv, hd, 0, c.rope_theta);
    nn::attention_forward(lb.att_out.data(), lb.att.data(), lb.q.data(), lb.k.data(), lb.v.data(), shape);
    proj_forward(lp.o, lb.x_mid.data(), lb.att_out.data(), P, rows, lb.po);
    nn::residual_forward(lb.x_mid.data(), x, lb.x_mid.data(), rows * C);

    const T* fin = lb.x_mid.data();
    if (lp.ffn_norm >= 0) {
      norm_forward(c.norm, lb.xn2.data(), lb.xn2_mean.data(), lb.xn2_rstd.data(), fin, P + lp.ffn_norm, rows, C,
                   c.rms_norm_eps);
      fin = lb.xn2.data();
    }
    proj_forward(lp.up, lb.up.data(), fin, P, rows, lb.pup);
    if (c.ffn == FfnKind::gelu) {
      nn::gelu_forward(lb.h.data(), lb.up.data(), rows * I);
    } else {
      proj_forward(lp.gate, lb.gate.data(), fin, P, rows, lb.pgate);
      if (c.ffn == FfnKind::swiglu)
        nn::swiglu_forward(lb.h.data(), lb.gate.data(), lb.up.data(), rows * I);
      else
        nn::relu2_glu_forward(lb.h.data(), lb.gate.data(), lb.up.data(), rows * I);
    }
    T* out = a.resid[size_t(l + 1)].data();
    proj_forward(lp.down, out, lb.h.data(), P, rows, lb.pdown);
    nn::residual_forward(out, lb.x_mid.data(), out, rows * C);
  }
  norm_forward(c.norm, a.xf.data(), a.xf_mean.data(), a.xf_rstd.data(), a.resid[size_t(L)].data(),
               P + a.final_norm, rows, C, c.rms_norm_eps);
  nn::linear_forward(a.logits.data(), a.xf.data(), P + a.lm_head, static_cast<const T*>(nullptr), rows, C, V);

  a.have_targets = targets != nullptr;
  if (!targets) return 0.0;
  int64_t count = 0;
  for (int64_t i = 0; i < rows; ++i) count += targets[i] >= 0 ? 1 : 0;
  if (count == 0) fail("", "targets", "no target token to score");
  const double sum = nn::softmax_cross_entropy(a.losses.data(), a.dlogits.data(), a.logits.data(), targets, rows, V,
                                               T(1.0 / double(count)));
  return sum / double(count);
}

template <class T>
const T* LanguageModel<T>::losses() const {
  return acts_->losses.data();
}
template <class T>
const T* LanguageModel<T>::logits() const {
  return acts_->logits.data();
}

template <class T>
void LanguageModel<T>::zero_grad() {
  zero(grads_);
}

template <class T>
void LanguageModel<T>::backward() {
  const ModelConfig& c = config_;
  Acts& a = *acts_;
  if (!a.have_targets) fail("", "backward", "needs a forward pass with targets first");
  const int64_t B = a.B, Tn = a.T_, rows = B * Tn, C = c.hidden_size, I = c.intermediate_size, V = c.vocab_size;
  const int64_t nh = c.num_attention_heads, nkv = c.num_key_value_heads, hd = c.head_dim();
  const int64_t L = c.num_hidden_layers;
  const T* P = params_.data();
  T* G = grads_.data();
  const nn::AttentionShape shape{B, Tn, nh, nkv, hd};

  zero(a.dxn);
  nn::linear_backward(a.dxn.data(), G + a.lm_head, static_cast<T*>(nullptr), a.dlogits.data(), a.xf.data(),
                      P + a.lm_head, rows, C, V);
  zero(a.dres);
  norm_backward(c.norm, a.dres.data(), G + a.final_norm, a.dxn.data(), a.resid[size_t(L)].data(), P + a.final_norm,
                a.xf_mean.data(), a.xf_rstd.data(), rows, C);
  for (int64_t l = L - 1; l >= 0; --l) {
    const LayerPlan& lp = a.plan[size_t(l)];
    auto& lb = a.layers[size_t(l)];
    const T* x = a.resid[size_t(l)].data();
    // FFN: dres is the gradient of this block's output; the residual passes it to x_mid.
    a.dmid = a.dres;
    zero(a.dh);
    proj_backward(lp.down, a.dh.data(), a.dres.data(), lb.h.data(), P, G, rows, lb.pdown);
    zero(a.dup);
    if (c.ffn == FfnKind::gelu) {
      nn::gelu_backward(a.dup.data(), a.dh.data(), lb.up.data(), rows * I);
    } else {
      zero(a.dgate);
      if (c.ffn == FfnKind::swiglu)
        nn::swiglu_backward(a.dgate.data(), a.dup.data(), a.dh.data(), lb.gate.data(), lb.up.data(), rows * I);
      else
        nn::relu2_glu_backward(a.dgate.data(), a.dup.data(), a.dh.data(), lb.gate.data(), lb.up.data(), rows * I);
    }
    if (lp.ffn_norm >= 0) {
      zero(a.dxn);
      if (c.ffn != FfnKind::gelu) proj_backward(lp.gate, a.dxn.data(), a.dgate.data(), lb.xn2.data(), P, G, rows, lb.pgate);
      proj_backward(lp.up, a.dxn.data(), a.dup.data(), lb.xn2.data(), P, G, rows, lb.pup);
      norm_backward(c.norm, a.dmid.data(), G + lp.ffn_norm, a.dxn.data(), lb.x_mid.data(), P + lp.ffn_norm,
                    lb.xn2_mean.data(), lb.xn2_rstd.data(), rows, C);
    } else {
      if (c.ffn != FfnKind::gelu) proj_backward(lp.gate, a.dmid.data(), a.dgate.data(), lb.x_mid.data(), P, G, rows, lb.pgate);
      proj_backward(lp.up, a.dmid.data(), a.dup.data(), lb.x_mid.data(), P, G, rows, lb.pup);
    }
    // Attention: dmid is the gradient of x_mid = x + o(attention(...)).
    zero(a.datt_out);
    proj_backward(lp.o, a.datt_out.data(), a.dmid.data(), lb.att_out.data(), P, G, rows, lb.po);
    a.dres = a.dmid;
    zero(a.dq);
    zero(a.dk);
    zero(a.dv);
    nn::attention_backward(a.dq.data(), a.dk.data(), a.dv.data(), a.datt_out.data(), lb.att.data(), lb.q.data(),
                           lb.k.data(), lb.v.data(), shape);
    nn::rope_backward(a.dq.data(), B, Tn, nh, hd, 0, c.rope_theta);
    nn::rope_backward(a.dk.data(), B, Tn, nkv, hd, 0, c.rope_theta);
    if (lp.attn_norm >= 0) {
      zero(a.dxn);
      proj_backward(lp.q, a.dxn.data(), a.dq.data(), lb.xn.data(), P, G, rows, lb.pq);
      proj_backward(lp.k, a.dxn.data(), a.dk.data(), lb.xn.data(), P, G, rows, lb.pk);
      proj_backward(lp.v, a.dxn.data(), a.dv.data(), lb.xn.data(), P, G, rows, lb.pv);
      norm_backward(c.norm, a.dres.data(), G + lp.attn_norm, a.dxn.data(), x, P + lp.attn_norm, lb.xn_mean.data(),
                    lb.xn_rstd.data(), rows, C);
    } else {
      proj_backward(lp.q, a.dres.data(), a.dq.data(), x, P, G, rows, lb.pq);
      proj_backward(lp.k, a.dres.data(), a.dk.data(), x, P, G, rows, lb.pk);
      proj_backward(lp.v, a.dres.data(), a.dv.data(), x, P, G, rows, lb.pv);
    }
  }
  nn::embedding_backward(G + a.embed, a.dres.data(), a.tokens.data(), rows, C);
}

template class LanguageModel<float>;
template class LanguageModel<double>;

}  // namespace abacus::model
