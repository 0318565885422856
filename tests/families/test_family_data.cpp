// Brown data preparation: genres from the file name, the fixed stratified document split,
// labels, vocabulary, bag-of-words rows and the TextGCN graph; bad corpora are clear errors.
#include <catch2/catch.hpp>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "src/families/brown_data.h"
#include "src/families/family_config.h"
#include "src/util/error.h"
#include "tests/families/fake_brown.h"

using namespace abacus;
using namespace abacus::families;
namespace fs = std::filesystem;

TEST_CASE("Brown chunks: genre from the second letter, every 5th document per genre is test", "[families]") {
  const auto chunks = load_brown_chunks(test::fake_brown_dir(), 50);
  std::map<std::string, bool> doc_test;
  std::map<int, std::set<std::string>> train_docs, test_docs;
  for (const auto& c : chunks) {
    CHECK(int64_t(c.words.size()) >= 25);
    CHECK(int64_t(c.words.size()) <= 50);
    CHECK(kBrownGenres[c.genre] == c.doc[1]);
    if (doc_test.count(c.doc)) CHECK(doc_test[c.doc] == c.test);  // no document on both sides
    doc_test[c.doc] = c.test;
    (c.test ? test_docs : train_docs)[c.genre].insert(c.doc);
  }
  for (int g : {0, 1, 9, 10}) {  // a, b, k, l
    CHECK(train_docs[g].size() == 8);
    CHECK(test_docs[g].size() == 2);
  }
  CHECK(test_docs[0] == std::set<std::string>{"ca05", "ca10"});
  TextChunk k;
  k.genre = int(std::string(kBrownGenres).find('k'));
  CHECK(chunk_label(k, "coarse") == 1);
  CHECK(chunk_label(k, "genre") == 9);
  k.genre = int(std::string(kBrownGenres).find('j'));
  CHECK(chunk_label(k, "coarse") == 0);
  CHECK(label_count("genre") == 15);
}

TEST_CASE("vocabulary from training chunks only; TF-IDF rows unit length; binary rows 0/1", "[families]") {
  const auto chunks = load_brown_chunks(test::fake_brown_dir(), 50);
  const Vocab v = build_vocab(chunks, 100);
  CHECK(v.words.size() == 100);
  for (size_t i = 1; i < v.df.size(); ++i) CHECK(v.df[i - 1] >= v.df[i]);
  const auto x = bag_of_words(chunks, v, "tfidf");
  for (size_t r = 0; r < chunks.size(); ++r) {
    double n = 0;
    for (size_t k = 0; k < 100; ++k) n += double(x[r * 100 + k]) * x[r * 100 + k];
    if (n > 0) CHECK(n == Approx(1.0).epsilon(1e-5));
  }
  const auto b = bag_of_words(chunks, v, "binary");
  for (float e : b) CHECK((e == 0.f || e == 1.f));
}

TEST_CASE("TextGCN graph: symmetric normalised adjacency with self loops, doc-word and word-word edges", "[families]") {
  auto chunks = load_brown_chunks(test::fake_brown_dir(), 50);
  chunks.resize(30);
  const Vocab v = build_vocab(chunks, 40);
  const TextGraph g = build_text_graph(chunks, v, 10);
  const int64_t N = 30 + 40;
  REQUIRE(g.adj.rows == N);
  std::map<std::pair<int64_t, int64_t>, float> e;
  for (int64_t i = 0; i < N; ++i)
    for (int64_t p = g.adj.row_ptr[i]; p < g.adj.row_ptr[i + 1]; ++p) e[{i, g.adj.col[p]}] = g.adj.val[p];
  bool word_word = false;
  for (const auto& [ij, w] : e) {
    CHECK(e.count({ij.second, ij.first}) == 1);
    CHECK(e[{ij.second, ij.first}] == Approx(w));
    CHECK(w > 0);
    if (ij.first < 30 && ij.second < 30) CHECK(ij.first == ij.second);  // no doc-doc edges
    word_word |= ij.first >= 30 && ij.second >= 30 && ij.first != ij.second;
  }
  CHECK(word_word);
  for (int64_t i = 0; i < N; ++i) CHECK(e.count({i, i}) == 1);
  CHECK(g.features[size_t((30 + 3) * 40 + 3)] == 1.f);
}

TEST_CASE("bad corpora: missing directory, unknown genre letter, nothing to chunk", "[families]") {
  CHECK_THROWS_WITH(load_brown_chunks("/nonexistent/brown", 50), Catch::Contains("/nonexistent/brown") && Catch::Contains("fetch-corpus"));
  const fs::path d = fs::temp_directory_path() / ("abacus-bad-brown-" + std::to_string(::getpid()));
  fs::create_directories(d);
  { std::ofstream(d / "cz01.txt") << "some words here\n"; }
  CHECK_THROWS_WITH(load_brown_chunks(d.string(), 2), Catch::Contains("cz01.txt") && Catch::Contains("genre"));
  fs::remove(d / "cz01.txt");
  { std::ofstream(d / "ca01.txt") << "two words\n"; }
  CHECK_THROWS_WITH(load_brown_chunks(d.string(), 50), Catch::Contains("chunk_words"));
  fs::remove_all(d);
}

TEST_CASE("family configs: every shipped config parses and round-trips; bad fields are named", "[families]") {
  for (const auto& e : fs::directory_iterator(fs::path(ABACUS_SOURCE_DIR) / "models" / "families")) {
    if (e.path().extension() != ".json") continue;
    INFO(e.path());
    const FamilyConfig c = load_family_config(e.path().string());
    const FamilyConfig r = parse_family_config(family_config_json(c), "roundtrip");
    CHECK(family_config_json(r) == family_config_json(c));
  }
  const std::string ok = R"({"family":"mlp","quant":"b1.58","hidden_size":8,"data":{"vocab_size":50},"training":{"steps":1,"batch_size":4,"lr":0.01}})";
  CHECK(parse_family_config(ok, "x.json").act_scale == 128.f);
  auto bad = [&](const std::string& from, const std::string& to, const std::string& field) {
    std::string t = ok;
    t.replace(t.find(from), from.size(), to);
    CHECK_THROWS_WITH(parse_family_config(t, "x.json"), Catch::Contains("x.json") && Catch::Contains(field));
  };
  bad("\"mlp\"", "\"cnn\"", "family");
  bad("\"b1.58\"", "\"b1\"", "quant");
  bad("\"hidden_size\":8", "\"hidden_size\":8,\"act_scale\":100", "act_scale");
  bad("\"hidden_size\":8", "\"hidden_size\":8,\"heads\":2", "heads");          // a transformer field in an MLP
  bad("\"vocab_size\":50", "\"vocab_size\":50,\"seq_len\":8", "data.seq_len");  // ditto inside data
  bad("\"lr\":0.01", "\"lr\":-1", "training.lr");
  bad("\"steps\":1,", "", "training.steps");
  const std::string enc = R"({"family":"encoder","quant":"fp","hidden_size":10,"layers":1,"heads":4,"ffn_size":8,"data":{"vocab_size":50,"seq_len":8,"mask_fraction":0.15},"training":{"steps":1,"batch_size":2,"lr":0.01}})";
  CHECK_THROWS_WITH(parse_family_config(enc, "e.json"), Catch::Contains("heads"));
}
