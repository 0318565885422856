#include "src/families/brown_data.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "src/util/error.h"

namespace abacus::families {
namespace fs = std::filesystem;

namespace {

std::vector<std::string> words_of(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  for (char ch : text) {
    const unsigned char u = static_cast<unsigned char>(ch);
    if (std::isalnum(u)) {
      cur += char(std::tolower(u));
    } else if (!cur.empty()) {
      out.push_back(cur);
      cur.clear();
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

}  // namespace

std::vector<TextChunk> load_brown_chunks(const std::string& dir, int64_t chunk_words) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    fail(dir, "", "corpus directory not found (run scripts/fetch-corpus.sh for data/brown)");
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string n = e.path().filename().string();
    if (n.size() == 8 && n[0] == 'c' && n.substr(4) == ".txt") names.push_back(n);
  }
  std::sort(names.begin(), names.end());
  if (names.empty()) fail(dir, "", "no Brown documents (c<genre><nn>.txt) in the directory");
  std::map<char, int> seen_in_genre;
  std::vector<TextChunk> chunks;
  for (const std::string& n : names) {
    const char* g = std::strchr(kBrownGenres, n[1]);
    if (!g) fail(dir + "/" + n, "genre", std::string("unknown Brown genre letter '") + n[1] + "'");
    std::ifstream in(dir + "/" + n, std::ios::binary);
    if (!in) fail(dir + "/" + n, "", "cannot read");
    std::stringstream ss;
    ss << in.rdbuf();
    const std::vector<std::string> w = words_of(ss.str());
    const bool test = seen_in_genre[n[1]]++ % 5 == 4;
    for (size_t p = 0; p < w.size(); p += size_t(chunk_words)) {
      const size_t e = std::min(w.size(), p + size_t(chunk_words));
      if (int64_t(e - p) * 2 < chunk_words) break;
      TextChunk c;
      c.words.assign(w.begin() + long(p), w.begin() + long(e));
      c.doc = n.substr(0, 4);
      c.genre = int(g - kBrownGenres);
      c.test = test;
      chunks.push_back(std::move(c));
    }
  }
  if (chunks.empty()) fail(dir, "chunk_words", "no document has enough words for one chunk");
  return chunks;
}

int label_count(const std::string& labels) { return labels == "coarse" ? 2 : int(std::strlen(kBrownGenres)); }

int chunk_label(const TextChunk& c, const std::string& labels) {
  if (labels == "coarse") return kBrownGenres[c.genre] >= 'k' ? 1 : 0;
  return c.genre;
}

Vocab build_vocab(const std::vector<TextChunk>& chunks, int64_t size) {
  std::map<std::string, int32_t> df;
  Vocab v;
  for (const TextChunk& c : chunks) {
    if (c.test) continue;
    ++v.train_docs;
    std::vector<std::string> u = c.words;
    std::sort(u.begin(), u.end());
    u.erase(std::unique(u.begin(), u.end()), u.end());
    for (const auto& w : u) ++df[w];
  }
  std::vector<std::pair<std::string, int32_t>> all(df.begin(), df.end());
  std::stable_sort(all.begin(), all.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
  if (int64_t(all.size()) > size) all.resize(static_cast<size_t>(size));
  for (const auto& [w, n] : all) {
    v.id[w] = int32_t(v.words.size());
    v.words.push_back(w);
    v.df.push_back(n);
  }
  return v;
}

namespace {
float idf(const Vocab& v, int32_t w) { return float(std::log((1.0 + double(v.train_docs)) / (1.0 + v.df[size_t(w)])) + 1.0); }
}  // namespace

std::vector<float> bag_of_words(const std::vector<TextChunk>& chunks, const Vocab& v, const std::string& features) {
  const int64_t V = int64_t(v.words.size());
  std::vector<float> x(chunks.size() * size_t(V), 0.f);
  for (size_t i = 0; i < chunks.size(); ++i) {
    float* row = x.data() + i * size_t(V);
    for (const auto& w : chunks[i].words) {
      const int32_t id = v.find(w);
      if (id >= 0) row[id] = features == "binary" ? 1.f : row[id] + 1.f;
    }
    if (features == "binary") continue;
    double norm = 0;
    for (int64_t k = 0; k < V; ++k) {
      row[k] *= row[k] > 0 ? idf(v, int32_t(k)) : 0.f;
      norm += double(row[k]) * row[k];
    }
    if (norm > 0)
      for (int64_t k = 0; k < V; ++k) row[k] = float(row[k] / std::sqrt(norm));
  }
  return x;
}

TextGraph build_text_graph(const std::vector<TextChunk>& chunks, const Vocab& v, int64_t window) {
  const int64_t D = int64_t(chunks.size()), V = int64_t(v.words.size()), N = D + V;
  std::vector<int64_t> r;
  std::vector<int32_t> c;
  std::vector<float> w;
  auto edge = [&](int64_t a, int64_t b, float x) { r.push_back(a), c.push_back(int32_t(b)), w.push_back(x); };
  TextGraph g;
  g.docs = D, g.words = V;
  g.features.assign(size_t(N * V), 0.f);
  // chunk-word TF-IDF edges (both directions) and chunk features
  const std::vector<float> tfidf = bag_of_words(chunks, v, "tfidf");
  for (int64_t i = 0; i < D; ++i) {
    std::vector<float> tf(size_t(V), 0.f);
    for (const auto& s : chunks[size_t(i)].words)
      if (int32_t id = v.find(s); id >= 0) tf[size_t(id)] += 1.f;
    for (int64_t k = 0; k < V; ++k)
      if (tf[size_t(k)] > 0) {
        const float x = tf[size_t(k)] * idf(v, int32_t(k));
        edge(i, D + k, x);
        edge(D + k, i, x);
      }
    std::copy(tfidf.begin() + i * V, tfidf.begin() + (i + 1) * V, g.features.begin() + i * V);
  }
  // word-word positive PMI over sliding windows (counts over every window of every chunk)
  std::vector<int32_t> pair(size_t(V * V), 0), single(size_t(V), 0);
  int64_t windows = 0;
  std::vector<int32_t> ids, u;
  for (const TextChunk& ch : chunks) {
    ids.clear();
    for (const auto& s : ch.words) ids.push_back(v.find(s));
    const int64_t n = int64_t(ids.size());
    const int64_t last = std::max<int64_t>(0, n - window);
    for (int64_t s = 0; s <= last; ++s) {
      u.assign(ids.begin() + s, ids.begin() + std::min(n, s + window));
      u.erase(std::remove(u.begin(), u.end(), -1), u.end());
      std::sort(u.begin(), u.end());
      u.erase(std::unique(u.begin(), u.end()), u.end());
      ++windows;
      for (size_t a = 0; a < u.size(); ++a) {
        ++single[size_t(u[a])];
        for (size_t b = a + 1; b < u.size(); ++b) ++pair[size_t(u[a]) * size_t(V) + size_t(u[b])];
      }
    }
  }
  for (int64_t a = 0; a < V; ++a)
    for (int64_t b = a + 1; b < V; ++b) {
      const int32_t n = pair[size_t(a * V + b)];
      if (n == 0) continue;
      const double pmi = std::log(double(n) * double(windows) / (double(single[size_t(a)]) * double(single[size_t(b)])));
      if (pmi <= 0) continue;
      edge(D + a, D + b, float(pmi));
      edge(D + b, D + a, float(pmi));
    }
  for (int64_t i = 0; i < N; ++i) edge(i, i, 1.f);
  for (int64_t k = 0; k < V; ++k) g.features[size_t((D + k) * V + k)] = 1.f;
  Csr a = Csr::from_triplets(N, N, std::move(r), std::move(c), std::move(w));
  std::vector<double> deg(size_t(N), 0);
  for (int64_t i = 0; i < N; ++i)
    for (int64_t p = a.row_ptr[size_t(i)]; p < a.row_ptr[size_t(i + 1)]; ++p) deg[size_t(i)] += a.val[size_t(p)];
  for (int64_t i = 0; i < N; ++i)
    for (int64_t p = a.row_ptr[size_t(i)]; p < a.row_ptr[size_t(i + 1)]; ++p)
      a.val[size_t(p)] = float(a.val[size_t(p)] / std::sqrt(deg[size_t(i)] * deg[size_t(a.col[size_t(p)])]));
  g.adj = std::move(a);
  return g;
}

}  // namespace abacus::families
