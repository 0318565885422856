// Text corpus as documents, and the deterministic train/validation split by document.
// A corpus is a directory: every regular file named *.txt (recursively, sorted by path) is
// one document, except that a directory holding a single .txt file is split into documents
// at blank lines. A single .txt file path works the same way.
#pragma once
#include <string>
#include <vector>

namespace abacus::data {

std::vector<std::string> read_documents(const std::string& path);

struct DocumentSplit {
  std::vector<std::string> train, validation;
};
// Every `every`-th document (index % every == every - 1) goes to validation; at least one
// document goes to each side when there are two or more.
DocumentSplit split_documents(const std::vector<std::string>& docs, int every = 10);

}  // namespace abacus::data
