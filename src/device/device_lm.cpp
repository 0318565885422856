#include "src/device/device_lm.h"

#include <cmath>

#include "src/device/backend_buffer.h"
#include "src/nn/bitlinear.h"
#include "src/util/error.h"

namespace abacus::device {

namespace {

struct Proj {
  model::ProjSpec spec;
  std::string name;        // "layers.<i>.attn.q"
  bool bit = false;        // BitLinear (norm + quantizers inside)
  NormKind norm = NormKind::rmsnorm;
  bool per_tensor = false;
  int64_t w = -1, g = -1;  // parameter offsets (g = -1: no norm)
  // Saved per forward (sized for the current rows).
  Buf<int8_t> x_q, w_q;
  Buf<float> x_scale, mean, rstd, w_scale, xn;
  Buf<int32_t> acc;
  BitLinearState state() const {
    return {x_q.get(), x_scale.get(), mean.get(), rstd.get(), w_q.get(), w_scale.get(), acc.get()};
  }
};

struct Layer {
  int64_t attn_norm = -1, ffn_norm = -1;
  Proj q, k, v, o, gate, up, down;
  Buf<float> xn, xn_mean, xn_rstd, qb, kb, vb, att, att_out, x_mid, xn2, xn2_mean, xn2_rstd, gateb, upb, h;
};

}  // namespace

struct DeviceLM::Impl {
  Buf<float> P, G, M, V;
  int64_t embed = 0, final_norm = 0, lm_head = 0;
  std::vector<Layer> layers;
  int64_t B = 0, T = 0;
  std::vector<Buf<float>> resid;
  Buf<float> xf, xf_mean, xf_rstd, logits, losses;
  Buf<int32_t> tokens, targets;
  std::vector<int32_t> host_tokens;
  bool have_targets = false;
  Buf<float> dres, dmid, dxn, dq, dk, dv, datt_out, dgate, dup, dh, dproj;
};

DeviceLM::DeviceLM(const ModelConfig& config, Backend& backend)
    : config_(config), layout_(config), be_(backend), impl_(std::make_unique<Impl>()) {
  const ModelConfig& c = config_;
  if (c.hidden_size % c.num_attention_heads != 0)
    fail("config.json", "hidden_size", "must be a multiple of num_attention_heads");
  if (c.num_attention_heads % c.num_key_value_heads != 0)
    fail("config.json", "num_key_value_heads", "must divide num_attention_heads");
  if (c.head_dim() % 2 != 0) fail("config.json", "hidden_size", "head_dim must be even for RoPE");
  Impl& a = *impl_;
  const int64_t n = layout_.total();
  a.P = Buf<float>(be_, n);
  a.G = Buf<float>(be_, n);
  a.M = Buf<float>(be_, n);
  a.V = Buf<float>(be_, n);
  a.embed = layout_.at("embed.weight").offset;
  a.final_norm = layout_.at("final_norm.weight").offset;
  a.lm_head = c.tie_word_embeddings ? a.embed : layout_.at("lm_head.weight").offset;
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
    const std::string pre = "layers." + std::to_string(l) + ".";
    Layer lp;
    if (model::has_pre_norms(c)) {
      lp.attn_norm = layout_.at(pre + "attn_norm.weight").offset;
      lp.ffn_norm = layout_.at(pre + "ffn_norm.weight").offset;
    }
    for (const model::ProjSpec& s : model::block_projections(c)) {
      Proj p;
      p.spec = s;
      p.name = pre + s.name;
      p.bit = s.has_norm && c.quant != Quant::fp;
      const nn::BitLinearSpec bl = nn::BitLinearSpec::for_model(c, s.in, s.out);
      p.norm = c.quant == Quant::fp ? c.norm : bl.norm;
      p.per_tensor = bl.train_act_scope == quant::ActScope::per_tensor;
      if (p.bit && (s.out % c.quant_groups != 0))
        fail("config.json", "quant_groups", std::to_string(c.quant_groups) + " must divide " + std::to_string(s.out));
      p.w = layout_.at(pre + s.name + ".weight").offset;
      if (s.has_norm) p.g = layout_.at(pre + s.name + ".norm.weight").offset;
      if (s.name == "attn.q") lp.q = std::move(p);
      else if (s.name == "attn.k") lp.k = std::move(p);
      else if (s.name == "attn.v") lp.v = std::move(p);
      else if (s.name == "attn.o") lp.o = std::move(p);
      else if (s.name == "ffn.gate") lp.gate = std::move(p);
      else if (s.name == "ffn.up") lp.up = std::move(p);
      else lp.down = std::move(p);
    }
    a.layers.push_back(std::move(lp));
  }
}

