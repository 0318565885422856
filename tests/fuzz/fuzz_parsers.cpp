// libFuzzer target for the two parsers that read untrusted files: the safetensors reader and
// the model config parser. The first input byte picks the parser; the rest is the file. Any
// abacus::Error is an accepted outcome; crashes, sanitizer reports and other exceptions are not.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>

#include "src/io/safetensors.h"
#include "src/model/config.h"
#include "src/util/error.h"

namespace {

const std::string& scratch_path() {
  static const std::string p = [] {
    const char* tmp = std::getenv("TMPDIR");
    return std::string(tmp && *tmp ? tmp : "/tmp") + "/abacus-fuzz-" + std::to_string(::getpid()) + ".safetensors";
  }();
  return p;
}

void fuzz_safetensors(const uint8_t* data, std::size_t size) {
  // The reader maps a file, so the input goes through one.
  std::FILE* f = std::fopen(scratch_path().c_str(), "wb");
  if (!f) return;
  if (size) std::fwrite(data, 1, size, f);
  std::fclose(f);
  try {
    const auto st = abacus::io::SafetensorsFile::open(scratch_path());
    // Touch every byte the reader vouches for, so a wrong bounds check shows up under ASan.
    unsigned sum = 0;
    for (const auto& t : st.tensors()) {
      const uint8_t* p = st.data(t);
      for (uint64_t i = 0; i < t.nbytes(); ++i) sum += p[i];
      if (t.dtype == abacus::io::DType::F16 || t.dtype == abacus::io::DType::BF16 || t.dtype == abacus::io::DType::F32)
        sum += unsigned(st.read_f32(t.name).size());
    }
    if (sum == 0xdeadbeef) std::puts("");
  } catch (const abacus::Error&) {
  }
}

void fuzz_config(const uint8_t* data, std::size_t size) {
  try {
    const auto c = abacus::ModelConfig::from_json_text(std::string(reinterpret_cast<const char*>(data), size), "fuzz.json");
    // Whatever parses must print and parse back to the same text.
    const std::string text = c.to_json_text();
    if (abacus::ModelConfig::from_json_text(text, "again.json").to_json_text() != text) __builtin_trap();
    (void)c.params_total();
  } catch (const abacus::Error&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  if (data[0] & 1)
    fuzz_config(data + 1, size - 1);
  else
    fuzz_safetensors(data + 1, size - 1);
  return 0;
}
