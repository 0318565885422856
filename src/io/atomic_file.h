// Every output file is written to a temporary name in the same folder and renamed into place,
// so a crash or an error never leaves a half-written result behind.
#pragma once
#include <cstddef>
#include <cstdio>
#include <string>
#include <string_view>

namespace abacus::io {

// Writes `bytes` to `path` atomically (temp file in the same folder, fsync, rename).
void write_file_atomic(const std::string& path, std::string_view bytes);

// Streaming variant for large outputs: write() appends, commit() renames into place. If the
// object is destroyed without commit(), the temporary file is removed and `path` is untouched.
class AtomicFile {
 public:
  explicit AtomicFile(std::string path);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(const void* data, std::size_t n);
  void write(std::string_view s) { write(s.data(), s.size()); }
  void commit();
  const std::string& path() const { return path_; }

 private:
  std::string path_, tmp_;
  std::FILE* f_ = nullptr;
  bool committed_ = false;
};

// Reads a whole file; a missing or unreadable file is an Error naming it.
std::string read_file(const std::string& path);

}  // namespace abacus::io