DeviceLM::~DeviceLM() = default;

void DeviceLM::set_params(const float* host) { be_.upload(impl_->P.get(), host, size_t(num_params()) * 4); }
void DeviceLM::get_params(float* host) const { be_.download(host, impl_->P.get(), size_t(num_params()) * 4); }
void DeviceLM::get_grads(float* host) const { be_.download(host, impl_->G.get(), size_t(num_params()) * 4); }
void DeviceLM::set_optimizer(const float* m, const float* v, int64_t t) {
  be_.upload(impl_->M.get(), m, size_t(num_params()) * 4);
  be_.upload(impl_->V.get(), v, size_t(num_params()) * 4);
  adam_t_ = t;
}
void DeviceLM::get_optimizer(float* m, float* v) const {
  be_.download(m, impl_->M.get(), size_t(num_params()) * 4);
  be_.download(v, impl_->V.get(), size_t(num_params()) * 4);
}

namespace {

void size_proj(Backend& be, Proj& p, int64_t rows, int64_t groups) {
  if (p.w < 0) return;  // absent (gate of a gelu FFN)
  const int64_t K = p.spec.in, N = p.spec.out;
  if (p.g >= 0) {
    p.mean = Buf<float>(be, rows);
    p.rstd = Buf<float>(be, rows);
  }
  if (p.bit) {
    p.x_q = Buf<int8_t>(be, rows * K);
    p.x_scale = Buf<float>(be, rows);
    p.w_q = Buf<int8_t>(be, N * K);
    p.w_scale = Buf<float>(be, groups);
    p.acc = Buf<int32_t>(be, rows * N);
  } else if (p.g >= 0) {
    p.xn = Buf<float>(be, rows * K);
  }
}

BitLinearShape shape_of(const Proj& p, const ModelConfig& c, int64_t rows) {
  BitLinearShape s;
  s.rows = rows;
  s.K = p.spec.in;
  s.N = p.spec.out;
  s.groups = c.quant_groups;
  s.quant = c.quant;
  s.norm = p.norm;
  s.per_tensor = p.per_tensor;
  s.eps = c.rms_norm_eps;
  return s;
}

void proj_forward(Backend& be, const ModelConfig& c, Proj& p, float* y, const float* x, const float* P, int64_t rows) {
  const int64_t K = p.spec.in, N = p.spec.out;
  if (p.bit) {
    be.bitlinear_forward(shape_of(p, c, rows), y, x, P + p.w, P + p.g, p.state());
  } else if (p.g >= 0) {
    be.norm_forward(p.norm, p.xn.get(), p.mean.get(), p.rstd.get(), x, P + p.g, rows, K, c.rms_norm_eps);
    be.linear_forward(y, p.xn.get(), P + p.w, rows, K, N);
  } else {
    be.linear_forward(y, x, P + p.w, rows, K, N);
  }
}

// Accumulates into dx; scratch [rows, K] for the SubLN path.
void proj_backward(Backend& be, const ModelConfig& c, Proj& p, float* dx, const float* dy, const float* x,
                   const float* P, float* G, int64_t rows, float* scratch) {
  const int64_t K = p.spec.in, N = p.spec.out;
  if (p.bit) {
    be.bitlinear_backward(shape_of(p, c, rows), dx, G + p.w, G + p.g, dy, x, P + p.g, p.state());
  } else if (p.g >= 0) {
    be.zero(scratch, size_t(rows * K) * 4);
    be.linear_backward(scratch, G + p.w, dy, p.xn.get(), P + p.w, rows, K, N);
    be.norm_backward(p.norm, dx, G + p.g, scratch, x, P + p.g, p.mean.get(), p.rstd.get(), rows, K);
  } else {
    be.linear_backward(dx, G + p.w, dy, x, P + p.w, rows, K, N);
  }
}

}  // namespace

