#include "src/families/family_model.h"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "src/io/json_fields.h"
#include "src/io/safetensors.h"
#include "src/train/adamw.h"
#include "src/util/error.h"

namespace abacus::families {

const ParamInfo& ParamLayout::at(const std::string& name) const {
  for (const auto& p : params)
    if (p.name == name) return p;
  fail("", name, "no such parameter");
}

void ParamLayout::add(const std::string& name, int64_t rows, int64_t cols, bool decay, ParamInfo::Init init, float std) {
  ParamInfo p;
  p.name = name, p.offset = total, p.rows = rows, p.cols = cols, p.decay = decay, p.init = init, p.std = std;
  params.push_back(p);
  total += rows * cols;
}

int64_t FamilyDataset::first_word_id() const { return 3 + kSentinels; }

namespace {

bool graph_family(const FamilyConfig& c) { return c.family == Family::sgc || c.family == Family::gcn; }

std::vector<int32_t> token_ids(const TextChunk& ch, const Vocab& v, int64_t first_word) {
  std::vector<int32_t> ids;
  for (const auto& w : ch.words) {
    const int32_t id = v.find(w);
    ids.push_back(id < 0 ? kUnk : int32_t(first_word + id));
  }
  return ids;
}

}  // namespace

FamilyDataset build_dataset(const FamilyConfig& c, const std::string& dir) {
  FamilyDataset d;
  d.chunks = load_brown_chunks(dir, c.transformer() ? c.data.seq_len : c.data.chunk_words);
  d.vocab = build_vocab(d.chunks, c.data.vocab_size);
  for (size_t i = 0; i < d.chunks.size(); ++i) (d.chunks[i].test ? d.test_rows : d.train_rows).push_back(int64_t(i));
  if (d.train_rows.empty() || d.test_rows.empty()) fail(dir, "", "the split has an empty train or test side (too few documents per genre)");
  const int64_t V = int64_t(d.vocab.words.size());
  if (c.transformer()) {
    d.token_vocab = d.first_word_id() + V;
    for (size_t i = 0; i < d.chunks.size(); ++i)
      if (int64_t(d.chunks[i].words.size()) == c.data.seq_len)
        (d.chunks[i].test ? d.test_seqs : d.train_seqs).push_back(token_ids(d.chunks[i], d.vocab, d.first_word_id()));
    if (d.train_seqs.empty() || d.test_seqs.empty()) fail(dir, "data.seq_len", "no full-length sequence on one side of the split");
    return d;
  }
  d.classes = label_count(c.data.labels);
  d.input_dim = V;
  for (const auto& ch : d.chunks) d.labels.push_back(chunk_label(ch, c.data.labels));
  if (c.family == Family::mlp) {
    d.features = bag_of_words(d.chunks, d.vocab, c.data.features);
    return d;
  }
  d.graph = std::make_shared<TextGraph>(build_text_graph(d.chunks, d.vocab, c.data.window));
  d.adj_t = std::make_shared<Csr>(d.graph->adj.transposed());
  if (c.family == Family::sgc) {
    // S^2 X once (SGC's precomputation), keeping the chunk rows.
    const int64_t N = d.graph->adj.rows;
    std::vector<float> a(size_t(N * V)), b(size_t(N * V));
    spmm<float>(d.graph->adj, d.graph->features.data(), a.data(), V);
    spmm<float>(d.graph->adj, a.data(), b.data(), V);
    d.features.assign(b.begin(), b.begin() + int64_t(d.chunks.size()) * V);
  }
  return d;
}

ParamLayout family_layout(const FamilyConfig& c, const FamilyDataset& d) {
  ParamLayout L;
  using I = ParamInfo::Init;
  const int64_t H = c.hidden_size;
  auto dense = [&](const std::string& n, int64_t in, int64_t out, bool bias, float std) {
    L.add(n + ".weight", out, in, true, I::normal, std);
    if (bias) L.add(n + ".bias", 1, out, false, I::zeros);
  };
  auto ln = [&](const std::string& n) {
    L.add(n + ".weight", 1, H, false, I::ones);
    L.add(n + ".bias", 1, H, false, I::zeros);
  };
  auto inv_sqrt = [](int64_t n) { return float(1.0 / std::sqrt(double(n))); };
  switch (c.family) {
    case Family::mlp:
    case Family::gcn:
      dense("fc1", d.input_dim, H, true, inv_sqrt(d.input_dim));
      dense("fc2", H, d.classes, true, inv_sqrt(H));
      break;
    case Family::sgc: dense("fc", d.input_dim, d.classes, true, inv_sqrt(d.input_dim)); break;
    case Family::encoder:
    case Family::encdec: {
      const bool bias = c.family == Family::encoder;
      L.add("tok_emb", d.token_vocab, H, false, I::normal, 0.02f);
      if (c.family == Family::encoder) L.add("pos_emb", c.max_positions, H, false, I::normal, 0.02f);
      auto block = [&](const std::string& p, bool cross) {
        ln(p + ".ln1");
        for (const char* n : {"q", "k", "v", "o"}) dense(p + ".attn." + n, H, H, bias, 0.02f);
        if (cross) {
          ln(p + ".lnx");
          for (const char* n : {"q", "k", "v", "o"}) dense(p + ".xattn." + n, H, H, bias, 0.02f);
        }
        ln(p + ".ln2");
        dense(p + ".ffn.up", H, c.ffn_size, bias, 0.02f);
        dense(p + ".ffn.down", c.ffn_size, H, bias, 0.02f);
      };
      for (int64_t l = 0; l < c.layers; ++l) block("enc." + std::to_string(l), false);
      ln("enc.ln_f");
      if (c.family == Family::encdec) {
        L.add("enc.rel_bias", c.rel_buckets, c.heads, false, I::zeros);
        L.add("dec.rel_bias", c.rel_buckets, c.heads, false, I::zeros);
        for (int64_t l = 0; l < c.decoder_layers; ++l) block("dec." + std::to_string(l), true);
        ln("dec.ln_f");
      }
      dense("head", H, d.token_vocab, bias, 0.02f);
      break;
    }
  }
  return L;
}

std::vector<float> init_params(const ParamLayout& L, uint64_t seed) {
  std::vector<float> p(size_t(L.total), 0.f);
  tensor::Rng rng(seed);
  for (const auto& q : L.params) {
    float* x = p.data() + q.offset;
    const int64_t n = q.rows * q.cols;
    if (q.init == ParamInfo::Init::ones) std::fill(x, x + n, 1.f);
    if (q.init == ParamInfo::Init::normal) rng.fill_normal(x, n, 0.f, q.std);
  }
  return p;
}

int32_t relative_bucket(int64_t rel, bool bidirectional, int64_t buckets, int64_t max_distance) {
  int64_t ret = 0, nb = buckets, n = -rel;  // n > 0: the key lies before the query
  if (bidirectional) {
    nb /= 2;
    if (n < 0) ret += nb;
    n = std::abs(n);
  } else {
    n = std::max<int64_t>(n, 0);
  }
  const int64_t exact = nb / 2;
  if (n < exact) return int32_t(ret + n);
  int64_t v = exact + int64_t(std::log(double(n) / double(exact)) / std::log(double(max_distance) / double(exact)) *
                              double(nb - exact));
  return int32_t(ret + std::min(v, nb - 1));
}

SpanCorruption span_corrupt(const std::vector<int32_t>& seq, double fraction, double mean_span, tensor::Rng& rng) {
  const int64_t T = int64_t(seq.size());
  const int64_t noise = std::clamp<int64_t>(int64_t(std::lround(double(T) * fraction)), 1, T - 1);
  const int64_t spans = std::clamp<int64_t>(int64_t(std::lround(double(noise) / mean_span)), 1,
                                            std::min<int64_t>({noise, T - noise, kSentinels - 1}));
  // Random compositions of `noise` and `T - noise` into `spans` positive parts (T5's
  // random_spans_noise_mask), interleaved keep, noise, keep, noise, ...
  auto compose = [&](int64_t total) {
    std::vector<int64_t> cuts;
    std::vector<int64_t> pool(size_t(total - 1));
    std::iota(pool.begin(), pool.end(), int64_t(1));
    for (int64_t i = 0; i < spans - 1; ++i) {
      const size_t k = size_t(i) + size_t(rng.below(uint64_t(int64_t(pool.size()) - i)));
      std::swap(pool[size_t(i)], pool[k]);
      cuts.push_back(pool[size_t(i)]);
    }
    std::sort(cuts.begin(), cuts.end());
    std::vector<int64_t> len;
    int64_t prev = 0;
    for (int64_t x : cuts) len.push_back(x - prev), prev = x;
    len.push_back(total - prev);
    return len;
  };
  const std::vector<int64_t> noise_len = compose(noise), keep_len = compose(T - noise);
  SpanCorruption s;
  int64_t p = 0;
  for (int64_t i = 0; i < spans; ++i) {
    for (int64_t k = 0; k < keep_len[size_t(i)]; ++k) s.input.push_back(seq[size_t(p++)]);
    const int32_t sentinel = int32_t(3 + i);
    s.input.push_back(sentinel);
    s.target.push_back(sentinel);
    for (int64_t k = 0; k < noise_len[size_t(i)]; ++k) s.target.push_back(seq[size_t(p++)]);
  }
  s.target.push_back(int32_t(3 + spans));  // closing sentinel
  s.dec_input.push_back(kPad);
  s.dec_input.insert(s.dec_input.end(), s.target.begin(), s.target.end() - 1);
  return s;
}

namespace {

template <class T>
struct Params {
  Tape<T>& tape;
  const ParamLayout& L;
  T* v;
  T* g;
  std::map<std::string, int> ids;
  int operator()(const std::string& name) {
    auto it = ids.find(name);
    if (it != ids.end()) return it->second;
    const ParamInfo& p = L.at(name);
    const int id = tape.param(v + p.offset, g ? g + p.offset : nullptr, p.rows, p.cols);
    ids[name] = id;
    return id;
  }
  bool has(const std::string& name) const {
    for (const auto& p : L.params)
      if (p.name == name) return true;
    return false;
  }
};

DenseSpec spec(const FamilyConfig& c, int64_t in, int64_t out) {
  DenseSpec s;
  s.in = in, s.out = out, s.quant = c.quant, s.act_q = c.act_scale;
  return s;
}

template <class T>
int dense(Tape<T>& tp, Params<T>& P, const FamilyConfig& c, const std::string& n, int x, int64_t in, int64_t out,
          bool quantized = true) {
  DenseSpec s = spec(c, in, out);
  if (!quantized) s.quant = Quant::fp;
  return tp.dense(s, x, P(n + ".weight"), P.has(n + ".bias") ? P(n + ".bias") : -1, n);
}

template <class T>
int ln(Tape<T>& tp, Params<T>& P, const std::string& n, int x) {
  return tp.layernorm(x, P(n + ".weight"), P(n + ".bias"));
}

// One pre-LN block: x + attn(LN x) [+ x + xattn(LN x, mem)] + FFN.
template <class T>
int block(Tape<T>& tp, Params<T>& P, const FamilyConfig& c, const std::string& p, int x, int64_t B, int64_t Tn,
          int bias, bool causal, int mem, int64_t Tm) {
  const int64_t H = c.hidden_size;
  AttnShape s{B, Tn, Tn, c.heads, H / c.heads, causal};
  int h = ln(tp, P, p + ".ln1", x);
  int a = tp.attention(dense(tp, P, c, p + ".attn.q", h, H, H), dense(tp, P, c, p + ".attn.k", h, H, H),
                       dense(tp, P, c, p + ".attn.v", h, H, H), bias, s);
  x = tp.add(x, dense(tp, P, c, p + ".attn.o", a, H, H));
  if (mem >= 0) {
    AttnShape xs{B, Tn, Tm, c.heads, H / c.heads, false};
    h = ln(tp, P, p + ".lnx", x);
    a = tp.attention(dense(tp, P, c, p + ".xattn.q", h, H, H), dense(tp, P, c, p + ".xattn.k", mem, H, H),
                     dense(tp, P, c, p + ".xattn.v", mem, H, H), -1, xs);
    x = tp.add(x, dense(tp, P, c, p + ".xattn.o", a, H, H));
  }
  h = ln(tp, P, p + ".ln2", x);
  const int up = dense(tp, P, c, p + ".ffn.up", h, H, c.ffn_size);
  const int act = c.family == Family::encdec ? tp.relu(up) : tp.gelu(up);
  return tp.add(x, dense(tp, P, c, p + ".ffn.down", act, c.ffn_size, H));
}

template <class T>
double accuracy_of(const Tape<T>& tp, int logits, const std::vector<int32_t>& targets, int64_t* correct, int64_t* counted) {
  const int64_t R = tp.rows(logits), V = tp.cols(logits);
  int64_t ok = 0, n = 0;
  for (int64_t r = 0; r < R; ++r) {
    if (targets[size_t(r)] < 0) continue;
    const T* row = tp.val(logits) + r * V;
    ok += int64_t(std::max_element(row, row + V) - row) == targets[size_t(r)];
    ++n;
  }
  if (correct) *correct = ok;
  if (counted) *counted = n;
  return n ? double(ok) / double(n) : 0;
}

template <class T>
std::vector<int32_t> bias_buckets(const FamilyConfig& c, int64_t Tq, int64_t Tk, bool bidirectional) {
  std::vector<int32_t> b(size_t(Tq * Tk));
  for (int64_t i = 0; i < Tq; ++i)
    for (int64_t j = 0; j < Tk; ++j) b[size_t(i * Tk + j)] = relative_bucket(j - i, bidirectional, c.rel_buckets, c.rel_max_distance);
  return b;
}

}  // namespace

template <class T>
double family_forward(Tape<T>& tp, const FamilyConfig& c, const FamilyDataset& d, const ParamLayout& L, T* params,
                      T* grads, const Batch& b, int64_t* correct, int64_t* counted) {
  Params<T> P{tp, L, params, grads, {}};
  const int64_t H = c.hidden_size;
  if (c.family == Family::mlp || c.family == Family::sgc) {
    const int64_t V = d.input_dim;
    std::vector<T> x(b.rows.size() * size_t(V));
    std::vector<int32_t> targets;
    for (size_t r = 0; r < b.rows.size(); ++r) {
      std::copy(d.features.begin() + b.rows[r] * V, d.features.begin() + (b.rows[r] + 1) * V, x.begin() + int64_t(r) * V);
      targets.push_back(d.labels[size_t(b.rows[r])]);
    }
    const int in = tp.input(std::move(x), int64_t(b.rows.size()), V);
    int logits;
    if (c.family == Family::mlp)
      logits = dense(tp, P, c, "fc2", tp.relu(dense(tp, P, c, "fc1", in, V, H)), H, d.classes);
    else
      logits = dense(tp, P, c, "fc", in, V, d.classes);
    const double loss = tp.cross_entropy(logits, targets);
    accuracy_of(tp, logits, targets, correct, counted);
    return loss;
  }
  if (c.family == Family::gcn) {
    const TextGraph& g = *d.graph;
    const int64_t N = g.adj.rows, V = d.input_dim;
    const int in = tp.input(std::vector<T>(g.features.begin(), g.features.end()), N, V);
    std::vector<int32_t> targets(size_t(N), -1);
    for (int64_t r : b.rows) targets[size_t(r)] = d.labels[size_t(r)];
    const int h = tp.relu(tp.spmm(&g.adj, d.adj_t.get(), dense(tp, P, c, "fc1", in, V, H)));
    const int logits = tp.spmm(&g.adj, d.adj_t.get(), dense(tp, P, c, "fc2", h, H, d.classes));
    const double loss = tp.cross_entropy(logits, targets);
    accuracy_of(tp, logits, targets, correct, counted);
    return loss;
  }
  const auto& seqs = b.test ? d.test_seqs : d.train_seqs;
  const int64_t B = int64_t(b.rows.size());
  tensor::Rng rng(b.noise_seed);
  if (c.family == Family::encoder) {
    const int64_t Tn = c.data.seq_len;
    std::vector<int32_t> ids, targets;
    std::vector<int64_t> masked;
    for (int64_t r = 0; r < B; ++r) {
      const auto& s = seqs[size_t(b.rows[size_t(r)])];
      for (int64_t t = 0; t < Tn; ++t) {
        int32_t id = s[size_t(t)];
        if (rng.uniform_double() < c.data.mask_fraction) {
          masked.push_back(r * Tn + t);
          targets.push_back(id);
          const double u = rng.uniform_double();
          id = u < 0.8 ? kMask : u < 0.9 ? int32_t(d.first_word_id() + int64_t(rng.below(uint64_t(d.vocab.words.size())))) : id;
        }
        ids.push_back(id);
      }
    }
    if (masked.empty()) {  // at least one prediction per batch
      masked.push_back(0);
      targets.push_back(ids[0]);
      ids[0] = kMask;
    }
    int x = tp.add_positions(tp.embed(ids, P("tok_emb")), P("pos_emb"), Tn);
    for (int64_t l = 0; l < c.layers; ++l) x = block(tp, P, c, "enc." + std::to_string(l), x, B, Tn, -1, false, -1, 0);
    x = ln(tp, P, "enc.ln_f", tp.gather_rows(x, masked));
    const int logits = dense(tp, P, c, "head", x, H, d.token_vocab, false);
    const double loss = tp.cross_entropy(logits, targets);
    accuracy_of(tp, logits, targets, correct, counted);
    return loss;
  }
  // encdec
  std::vector<int32_t> in_ids, dec_ids, targets;
  int64_t Ti = 0, Tt = 0;
  for (int64_t r = 0; r < B; ++r) {
    const SpanCorruption s = span_corrupt(seqs[size_t(b.rows[size_t(r)])], c.data.mask_fraction, c.data.mean_span, rng);
    Ti = int64_t(s.input.size()), Tt = int64_t(s.target.size());
    in_ids.insert(in_ids.end(), s.input.begin(), s.input.end());
    dec_ids.insert(dec_ids.end(), s.dec_input.begin(), s.dec_input.end());
    targets.insert(targets.end(), s.target.begin(), s.target.end());
  }
  const int enc_bias = tp.position_bias(P("enc.rel_bias"), bias_buckets<T>(c, Ti, Ti, true), c.heads);
  const int dec_bias = tp.position_bias(P("dec.rel_bias"), bias_buckets<T>(c, Tt, Tt, false), c.heads);
  int x = tp.embed(in_ids, P("tok_emb"));
  for (int64_t l = 0; l < c.layers; ++l) x = block(tp, P, c, "enc." + std::to_string(l), x, B, Ti, enc_bias, false, -1, 0);
  const int mem = ln(tp, P, "enc.ln_f", x);
  int y = tp.embed(dec_ids, P("tok_emb"));
  for (int64_t l = 0; l < c.decoder_layers; ++l)
    y = block(tp, P, c, "dec." + std::to_string(l), y, B, Tt, dec_bias, true, mem, Ti);
  y = ln(tp, P, "dec.ln_f", y);
  const int logits = dense(tp, P, c, "head", y, H, d.token_vocab, false);
  const double loss = tp.cross_entropy(logits, targets);
  accuracy_of(tp, logits, targets, correct, counted);
  return loss;
}

template double family_forward<float>(Tape<float>&, const FamilyConfig&, const FamilyDataset&, const ParamLayout&,
                                      float*, float*, const Batch&, int64_t*, int64_t*);
template double family_forward<double>(Tape<double>&, const FamilyConfig&, const FamilyDataset&, const ParamLayout&,
                                       double*, double*, const Batch&, int64_t*, int64_t*);

namespace {

// The batches of one pass: mlp and the transformers shuffle the training rows into
// minibatches; the graph families take all training chunks at once (full batch).
std::vector<Batch> epoch_batches(const FamilyConfig& c, const FamilyDataset& d, tensor::Rng& rng) {
  std::vector<int64_t> rows;
  if (c.transformer()) {
    rows.resize(d.train_seqs.size());
    std::iota(rows.begin(), rows.end(), int64_t(0));
  } else {
    rows = d.train_rows;
  }
  if (graph_family(c)) return {Batch{rows, false, 0}};
  for (size_t i = rows.size(); i > 1; --i) std::swap(rows[i - 1], rows[size_t(rng.below(i))]);
  std::vector<Batch> out;
  const size_t bs = size_t(c.training.batch_size);
  for (size_t p = 0; p < rows.size(); p += bs) {
    Batch b;
    b.rows.assign(rows.begin() + long(p), rows.begin() + long(std::min(rows.size(), p + bs)));
    b.noise_seed = rng.next_u64();
    out.push_back(std::move(b));
  }
  return out;
}

}  // namespace

void train_family(const FamilyConfig& c, const FamilyDataset& d, const ParamLayout& L, std::vector<float>& params,
                  uint64_t seed, const std::function<void(const TrainLog&)>& log) {
  if (int64_t(params.size()) != L.total) fail("", "params", "size does not match the layout");
  std::vector<train::ParamSegment> segs;
  for (const auto& p : L.params) segs.push_back({p.offset, p.rows * p.cols, p.decay});
  train::AdamW opt(L.total, {c.training.beta1, c.training.beta2, 1e-8}, segs);
  std::vector<float> grads(size_t(L.total));
  tensor::Rng rng(seed ^ 0x5eedf00dULL);
  // mlp: steps = epochs; graph families: steps = full-batch steps; transformers: batches.
  std::vector<Batch> plan;
  if (c.family == Family::mlp) {
    for (int64_t e = 0; e < c.training.steps; ++e) {
      auto ep = epoch_batches(c, d, rng);
      plan.insert(plan.end(), ep.begin(), ep.end());
    }
  } else {
    while (int64_t(plan.size()) < c.training.steps) {
      auto ep = epoch_batches(c, d, rng);
      plan.insert(plan.end(), ep.begin(), ep.end());
    }
    plan.resize(size_t(c.training.steps));
  }
  const int64_t total = int64_t(plan.size()), warm = std::min(c.training.warmup, total);
  for (int64_t s = 0; s < total; ++s) {
    const double lr = s < warm ? c.training.lr * double(s + 1) / double(warm)
                               : c.training.lr * double(total - s) / double(std::max<int64_t>(1, total - warm));
    std::fill(grads.begin(), grads.end(), 0.f);
    Tape<float> tp;
    const double loss = family_forward<float>(tp, c, d, L, params.data(), grads.data(), plan[size_t(s)], nullptr, nullptr);
    if (!std::isfinite(loss)) fail("", "training", "loss became non-finite at step " + std::to_string(s));
    tp.backward();
    opt.step(params.data(), grads.data(), lr, c.training.weight_decay);
    if (log) log({s, loss, lr});
  }
}

EvalResult evaluate_family(const FamilyConfig& c, const FamilyDataset& d, const ParamLayout& L,
                           std::vector<float>& params) {
  EvalResult r;
  std::vector<int64_t> rows;
  if (c.transformer()) {
    // A fixed subset (the first kEvalSequences test sequences, in corpus order) keeps the
    // evaluation to seconds on a shared 2-core machine; every model sees the same one.
    rows.resize(std::min<size_t>(d.test_seqs.size(), size_t(kEvalSequences)));
    std::iota(rows.begin(), rows.end(), int64_t(0));
  } else {
    rows = d.test_rows;
  }
  const size_t bs = graph_family(c) ? rows.size() : size_t(c.transformer() ? c.training.batch_size : 256);
  double loss_sum = 0;
  int64_t correct_sum = 0, count_sum = 0;
  tensor::Rng rng(0xe5a1ULL);  // fixed: every model is evaluated on the same masks
  for (size_t p = 0; p < rows.size(); p += bs) {
    Batch b;
    b.rows.assign(rows.begin() + long(p), rows.begin() + long(std::min(rows.size(), p + bs)));
    b.test = true;
    b.noise_seed = rng.next_u64();
    Tape<float> tp;
    tp.set_inference(nullptr);
    int64_t correct = 0, counted = 0;
    const double loss = family_forward<float>(tp, c, d, L, params.data(), nullptr, b, &correct, &counted);
    loss_sum += loss * double(counted);
    correct_sum += correct;
    count_sum += counted;
  }
  r.count = count_sum;
  r.loss = count_sum ? loss_sum / double(count_sum) : 0;
  r.accuracy = count_sum ? double(correct_sum) / double(count_sum) : 0;
  return r;
}

void save_family_checkpoint(const std::string& path, const FamilyConfig& c, const FamilyDataset& d,
                            const ParamLayout& L, const std::vector<float>& params) {
  io::SafetensorsWriter w;
  w.set_metadata("format", "abacus-family");
  w.set_metadata("config", family_config_json(c));
  w.set_metadata("vocab", io::Json(d.vocab.words).dump());
  for (const auto& p : L.params) w.add_f32(p.name, {p.rows, p.cols}, params.data() + p.offset);
  w.write(path);
}

FamilyCheckpoint load_family_checkpoint(const std::string& path) {
  const io::SafetensorsFile f = io::SafetensorsFile::open(path);
  auto meta = [&](const std::string& k) {
    auto it = f.metadata().find(k);
    if (it == f.metadata().end()) fail(path, "__metadata__." + k, "missing (not an abacus family checkpoint)");
    return it->second;
  };
  if (meta("format") != "abacus-family") fail(path, "__metadata__.format", "expected \"abacus-family\"");
  FamilyCheckpoint ck;
  ck.config = parse_family_config(meta("config"), path + " (__metadata__.config)");
  const io::Json v = io::parse_json(meta("vocab"), path + " (__metadata__.vocab)");
  if (!v.is_array()) fail(path, "__metadata__.vocab", "must be a JSON array of words");
  for (const auto& w : v) {
    if (!w.is_string()) fail(path, "__metadata__.vocab", "must be a JSON array of words");
    ck.vocab.push_back(w.get<std::string>());
  }
  for (const auto& t : f.tensors()) ck.tensors[t.name] = f.read_f32(t.name);
  return ck;
}

std::vector<float> checkpoint_params(const FamilyCheckpoint& ck, const FamilyDataset& d, const ParamLayout& L,
                                     const std::string& path) {
  if (ck.vocab != d.vocab.words)
    fail(path, "__metadata__.vocab", "the checkpoint's vocabulary differs from the one built from this corpus");
  std::vector<float> p(size_t(L.total));
  for (const auto& q : L.params) {
    auto it = ck.tensors.find(q.name);
    if (it == ck.tensors.end()) fail(path, q.name, "missing tensor");
    if (int64_t(it->second.size()) != q.rows * q.cols)
      fail(path, q.name, "expected " + std::to_string(q.rows) + "x" + std::to_string(q.cols) + " values");
    std::copy(it->second.begin(), it->second.end(), p.begin() + q.offset);
  }
  if (ck.tensors.size() != L.params.size()) fail(path, "", "the checkpoint has tensors the model does not use");
  return p;
}

}  // namespace abacus::families
