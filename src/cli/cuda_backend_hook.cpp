// Installs the CUDA backend of the whole-model path (src/device/backend.h) when the abacus
// program is linked with abacus_cuda; train/eval --device cuda then run on the GPU.
#ifdef ABACUS_CUDA_AVAILABLE
#include "src/cuda/cuda_backend.h"

namespace {
const bool cuda_backend_registered = (abacus::cuda::register_cuda_backend(), true);
}  // namespace
#endif