double DeviceLM::forward(const int32_t* tokens, const int32_t* targets, int64_t B, int64_t Tn) {
  const ModelConfig& c = config_;
  Impl& a = *impl_;
  Backend& be = be_;
  const int64_t rows = B * Tn, C = c.hidden_size, I = c.intermediate_size, V = c.vocab_size;
  const int64_t nh = c.num_attention_heads, nkv = c.num_key_value_heads, hd = c.head_dim();
  const int64_t qd = nh * hd, kvd = nkv * hd, L = c.num_hidden_layers;
  if (B <= 0 || Tn <= 0) fail("", "batch", "batch and sequence length must be positive");
  if (Tn > c.max_position_embeddings)
    fail("", "seq", "sequence length " + std::to_string(Tn) + " exceeds max_position_embeddings " +
                        std::to_string(c.max_position_embeddings));
  for (int64_t i = 0; i < rows; ++i)
    if (tokens[i] < 0 || tokens[i] >= V)
      fail("", "token", std::to_string(tokens[i]) + " is outside the vocabulary [0, " + std::to_string(V) + ")");
  const AttnShape shape{B, Tn, nh, nkv, hd};
  if (a.B != B || a.T != Tn) {
    a.B = B;
    a.T = Tn;
    a.resid.clear();
    for (int64_t l = 0; l <= L; ++l) a.resid.emplace_back(be, rows * C);
    for (Layer& lb : a.layers) {
      if (lb.attn_norm >= 0) {
        lb.xn = Buf<float>(be, rows * C);
        lb.xn_mean = Buf<float>(be, rows);
        lb.xn_rstd = Buf<float>(be, rows);
        lb.xn2 = Buf<float>(be, rows * C);
        lb.xn2_mean = Buf<float>(be, rows);
        lb.xn2_rstd = Buf<float>(be, rows);
      }
      lb.qb = Buf<float>(be, rows * qd);
      lb.kb = Buf<float>(be, rows * kvd);
      lb.vb = Buf<float>(be, rows * kvd);
      lb.att = Buf<float>(be, be.attention_saved_floats(shape));
      lb.att_out = Buf<float>(be, rows * qd);
      lb.x_mid = Buf<float>(be, rows * C);
      if (c.ffn != FfnKind::gelu) lb.gateb = Buf<float>(be, rows * I);
      lb.upb = Buf<float>(be, rows * I);
      lb.h = Buf<float>(be, rows * I);
      for (Proj* p : {&lb.q, &lb.k, &lb.v, &lb.o, &lb.gate, &lb.up, &lb.down}) size_proj(be, *p, rows, c.quant_groups);
    }
    a.xf = Buf<float>(be, rows * C);
    a.xf_mean = Buf<float>(be, rows);
    a.xf_rstd = Buf<float>(be, rows);
    a.logits = Buf<float>(be, rows * V);
    a.losses = Buf<float>(be, rows);
    a.tokens = Buf<int32_t>(be, rows);
    a.targets = Buf<int32_t>(be, rows);
    const int64_t wide = std::max({C, I, qd});
    a.dres = Buf<float>(be, rows * C);
    a.dmid = Buf<float>(be, rows * C);
    a.dxn = Buf<float>(be, rows * C);
    a.dq = Buf<float>(be, rows * qd);
    a.datt_out = Buf<float>(be, rows * qd);
    a.dk = Buf<float>(be, rows * kvd);
    a.dv = Buf<float>(be, rows * kvd);
    a.dgate = Buf<float>(be, rows * I);
    a.dup = Buf<float>(be, rows * I);
    a.dh = Buf<float>(be, rows * I);
    a.dproj = Buf<float>(be, rows * wide);
  }
  a.host_tokens.assign(tokens, tokens + rows);
  be.upload(a.tokens.get(), tokens, size_t(rows) * 4);
  const float* P = a.P.get();

  be.embedding_forward(a.resid[0].get(), a.tokens.get(), P + a.embed, rows, C);
  for (int64_t l = 0; l < L; ++l) {
    Layer& lb = a.layers[size_t(l)];
    const float* x = a.resid[size_t(l)].get();
    const float* ain = x;
    if (lb.attn_norm >= 0) {
      be.norm_forward(c.norm, lb.xn.get(), lb.xn_mean.get(), lb.xn_rstd.get(), x, P + lb.attn_norm, rows, C,
                      c.rms_norm_eps);
      ain = lb.xn.get();
    }
    proj_forward(be, c, lb.q, lb.qb.get(), ain, P, rows);
    proj_forward(be, c, lb.k, lb.kb.get(), ain, P, rows);
    proj_forward(be, c, lb.v, lb.vb.get(), ain, P, rows);
    be.rope(lb.qb.get(), B, Tn, nh, hd, 0, c.rope_theta, false);
    be.rope(lb.kb.get(), B, Tn, nkv, hd, 0, c.rope_theta, false);
    be.attention_forward(lb.att_out.get(), lb.att.get(), lb.qb.get(), lb.kb.get(), lb.vb.get(), shape);
    proj_forward(be, c, lb.o, lb.x_mid.get(), lb.att_out.get(), P, rows);
    be.add(lb.x_mid.get(), x, lb.x_mid.get(), rows * C);

    const float* fin = lb.x_mid.get();
    if (lb.ffn_norm >= 0) {
      be.norm_forward(c.norm, lb.xn2.get(), lb.xn2_mean.get(), lb.xn2_rstd.get(), fin, P + lb.ffn_norm, rows, C,
                      c.rms_norm_eps);
      fin = lb.xn2.get();
    }
    proj_forward(be, c, lb.up, lb.upb.get(), fin, P, rows);
    if (c.ffn != FfnKind::gelu) proj_forward(be, c, lb.gate, lb.gateb.get(), fin, P, rows);
    be.ffn_forward(c.ffn, lb.h.get(), lb.gateb.get(), lb.upb.get(), rows * I);
    float* out = a.resid[size_t(l + 1)].get();
    proj_forward(be, c, lb.down, out, lb.h.get(), P, rows);
    be.add(out, lb.x_mid.get(), out, rows * C);
  }
  be.norm_forward(c.norm, a.xf.get(), a.xf_mean.get(), a.xf_rstd.get(), a.resid[size_t(L)].get(), P + a.final_norm,
                  rows, C, c.rms_norm_eps);
  be.linear_forward(a.logits.get(), a.xf.get(), P + a.lm_head, rows, C, V);

  a.have_targets = targets != nullptr;
  if (!targets) return 0.0;
  int64_t count = 0;
  for (int64_t i = 0; i < rows; ++i) {
    if (targets[i] >= V)
      fail("", "target", std::to_string(targets[i]) + " is outside the vocabulary [0, " + std::to_string(V) + ")");
    count += targets[i] >= 0 ? 1 : 0;
  }
  if (count == 0) fail("", "targets", "no target token to score");
  be.upload(a.targets.get(), targets, size_t(rows) * 4);
  // The gradient overwrites the logits (the backward needs only dlogits).
  be.cross_entropy(a.logits.get(), a.targets.get(), rows, V, float(1.0 / double(count)), a.losses.get(),
                   a.logits.get());
  std::vector<float> l(static_cast<size_t>(rows));
  be.download(l.data(), a.losses.get(), size_t(rows) * 4);
  double sum = 0;
  for (int64_t i = 0; i < rows; ++i)
    if (targets[i] >= 0) sum += double(l[size_t(i)]);
  return sum / double(count);
}

