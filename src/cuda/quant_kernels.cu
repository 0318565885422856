// Quantization kernels: fused norm + per-token int8, ternary weight quantization with packing,
// the rescale epilogue, the W2A8 decode GEMV and the STE's dequantized bf16 weights.
#include <cuda_bf16.h>

#include <algorithm>
#include <vector>

#include "src/cuda/bitnet_cuda.h"
#include "src/cuda/check.h"
#include "src/cuda/quant_math.h"

namespace abacus::cuda {
namespace {

constexpr int kRowThreads = 256;

// One block per row: statistics, then absmax of the normalized row, then quantize. The
// normalized row is recomputed from x (cached) instead of being written out in fp32.
__global__ void norm_quant_act_kernel(int norm, const float* __restrict__ x, const float* __restrict__ gain,
                                      int64_t C, double eps, int8_t* __restrict__ x_q, float* __restrict__ x_scale,
                                      float* __restrict__ rstd_out, float* __restrict__ mean_out) {
  const int64_t row = blockIdx.x;
  const float* xr = x + row * C;
  // Statistics in double, as src/nn/{rms,layer}norm.cpp: mean and rstd round to the host's floats.
  float mean = 0.f, rstd = 1.f;
  if (norm >= 0) {
    double m = 0.0;
    if (norm == int(Norm::layernorm)) {  // two passes (mean, then centred squares): no cancellation
      double s = 0.0;
      for (int64_t c = threadIdx.x; c < C; c += blockDim.x) s += double(xr[c]);
      m = block_reduce(s, SumOp{}) / double(C);
    }
    double s2 = 0.0;
    for (int64_t c = threadIdx.x; c < C; c += blockDim.x) {
      const double v = double(xr[c]) - m;
      s2 += v * v;
    }
    rstd = float(1.0 / sqrt(block_reduce(s2, SumOp{}) / double(C) + eps));
    mean = float(m);
  }
  auto normed = [&](int64_t c) {
    const float y = (xr[c] - mean) * rstd;
    return gain ? y * gain[c] : y;
  };
  float amax = 0.f;
  for (int64_t c = threadIdx.x; c < C; c += blockDim.x) amax = fmaxf(amax, fabsf(normed(c)));
  amax = block_reduce(amax, MaxOp{});
  const float s = act_scale_from_absmax(amax);
  for (int64_t c = threadIdx.x; c < C; c += blockDim.x) x_q[row * C + c] = quantize_act(normed(c), s);
  if (threadIdx.x == 0) {
    x_scale[row] = s;
    if (rstd_out) rstd_out[row] = rstd;
    if (mean_out) mean_out[row] = mean;
  }
}

// Partial sums of |W| per group in double (so the mean barely depends on the summation order).
__global__ void abs_sum_kernel(const float* __restrict__ W, int64_t group_count, double* __restrict__ partial) {
  const int64_t g = blockIdx.y;
  const float* Wg = W + g * group_count;
  double s = 0.0;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < group_count; i += int64_t(gridDim.x) * blockDim.x)
    s += double(fabsf(Wg[i]));
  s = block_reduce(s, SumOp{});
  if (threadIdx.x == 0) partial[g * gridDim.x + blockIdx.x] = s;
}

__global__ void absmean_scale_kernel(const double* __restrict__ partial, int n_partial, int64_t group_count,
                                     int groups, float* __restrict__ w_scale) {
  const int g = blockIdx.x * blockDim.x + threadIdx.x;
  if (g >= groups) return;
  double s = 0.0;
  for (int i = 0; i < n_partial; ++i) s += partial[int64_t(g) * n_partial + i];
  const double n = double(group_count > 0 ? group_count : 1);
  w_scale[g] = weight_scale_from_center(float(s / n));
}

// Radix select step for the median: histogram of one byte of the |W| bit pattern (non-negative
// floats order as their unsigned bits) among the elements whose higher bytes match the prefix.
__global__ void radix_hist_kernel(const float* __restrict__ W, int64_t group_count, const uint32_t* __restrict__ prefix,
                                  uint32_t mask, int shift, unsigned int* __restrict__ hist) {
  __shared__ unsigned int h[256];
  for (int i = threadIdx.x; i < 256; i += blockDim.x) h[i] = 0;
  __syncthreads();
  const int64_t g = blockIdx.y;
  const float* Wg = W + g * group_count;
  const uint32_t want = prefix[g];
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < group_count; i += int64_t(gridDim.x) * blockDim.x) {
    const uint32_t bits = __float_as_uint(fabsf(Wg[i]));
    if ((bits & mask) == want) atomicAdd(&h[(bits >> shift) & 255u], 1u);
  }
  __syncthreads();
  for (int i = threadIdx.x; i < 256; i += blockDim.x)
    if (h[i]) atomicAdd(&hist[g * 256 + i], h[i]);
}

