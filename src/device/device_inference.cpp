#include "src/device/device_inference.h"

#include <string>

#include "src/device/backend_buffer.h"
#include "src/model/param_layout.h"
#include "src/util/error.h"

namespace abacus::device {

namespace {

struct Proj {
  std::string name;  // "layers.<i>.attn.q"
  int64_t in = 0, out = 0;
  bool bit = false;
  NormKind norm = NormKind::rmsnorm;
  Buf<float> w, gain, w_scale;  // fp weight or nothing; norm gain (may be empty)
  Buf<int8_t> w_q;
  Buf<uint8_t> packed;
  bool present() const { return out > 0; }
};

struct Layer {
  Buf<float> attn_norm, ffn_norm;  // fp pre-norms
  Proj q, k, v, o, gate, up, down;
  Buf<float> k_cache, v_cache;  // [max_pos, kv_dim]
};

Buf<float> upload(Backend& be, const float* host, int64_t n) {
  Buf<float> b(be, n);
  be.upload(b.get(), host, size_t(n) * 4);
  return b;
}

}  // namespace

struct DeviceInference::Impl {
  Buf<float> embed, final_norm, lm_head;
  std::vector<Layer> layers;
};

DeviceInference::DeviceInference(const ModelConfig& config, const float* params, Backend& backend)
    : config_(config), be_(backend), impl_(std::make_unique<Impl>()) {
  const ModelConfig& c = config_;
  const model::ParamLayout layout(c);
  auto host = [&](const std::string& name) { return params + layout.at(name).offset; };
  auto numel = [&](const std::string& name) { return layout.at(name).numel; };
  Impl& a = *impl_;
  a.embed = upload(be_, host("embed.weight"), numel("embed.weight"));
  a.final_norm = upload(be_, host("final_norm.weight"), c.hidden_size);
  const std::string head = c.tie_word_embeddings ? "embed.weight" : "lm_head.weight";
  a.lm_head = upload(be_, host(head), numel(head));
  const int64_t kvd = c.kv_dim();
  for (int64_t l = 0; l < c.num_hidden_layers; ++l) {
    const std::string pre = "layers." + std::to_string(l) + ".";
    Layer L;
    if (model::has_pre_norms(c)) {
      L.attn_norm = upload(be_, host(pre + "attn_norm.weight"), c.hidden_size);
      L.ffn_norm = upload(be_, host(pre + "ffn_norm.weight"), c.hidden_size);
    }
    for (const model::ProjSpec& s : model::block_projections(c)) {
      Proj p;
      p.name = pre + s.name;
      p.in = s.in;
      p.out = s.out;
      p.bit = s.has_norm && c.quant != Quant::fp;
      p.norm = c.quant == Quant::fp ? c.norm : nn::BitLinearSpec::for_model(c, s.in, s.out).norm;
      if (s.has_norm) p.gain = upload(be_, host(pre + s.name + ".norm.weight"), s.in);
      if (p.bit) {
        if (s.out % c.quant_groups != 0)
          fail("config.json", "quant_groups", std::to_string(c.quant_groups) + " must divide " + std::to_string(s.out));
        Buf<float> W = upload(be_, host(pre + s.name + ".weight"), s.in * s.out);
        p.w_q = Buf<int8_t>(be_, s.in * s.out);
        p.packed = Buf<uint8_t>(be_, s.out * 32 * ((s.in + 127) / 128));
        p.w_scale = Buf<float>(be_, c.quant_groups);
        be_.quantize_weights(c.quant, W.get(), s.out, s.in, c.quant_groups, p.w_q.get(), p.packed.get(),
                             p.w_scale.get());
        be_.synchronize();  // W is freed on return
      } else {
        p.w = upload(be_, host(pre + s.name + ".weight"), s.in * s.out);
      }
      if (s.name == "attn.q") L.q = std::move(p);
      else if (s.name == "attn.k") L.k = std::move(p);
      else if (s.name == "attn.v") L.v = std::move(p);
      else if (s.name == "attn.o") L.o = std::move(p);
      else if (s.name == "ffn.gate") L.gate = std::move(p);
      else if (s.name == "ffn.up") L.up = std::move(p);
      else L.down = std::move(p);
    }
    L.k_cache = Buf<float>(be_, c.max_position_embeddings * kvd);
    L.v_cache = Buf<float>(be_, c.max_position_embeddings * kvd);
    a.layers.push_back(std::move(L));
  }
}

DeviceInference::~DeviceInference() = default;

std::vector<float> DeviceInference::forward(const int32_t* tokens, int64_t n, int64_t pos,
                                            const nn::BitLinearObserver* observer) {
  const ModelConfig& c = config_;
  Backend& be = be_;
  Impl& a = *impl_;
  const int64_t C = c.hidden_size, I = c.intermediate_size, V = c.vocab_size;
  const int64_t nh = c.num_attention_heads, nkv = c.num_key_value_heads, hd = c.head_dim();
  const int64_t qd = nh * hd, kvd = nkv * hd;
  if (n <= 0) fail("", "tokens", "no tokens to run");
  if (pos < 0 || pos + n > c.max_position_embeddings)
    fail("", "position", "positions " + std::to_string(pos) + ".." + std::to_string(pos + n - 1) +
                             " exceed max_position_embeddings " + std::to_string(c.max_position_embeddings));
  for (int64_t i = 0; i < n; ++i)
    if (tokens[i] < 0 || tokens[i] >= V)
      fail("", "token", std::to_string(tokens[i]) + " is outside the vocabulary [0, " + std::to_string(V) + ")");
  const int64_t wide = std::max({C, I, qd});
  Buf<int32_t> ids(be, n);
  be.upload(ids.get(), tokens, size_t(n) * 4);
  Buf<float> x(be, n * C), xn(be, n * wide), mean(be, n), rstd(be, n), q(be, n * qd), k(be, n * kvd), v(be, n * kvd),
      att(be, n * qd), o(be, n * C), gate(be, n * I), up(be, n * I), h(be, n * I);
  Buf<int8_t> x_q(be, n * wide);
  Buf<float> x_scale(be, n);
  Buf<int32_t> acc(be, n * wide);

  auto run_proj = [&](const Proj& p, float* y, const float* in) {
    if (!p.bit) {
      const float* src = in;
      if (p.gain.get()) {  // SubLN of an fp model
        be.norm_forward(p.norm, xn.get(), mean.get(), rstd.get(), in, p.gain.get(), n, p.in, c.rms_norm_eps);
        src = xn.get();
      }
      be.linear_forward(y, src, p.w.get(), n, p.in, p.out);
      return;
    }
    BitLinearShape s;
    s.rows = n;
    s.K = p.in;
    s.N = p.out;
    s.groups = c.quant_groups;
    s.quant = c.quant;
    s.norm = p.norm;
    s.eps = c.rms_norm_eps;
    const BitLinearState st{x_q.get(), x_scale.get(), mean.get(), rstd.get(), p.w_q.get(), p.w_scale.get(), acc.get()};
    be.bitlinear_infer(s, y, in, p.gain.get(), p.w_q.get(), p.packed.get(), p.w_scale.get(), st);
    if (observer && *observer) {
      std::vector<int8_t> hx(static_cast<size_t>(n * p.in)), hw(static_cast<size_t>(p.in * p.out));
      std::vector<float> hs(static_cast<size_t>(n)), hws(static_cast<size_t>(c.quant_groups)), hy(static_cast<size_t>(n * p.out));
      std::vector<int32_t> ha(static_cast<size_t>(n * p.out));
      be.download(hx.data(), x_q.get(), hx.size());
      be.download(hw.data(), p.w_q.get(), hw.size());
      be.download(hs.data(), x_scale.get(), hs.size() * 4);
      be.download(hws.data(), p.w_scale.get(), hws.size() * 4);
      be.download(ha.data(), acc.get(), ha.size() * 4);
      be.download(hy.data(), y, hy.size() * 4);
      const nn::BitLinearRecord rec{p.name, n, p.in, p.out, 1, hx.data(), hs.data(), hw.data(), hws.data(),
                                    ha.data(), hy.data(), c.quant_groups, nullptr};
      (*observer)(rec);
    }
  };

  be.embedding_forward(x.get(), ids.get(), a.embed.get(), n, C);
  for (Layer& L : a.layers) {
    const float* ain = x.get();
    if (L.attn_norm.get()) {
      be.norm_forward(c.norm, xn.get(), mean.get(), rstd.get(), x.get(), L.attn_norm.get(), n, C, c.rms_norm_eps);
      ain = xn.get();
    }
    run_proj(L.q, q.get(), ain);
    run_proj(L.k, k.get(), ain);
    run_proj(L.v, v.get(), ain);
    be.rope(q.get(), 1, n, nh, hd, pos, c.rope_theta, false);
    be.rope(k.get(), 1, n, nkv, hd, pos, c.rope_theta, false);
    be.copy(L.k_cache.get() + pos * kvd, k.get(), size_t(n * kvd) * 4);
    be.copy(L.v_cache.get() + pos * kvd, v.get(), size_t(n * kvd) * 4);
    be.attention_cached(att.get(), q.get(), L.k_cache.get(), L.v_cache.get(), n, pos, nh, nkv, hd);
    run_proj(L.o, o.get(), att.get());
    be.add(x.get(), x.get(), o.get(), n * C);
    const float* fin = x.get();
    if (L.ffn_norm.get()) {
      be.norm_forward(c.norm, xn.get(), mean.get(), rstd.get(), x.get(), L.ffn_norm.get(), n, C, c.rms_norm_eps);
      fin = xn.get();
    }
    if (c.ffn != FfnKind::gelu) run_proj(L.gate, gate.get(), fin);
    run_proj(L.up, up.get(), fin);
    be.ffn_forward(c.ffn, h.get(), gate.get(), up.get(), n * I);
    run_proj(L.down, o.get(), h.get());
    be.add(x.get(), x.get(), o.get(), n * C);
  }
  be.norm_forward(c.norm, xn.get(), mean.get(), rstd.get(), x.get(), a.final_norm.get(), n, C, c.rms_norm_eps);
  Buf<float> logits(be, n * V);
  be.linear_forward(logits.get(), xn.get(), a.lm_head.get(), n, C, V);
  std::vector<float> out(static_cast<size_t>(n * V));
  be.download(out.data(), logits.get(), out.size() * 4);
  return out;
}

}  // namespace abacus::device