std::vector<float> DeviceLM::losses() const {
  std::vector<float> l(static_cast<size_t>(impl_->B * impl_->T));
  if (!l.empty()) be_.download(l.data(), impl_->losses.get(), l.size() * 4);
  return l;
}

std::vector<float> DeviceLM::logits() const {
  if (impl_->have_targets) fail("", "logits", "the last forward had targets (its logits became gradients)");
  std::vector<float> l(static_cast<size_t>(impl_->B * impl_->T * config_.vocab_size));
  if (!l.empty()) be_.download(l.data(), impl_->logits.get(), l.size() * 4);
  return l;
}

void DeviceLM::zero_grad() { impl_->G.zero(); }
float* DeviceLM::device_grads() { return impl_->G.get(); }

void DeviceLM::backward() {
  const ModelConfig& c = config_;
  Impl& a = *impl_;
  Backend& be = be_;
  if (!a.have_targets) fail("", "backward", "needs a forward pass with targets first");
  const int64_t B = a.B, Tn = a.T, rows = B * Tn, C = c.hidden_size, I = c.intermediate_size, V = c.vocab_size;
  const int64_t nh = c.num_attention_heads, nkv = c.num_key_value_heads, hd = c.head_dim();
  const int64_t L = c.num_hidden_layers;
  const float* P = a.P.get();
  float* G = a.G.get();
  const AttnShape shape{B, Tn, nh, nkv, hd};
  const size_t rowsC = size_t(rows * C) * 4;
  float* scratch = a.dproj.get();

  a.dxn.zero();
  be.linear_backward(a.dxn.get(), G + a.lm_head, a.logits.get(), a.xf.get(), P + a.lm_head, rows, C, V);
  a.dres.zero();
  be.norm_backward(c.norm, a.dres.get(), G + a.final_norm, a.dxn.get(), a.resid[size_t(L)].get(), P + a.final_norm,
                   a.xf_mean.get(), a.xf_rstd.get(), rows, C);
  for (int64_t l = L - 1; l >= 0; --l) {
    Layer& lb = a.layers[size_t(l)];
    const float* x = a.resid[size_t(l)].get();
    be.copy(a.dmid.get(), a.dres.get(), rowsC);
    a.dh.zero();
    proj_backward(be, c, lb.down, a.dh.get(), a.dres.get(), lb.h.get(), P, G, rows, scratch);
    a.dup.zero();
    a.dgate.zero();
    be.ffn_backward(c.ffn, a.dgate.get(), a.dup.get(), a.dh.get(), lb.gateb.get(), lb.upb.get(), rows * I);
    if (lb.ffn_norm >= 0) {
      a.dxn.zero();
      if (c.ffn != FfnKind::gelu)
        proj_backward(be, c, lb.gate, a.dxn.get(), a.dgate.get(), lb.xn2.get(), P, G, rows, scratch);
      proj_backward(be, c, lb.up, a.dxn.get(), a.dup.get(), lb.xn2.get(), P, G, rows, scratch);
      be.norm_backward(c.norm, a.dmid.get(), G + lb.ffn_norm, a.dxn.get(), lb.x_mid.get(), P + lb.ffn_norm,
                       lb.xn2_mean.get(), lb.xn2_rstd.get(), rows, C);
    } else {
      if (c.ffn != FfnKind::gelu)
        proj_backward(be, c, lb.gate, a.dmid.get(), a.dgate.get(), lb.x_mid.get(), P, G, rows, scratch);
      proj_backward(be, c, lb.up, a.dmid.get(), a.dup.get(), lb.x_mid.get(), P, G, rows, scratch);
    }
    a.datt_out.zero();
    proj_backward(be, c, lb.o, a.datt_out.get(), a.dmid.get(), lb.att_out.get(), P, G, rows, scratch);
    be.copy(a.dres.get(), a.dmid.get(), rowsC);
    a.dq.zero();
    a.dk.zero();
    a.dv.zero();
    be.attention_backward(a.dq.get(), a.dk.get(), a.dv.get(), a.datt_out.get(), lb.att_out.get(), lb.att.get(),
                          lb.qb.get(), lb.kb.get(), lb.vb.get(), shape);
    be.rope(a.dq.get(), B, Tn, nh, hd, 0, c.rope_theta, true);
    be.rope(a.dk.get(), B, Tn, nkv, hd, 0, c.rope_theta, true);
    if (lb.attn_norm >= 0) {
      a.dxn.zero();
      proj_backward(be, c, lb.q, a.dxn.get(), a.dq.get(), lb.xn.get(), P, G, rows, scratch);
      proj_backward(be, c, lb.k, a.dxn.get(), a.dk.get(), lb.xn.get(), P, G, rows, scratch);
      proj_backward(be, c, lb.v, a.dxn.get(), a.dv.get(), lb.xn.get(), P, G, rows, scratch);
      be.norm_backward(c.norm, a.dres.get(), G + lb.attn_norm, a.dxn.get(), x, P + lb.attn_norm, lb.xn_mean.get(),
                       lb.xn_rstd.get(), rows, C);
    } else {
      proj_backward(be, c, lb.q, a.dres.get(), a.dq.get(), x, P, G, rows, scratch);
      proj_backward(be, c, lb.k, a.dres.get(), a.dk.get(), x, P, G, rows, scratch);
      proj_backward(be, c, lb.v, a.dres.get(), a.dv.get(), x, P, G, rows, scratch);
    }
  }
  be.embedding_backward(G + a.embed, a.dres.get(), a.tokens.get(), rows, C);
}

