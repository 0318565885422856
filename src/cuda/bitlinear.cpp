// BitLinear's integer forward on the GPU, composed from the kernels (host code only).
#include "src/cuda/bitnet_cuda.h"

namespace abacus::cuda {

void bitlinear_forward_int8(const float* x, const float* gain, double eps, const int8_t* w_q, const float* w_scale,
                            int64_t groups, int64_t T, int64_t K, int64_t N, int8_t* x_q, float* x_scale,
                            int32_t* acc, float* y, void* stream) {
  norm_quant_act(Norm::rmsnorm, x, gain, T, K, eps, x_q, x_scale, nullptr, nullptr, stream);
  int8_gemm(x_q, w_q, acc, T, K, N, stream);
  rescale_epilogue(acc, x_scale, w_scale, T, N, groups, y, stream);
}

}  // namespace abacus::cuda