__global__ void median_scale_kernel(const uint32_t* __restrict__ bits, int groups, float* __restrict__ w_scale) {
  const int g = blockIdx.x * blockDim.x + threadIdx.x;
  if (g < groups) w_scale[g] = weight_scale_from_center(__uint_as_float(bits[g]));
}

// One thread per packed byte: quantizes the byte's four weights, writes them to w_q and their
// codes to the packed row (the same pass).
__global__ void ternary_quant_pack_kernel(const float* __restrict__ W, int64_t N, int64_t K, int64_t rows_per_group,
                                          const float* __restrict__ w_scale, int8_t* __restrict__ w_q,
                                          uint8_t* __restrict__ packed) {
  const int64_t rb = ternary_row_bytes(K), total = N * rb;
  for (int64_t idx = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; idx < total; idx += int64_t(gridDim.x) * blockDim.x) {
    const int64_t n = idx / rb, b = idx % rb;
    const float s = w_scale[n / rows_per_group];
    const int64_t k0 = (b / 32) * 128 + (b % 32);
    int8_t q[4];
    for (int i = 0; i < 4; ++i) {
      const int64_t k = k0 + 32 * i;
      q[i] = k < K ? quantize_ternary(W[n * K + k], s) : int8_t(0);
      if (k < K) w_q[n * K + k] = q[i];
    }
    packed[idx] = pack4(q[0], q[1], q[2], q[3]);
  }
}

__global__ void rescale_kernel(const int32_t* __restrict__ acc, const float* __restrict__ x_scale,
                               const float* __restrict__ w_scale, int64_t T, int64_t N, int64_t rows_per_group,
                               float* __restrict__ y) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < T * N; i += int64_t(gridDim.x) * blockDim.x) {
    const int64_t t = i / N, n = i % N;
    y[i] = rescale(acc[i], x_scale[t], w_scale[n / rows_per_group]);
  }
}

// One warp per output row; lane j reads bytes j, j+32, ... (coalesced), so it touches weights
// 128 b + j + 32 i, whose activations are also consecutive across the warp.
__global__ void w2a8_gemv_kernel(const int8_t* __restrict__ x_q, const uint8_t* __restrict__ packed, int64_t N,
                                 int64_t K, int32_t* __restrict__ acc) {
  const int64_t warps_per_block = blockDim.x / 32;
  const int64_t n = int64_t(blockIdx.x) * warps_per_block + threadIdx.x / 32;
  const int lane = threadIdx.x & 31;
  if (n >= N) return;
  const int64_t rb = ternary_row_bytes(K);
  const uint8_t* row = packed + n * rb;
  int32_t s = 0;
  for (int64_t b = lane; b < rb; b += 32) s += w2a8_byte_dot(x_q, row[b], b, K);
  for (int o = 16; o > 0; o >>= 1) s += __shfl_down_sync(0xffffffffu, s, o);
  if (lane == 0) acc[n] = s;
}

__global__ void dequant_bf16_kernel(const int8_t* __restrict__ w_q, const float* __restrict__ w_scale, int64_t N,
                                    int64_t K, int64_t rows_per_group, __nv_bfloat16* __restrict__ out) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < N * K; i += int64_t(gridDim.x) * blockDim.x)
    out[i] = __float2bfloat16_rn(float(w_q[i]) / w_scale[(i / K) / rows_per_group]);
}

// The absmean partial sums live in one grow-only buffer, so a training step's many weight
// quantizations neither allocate nor synchronize (cudaFree would stall the stream each call).
double* absmean_partials(size_t count) {
  static DeviceBuffer buf;
  if (buf.bytes() < count * sizeof(double)) {
    synchronize();  // kernels still reading the old buffer
    buf = DeviceBuffer(count * sizeof(double));
  }
  return buf.as<double>();
}

void check_groups(int64_t N, int64_t groups) {
  if (groups < 1 || N % groups != 0)
    fail("", "quant_groups", "weight groups " + std::to_string(groups) + " must divide N = " + std::to_string(N));
}

}  // namespace

int64_t packed_row_bytes(int64_t K) { return ternary_row_bytes(K); }

void norm_quant_act(Norm norm, const float* x, const float* gain, int64_t rows, int64_t C, double eps, int8_t* x_q,
                    float* x_scale, float* rstd, float* mean, void* stream) {
  if (rows <= 0 || C <= 0) return;
  norm_quant_act_kernel<<<unsigned(rows), kRowThreads, 0, as_stream(stream)>>>(int(norm), x, gain, C, eps, x_q, x_scale,
                                                                                rstd, mean);
  check_launch("norm_quant_act");
}