double DeviceLM::clip_grad_norm(double max_norm) {
  const double norm = std::sqrt(be_.sum_squares(impl_->G.get(), num_params()));
  if (max_norm > 0 && norm > max_norm) be_.scale(impl_->G.get(), num_params(), float(max_norm / (norm + 1e-6)));
  return norm;
}

void DeviceLM::adamw_step(const AdamWSettings& s, double lr, double weight_decay) {
  ++adam_t_;
  Impl& a = *impl_;
  for (const model::ParamSpec& p : layout_.params())
    be_.adamw(a.P.get() + p.offset, a.G.get() + p.offset, a.M.get() + p.offset, a.V.get() + p.offset, p.numel, adam_t_,
              lr, s.beta1, s.beta2, s.eps, weight_decay, p.decay);
}

std::vector<BitLinearCall> DeviceLM::bitlinear_calls() const {
  std::vector<BitLinearCall> out;
  const Impl& a = *impl_;
  const int64_t rows = a.B * a.T;
  for (const Layer& lb : a.layers)
    for (const Proj* p : {&lb.q, &lb.k, &lb.v, &lb.o, &lb.up, &lb.gate, &lb.down}) {
      if (!p->bit || p->w < 0 || rows == 0) continue;
      BitLinearCall r;
      r.name = p->name;
      r.rows = rows;
      r.K = p->spec.in;
      r.N = p->spec.out;
      r.groups = config_.quant_groups;
      r.x_q.resize(size_t(rows * r.K));
      r.w_q.resize(size_t(r.N * r.K));
      r.x_scale.resize(size_t(rows));
      r.w_scale.resize(size_t(r.groups));
      r.acc.resize(size_t(rows * r.N));
      be_.download(r.x_q.data(), p->x_q.get(), r.x_q.size());
      be_.download(r.w_q.data(), p->w_q.get(), r.w_q.size());
      be_.download(r.x_scale.data(), p->x_scale.get(), r.x_scale.size() * 4);
      be_.download(r.w_scale.data(), p->w_scale.get(), r.w_scale.size() * 4);
      be_.download(r.acc.data(), p->acc.get(), r.acc.size() * 4);
      out.push_back(std::move(r));
    }
  return out;
}

}  // namespace abacus::device
