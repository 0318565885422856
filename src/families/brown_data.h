// Brown-corpus data for the families (data/brown from scripts/fetch-corpus.sh; tests use a
// directory of the same layout). Documents are files c<genre><nn>.txt; the genre is the file
// name's second letter, 15 genres a b c d e f g h j k l m n p r. Coarse split: informative
// prose (a-h, j) vs imaginative prose (k-r), the Brown manual's two main divisions.
//
// Chunks: each document's words (lower-cased runs of letters/digits, in order) are cut into
// consecutive chunks of chunk_words words (a shorter tail chunk is kept if it has at least
// half that many). Split: fixed and stratified by genre at the document level, so no document
// has chunks on both sides: within each genre, documents sorted by name, every 5th (index
// 4, 9, ...) is test, the rest train (20 % test per genre, 100 of the 500 Brown documents).
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "src/families/csr.h"

namespace abacus::families {

inline constexpr const char* kBrownGenres = "abcdefghjklmnpr";

struct TextChunk {
  std::vector<std::string> words;
  std::string doc;  // file stem, "ca01"
  int genre = 0;    // index into kBrownGenres
  bool test = false;
};

// Loads every c?NN.txt of `dir` (sorted); a missing dir, an unknown genre letter or no
// document is an Error naming the path.
std::vector<TextChunk> load_brown_chunks(const std::string& dir, int64_t chunk_words);

// 15-way genre label or 2-way (0 informative, 1 imaginative).
int chunk_label(const TextChunk& c, const std::string& labels);
int label_count(const std::string& labels);

// Word vocabulary: the `size` words with the highest document frequency over the training
// chunks (ties alphabetical). Ids 0..size-1.
struct Vocab {
  std::vector<std::string> words;
  std::map<std::string, int32_t> id;
  std::vector<int32_t> df;  // training-chunk document frequency per word
  int64_t train_docs = 0;
  int32_t find(const std::string& w) const {
    auto it = id.find(w);
    return it == id.end() ? -1 : it->second;
  }
};
Vocab build_vocab(const std::vector<TextChunk>& chunks, int64_t size);

// Bag-of-words rows [chunks, V]: "tfidf" = tf * (ln((1 + N) / (1 + df)) + 1), rows L2
// normalised; "binary" = 1 where the word occurs.
std::vector<float> bag_of_words(const std::vector<TextChunk>& chunks, const Vocab& v, const std::string& features);

// TextGCN graph: nodes = the chunks (0..D-1) then the vocabulary words (D..D+V-1); edges
// chunk-word weighted by TF-IDF (unnormalised tf * idf), word-word by positive PMI over
// sliding windows of `window` words inside each chunk, self loops 1; returned normalised
// D^-1/2 (A) D^-1/2 (symmetric). Node features [D+V, V]: a chunk's TF-IDF row, a word's
// one-hot row (TextGCN uses identity features; the TF-IDF rows keep the input V wide).
struct TextGraph {
  Csr adj;
  std::vector<float> features;  // [nodes, V]
  int64_t docs = 0, words = 0;
};
TextGraph build_text_graph(const std::vector<TextChunk>& chunks, const Vocab& v, int64_t window);

}  // namespace abacus::families
