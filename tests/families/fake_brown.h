// A Brown-layout corpus for the tests: the 40 tiny-corpus documents (tests/data) renamed
// c<genre><nn>.txt over four genres (a, b informative; k, l imaginative), 10 documents each.
#pragma once
#include <filesystem>
#include <string>
#include <unistd.h>

namespace abacus::test {

inline std::string fake_brown_dir() {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / ("abacus-fake-brown-" + std::to_string(::getpid()));
  if (fs::exists(dir / "cl10.txt")) return dir.string();
  fs::create_directories(dir);
  for (int i = 0; i < 40; ++i) {
    char src[32], dst[32];
    std::snprintf(src, sizeof src, "doc%02d.txt", i);
    std::snprintf(dst, sizeof dst, "c%c%02d.txt", "abkl"[i / 10], i % 10 + 1);
    fs::copy_file(fs::path(ABACUS_TEST_DATA) / "tiny-corpus" / src, dir / dst, fs::copy_options::overwrite_existing);
  }
  return dir.string();
}

}  // namespace abacus::test
