// SentencePiece BPE tokenizer (Debian's libsentencepiece): trained on the training documents
// through the library's trainer API, saved as a .model file, loaded for encode/decode.
// Ids: unk 0, bos 1, eos 2 (eos separates documents in the token stream), no pad.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace abacus::data {

class Tokenizer {
 public:
  // Loads a .model file; a missing or invalid file is an Error naming it.
  static Tokenizer load(const std::string& path);
  // Trains BPE with at most vocab_size pieces (fewer if the text cannot fill them) on the
  // documents' lines and writes the model atomically to `path`.
  static void train(const std::vector<std::string>& documents, int vocab_size, const std::string& path);

  Tokenizer(Tokenizer&&) noexcept;
  Tokenizer& operator=(Tokenizer&&) noexcept;
  ~Tokenizer();

  std::vector<int32_t> encode(const std::string& text) const;
  std::string decode(const std::vector<int32_t>& ids) const;
  int vocab_size() const;
  int eos_id() const;
  const std::string& path() const { return path_; }

 private:
  Tokenizer();
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::string path_;
};

}  // namespace abacus::data
