// safetensors reader (header JSON, offsets, dtypes, checksums).
#include "src/io/safetensors.h"
#include "tests/fuzz/targets/fuzz_common.h"

void fuzz_one(const uint8_t* data, std::size_t size) {
  const auto st = abacus::io::SafetensorsFile::open(abacus::fuzz::to_file(data, size, ".safetensors"));
  // Touch every byte the reader vouches for, so a wrong bounds check shows up under ASan.
  unsigned sum = 0;
  for (const auto& t : st.tensors()) {
    const uint8_t* p = st.data(t);
    for (uint64_t i = 0; i < t.nbytes(); ++i) sum += p[i];
    if (t.dtype == abacus::io::DType::F16 || t.dtype == abacus::io::DType::BF16 || t.dtype == abacus::io::DType::F32)
      sum += unsigned(st.read_f32(t.name).size());
  }
  if (sum == 0xdeadbeef) std::puts("");
}
