// Trace reader (safetensors + trace metadata, per-record tensors and their consistency).
#include "src/trace/trace.h"
#include "src/trace/workload.h"
#include "tests/fuzz/targets/fuzz_common.h"

void fuzz_one(const uint8_t* data, std::size_t size) {
  const auto t = abacus::trace::TraceFile::open(abacus::fuzz::to_file(data, size, ".trace.safetensors"));
  (void)abacus::trace::extract_workload(t);
}
