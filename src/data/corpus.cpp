#include "src/data/corpus.h"

#include <algorithm>
#include <filesystem>

#include "src/io/atomic_file.h"
#include "src/util/error.h"

namespace abacus::data {

namespace fs = std::filesystem;

namespace {
std::vector<std::string> split_paragraphs(const std::string& text) {
  std::vector<std::string> docs;
  std::string cur;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.find_first_not_of(" \t\r") == std::string::npos) {
      if (!cur.empty()) docs.push_back(std::move(cur));
      cur.clear();
    } else {
      cur += line;
      cur += '\n';
    }
    if (end == text.size()) break;
  }
  if (!cur.empty()) docs.push_back(std::move(cur));
  return docs;
}
}  // namespace

std::vector<std::string> read_documents(const std::string& path) {
  if (!fs::exists(path)) fail(path, "", "corpus not found (for the Brown corpus run: bash scripts/fetch-corpus.sh)");
  std::vector<std::string> files;
  if (fs::is_directory(path)) {
    for (const auto& e : fs::recursive_directory_iterator(path))
      if (e.is_regular_file() && e.path().extension() == ".txt") files.push_back(e.path().string());
    std::sort(files.begin(), files.end());
  } else {
    files.push_back(path);
  }
  if (files.empty()) fail(path, "", "no .txt documents in the corpus directory");
  std::vector<std::string> docs;
  if (files.size() == 1) {
    docs = split_paragraphs(io::read_file(files[0]));
  } else {
    for (const std::string& f : files) {
      std::string text = io::read_file(f);
      if (text.find_first_not_of(" \t\r\n") != std::string::npos) docs.push_back(std::move(text));
    }
  }
  if (docs.empty()) fail(path, "", "the corpus holds no text");
  return docs;
}

DocumentSplit split_documents(const std::vector<std::string>& docs, int every) {
  if (every < 2) fail("", "validation split", "every must be >= 2");
  DocumentSplit s;
  for (size_t i = 0; i < docs.size(); ++i)
    (int(i % size_t(every)) == every - 1 ? s.validation : s.train).push_back(docs[i]);
  if (s.validation.empty() && s.train.size() >= 2) {
    s.validation.push_back(s.train.back());
    s.train.pop_back();
  }
  return s;
}

}  // namespace abacus::data
