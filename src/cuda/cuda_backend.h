// The CUDA implementation of the device interface (src/device/backend.h): the kernels of
// abacus_cuda, cuBLASLt INT8 (BitLinear forward) and BF16 (STE backward, fp Linear) GEMMs.
#pragma once
#include <memory>

#include "src/device/backend.h"

namespace abacus::cuda {

// A backend on the current CUDA device; null when there is no GPU (never throws for that).
std::unique_ptr<device::Backend> make_backend();
// Installs make_backend as device::make_cuda_backend's factory.
void register_cuda_backend();

}  // namespace abacus::cuda
