#include "src/util/device.h"

#include <cstdio>

#include "src/util/error.h"

#ifdef ABACUS_HAVE_CUDA
#include <cuda_runtime_api.h>
#endif

namespace abacus {

int cuda_device_count() {
#ifdef ABACUS_HAVE_CUDA
  static const int n = [] {
    int c = 0;
    if (cudaGetDeviceCount(&c) != cudaSuccess) c = 0;
    return c;
  }();
  return n;
#else
  return 0;
#endif
}

const char* device_name(Device d) { return d == Device::cuda ? "cuda" : "cpu"; }

Device select_device(const std::string& want) {
  if (want == "cpu") return Device::cpu;
  if (want != "auto" && want != "cuda") fail("", "--device", "\"" + want + "\" is not one of: auto, cpu, cuda");
  if (cuda_device_count() > 0) return Device::cuda;
  if (want == "cuda") {
#ifdef ABACUS_HAVE_CUDA
    fail("", "--device", "cuda requested but no CUDA GPU is present");
#else
    fail("", "--device", "cuda requested but abacus was built without CUDA (ABACUS_CUDA=OFF or no nvcc)");
#endif
  }
  static bool said = false;
  if (!said) {
    std::fprintf(stderr, "abacus: no CUDA GPU found, running on the CPU\n");
    said = true;
  }
  return Device::cpu;
}

}  // namespace abacus