void quant_act_per_token(const float* x, int64_t rows, int64_t C, int8_t* x_q, float* x_scale, void* stream) {
  if (rows <= 0 || C <= 0) return;
  // norm = -1: no normalization, the plain per-token absmax quantizer.
  norm_quant_act_kernel<<<unsigned(rows), kRowThreads, 0, as_stream(stream)>>>(-1, x, nullptr, C, 0.f, x_q, x_scale,
                                                                                nullptr, nullptr);
  check_launch("quant_act_per_token");
}

void quant_weights_ternary(WeightCenter center, const float* W, int64_t N, int64_t K, int64_t groups, int8_t* w_q,
                           uint8_t* packed, float* w_scale, void* stream) {
  check_groups(N, groups);
  const int64_t rows_per = N / groups, count = rows_per * K;
  cudaStream_t st = as_stream(stream);
  const unsigned bx = unsigned(std::min<int64_t>(std::max<int64_t>((count + 255) / 256, 1), 128));
  if (center == WeightCenter::absmean) {
    double* partial = absmean_partials(size_t(groups) * bx);
    abs_sum_kernel<<<dim3(bx, unsigned(groups)), 256, 0, st>>>(W, count, partial);
    check_launch("abs_sum");
    absmean_scale_kernel<<<unsigned((groups + 127) / 128), 128, 0, st>>>(partial, int(bx), count, int(groups),
                                                                         w_scale);
    check_launch("absmean_scale");
  } else {
    // Lower median (rank (count - 1) / 2, as torch.median), by 4 radix passes of 8 bits.
    std::vector<uint32_t> prefix(size_t(groups), 0u);
    std::vector<int64_t> rank(size_t(groups), (std::max<int64_t>(count, 1) - 1) / 2);
    std::vector<unsigned int> hist(size_t(groups) * 256);
    DeviceBuffer d_prefix(prefix.size() * sizeof(uint32_t)), d_hist(hist.size() * sizeof(unsigned int));
    uint32_t mask = 0;
    for (int shift = 24; shift >= 0; shift -= 8) {
      d_prefix.upload(prefix.data(), prefix.size() * sizeof(uint32_t));
      d_hist.zero();
      radix_hist_kernel<<<dim3(bx, unsigned(groups)), 256, 0, st>>>(W, count, d_prefix.as<uint32_t>(), mask, shift,
                                                                    d_hist.as<unsigned int>());
      check_launch("radix_hist");
      check_cuda(cudaStreamSynchronize(st), "radix_hist");
      d_hist.download(hist.data(), hist.size() * sizeof(unsigned int));
      for (int64_t g = 0; g < groups; ++g) {
        prefix[size_t(g)] |= radix_select_digit(hist.data() + g * 256, rank[size_t(g)]) << shift;
      }
      mask |= 255u << shift;
    }
    d_prefix.upload(prefix.data(), prefix.size() * sizeof(uint32_t));
    median_scale_kernel<<<unsigned((groups + 127) / 128), 128, 0, st>>>(d_prefix.as<uint32_t>(), int(groups), w_scale);
    check_launch("median_scale");
    check_cuda(cudaStreamSynchronize(st), "absmedian");
  }
  const int64_t total = N * ternary_row_bytes(K);
  ternary_quant_pack_kernel<<<blocks_for(total, 256), 256, 0, st>>>(W, N, K, rows_per, w_scale, w_q, packed);
  check_launch("ternary_quant_pack");
}

void rescale_epilogue(const int32_t* acc, const float* x_scale, const float* w_scale, int64_t T, int64_t N,
                      int64_t groups, float* y, void* stream) {
  check_groups(N, groups);
  if (T * N == 0) return;
  rescale_kernel<<<blocks_for(T * N, 256), 256, 0, as_stream(stream)>>>(acc, x_scale, w_scale, T, N, N / groups, y);
  check_launch("rescale_epilogue");
}

void w2a8_gemv(const int8_t* x_q, const uint8_t* packed, int64_t N, int64_t K, int32_t* acc, void* stream) {
  if (N <= 0) return;
  constexpr int kWarps = 8;
  w2a8_gemv_kernel<<<unsigned((N + kWarps - 1) / kWarps), 32 * kWarps, 0, as_stream(stream)>>>(x_q, packed, N, K, acc);
  check_launch("w2a8_gemv");
}

void dequant_weights_bf16(const int8_t* w_q, const float* w_scale, int64_t N, int64_t K, int64_t groups,
                          uint16_t* w_deq, void* stream) {
  check_groups(N, groups);
  if (N * K == 0) return;
  dequant_bf16_kernel<<<blocks_for(N * K, 256), 256, 0, as_stream(stream)>>>(
      w_q, w_scale, N, K, N / groups, reinterpret_cast<__nv_bfloat16*>(w_deq));
  check_launch("dequant_weights_bf16");
}

}  // namespace abacus::cuda
