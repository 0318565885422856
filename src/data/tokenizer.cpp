#include "src/data/tokenizer.h"

#include <sentencepiece_processor.h>
#include <sentencepiece_trainer.h>

#include <filesystem>
#include <sstream>
#include <unordered_map>

#include "src/io/atomic_file.h"
#include "src/util/error.h"

namespace abacus::data {

struct Tokenizer::Impl {
  sentencepiece::SentencePieceProcessor sp;
};

Tokenizer::Tokenizer() : impl_(std::make_unique<Impl>()) {}
Tokenizer::Tokenizer(Tokenizer&&) noexcept = default;
Tokenizer& Tokenizer::operator=(Tokenizer&&) noexcept = default;
Tokenizer::~Tokenizer() = default;

Tokenizer Tokenizer::load(const std::string& path) {
  if (!std::filesystem::is_regular_file(path))
    fail(path, "", "tokenizer model not found (train one with `abacus train`, or pass --tokenizer)");
  Tokenizer t;
  const auto status = t.impl_->sp.Load(path);
  if (!status.ok()) fail(path, "", "not a SentencePiece model: " + status.ToString());
  t.path_ = path;
  return t;
}

namespace {
// Feeds the trainer one line of text at a time, skipping blank lines.
class LineIterator : public sentencepiece::SentenceIterator {
 public:
  explicit LineIterator(const std::vector<std::string>& docs) : docs_(docs) { advance(); }
  bool done() const override { return doc_ >= docs_.size(); }
  void Next() override { advance(); }
  const std::string& value() const override { return line_; }
  sentencepiece::util::Status status() const override { return sentencepiece::util::Status(); }

 private:
  void advance() {
    while (doc_ < docs_.size()) {
      const std::string& d = docs_[doc_];
      if (pos_ >= d.size()) {
        ++doc_;
        pos_ = 0;
        continue;
      }
      size_t end = d.find('\n', pos_);
      if (end == std::string::npos) end = d.size();
      line_ = d.substr(pos_, end - pos_);
      pos_ = end + 1;
      if (line_.find_first_not_of(" \t\r") != std::string::npos) return;
    }
  }
  const std::vector<std::string>& docs_;
  size_t doc_ = 0, pos_ = 0;
  std::string line_;
};
}  // namespace

void Tokenizer::train(const std::vector<std::string>& documents, int vocab_size, const std::string& path) {
  if (vocab_size < 16) fail("", "vocab_size", "must be at least 16");
  LineIterator it(documents);
  const std::unordered_map<std::string, std::string> args = {
      {"model_type", "bpe"},          {"vocab_size", std::to_string(vocab_size)},
      {"hard_vocab_limit", "false"},  {"character_coverage", "1.0"},
      {"unk_id", "0"},                {"bos_id", "1"},
      {"eos_id", "2"},                {"pad_id", "-1"},
      {"num_threads", "2"},           {"minloglevel", "2"},
      {"max_sentence_length", "16384"}, {"input_sentence_size", "2000000"},
      {"shuffle_input_sentence", "false"}};
  std::string proto;
  const auto status = sentencepiece::SentencePieceTrainer::Train(args, &it, &proto);
  if (!status.ok()) fail(path, "", "SentencePiece training failed: " + status.ToString());
  io::write_file_atomic(path, proto);
}

std::vector<int32_t> Tokenizer::encode(const std::string& text) const {
  std::vector<int> ids;
  const auto status = impl_->sp.Encode(text, &ids);
  if (!status.ok()) fail(path_, "", "encode failed: " + status.ToString());
  return std::vector<int32_t>(ids.begin(), ids.end());
}

std::string Tokenizer::decode(const std::vector<int32_t>& ids) const {
  std::string out;
  const auto status = impl_->sp.Decode(std::vector<int>(ids.begin(), ids.end()), &out);
  if (!status.ok()) fail(path_, "", "decode failed: " + status.ToString());
  return out;
}

int Tokenizer::vocab_size() const { return impl_->sp.GetPieceSize(); }
int Tokenizer::eos_id() const { return impl_->sp.eos_id(); }

}  // namespace abacus::data
