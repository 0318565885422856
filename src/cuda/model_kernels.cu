// The whole-model kernels around BitLinear (host API: model_kernels.h).
#include <cuda_bf16.h>

#include <algorithm>
#include <vector>

#include "src/cuda/check.h"
#include "src/cuda/model_kernels.h"
#include "src/cuda/model_math.h"
#include "src/cuda/quant_math.h"

namespace abacus::cuda {
namespace {

constexpr int kThreads = 256;

__global__ void embedding_fwd_kernel(float* __restrict__ out, const int32_t* __restrict__ ids,
                                     const float* __restrict__ table, int64_t rows, int64_t C) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < rows * C; i += int64_t(gridDim.x) * blockDim.x)
    out[i] = table[int64_t(ids[i / C]) * C + i % C];
}
__global__ void embedding_bwd_kernel(float* __restrict__ dtable, const float* __restrict__ dout,
                                     const int32_t* __restrict__ ids, int64_t rows, int64_t C) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < rows * C; i += int64_t(gridDim.x) * blockDim.x)
    atomicAdd(&dtable[int64_t(ids[i / C]) * C + i % C], dout[i]);
}

// One block per row; statistics in double exactly as src/nn/{rms,layer}norm.cpp, so mean and
// rstd round to the same floats as on the host.
__global__ void norm_fwd_kernel(int layer, float* __restrict__ out, float* __restrict__ mean_out,
                                float* __restrict__ rstd_out, const float* __restrict__ x,
                                const float* __restrict__ gain, int64_t C, double eps) {
  const int64_t row = blockIdx.x;
  const float* xr = x + row * C;
  double m = 0.0;
  if (layer) {
    double s = 0.0;
    for (int64_t c = threadIdx.x; c < C; c += blockDim.x) s += double(xr[c]);
    m = block_reduce(s, SumOp{}) / double(C);
  }
  double s2 = 0.0;
  for (int64_t c = threadIdx.x; c < C; c += blockDim.x) {
    const double d = double(xr[c]) - m;
    s2 += d * d;
  }
  const double var = block_reduce(s2, SumOp{}) / double(C);
  const float rs = float(1.0 / sqrt(var + eps)), mf = float(m);
  float* o = out + row * C;
  for (int64_t c = threadIdx.x; c < C; c += blockDim.x) {
    float n = layer ? (xr[c] - mf) * rs : xr[c] * rs;
    if (gain) n = n * gain[c];
    o[c] = n;
  }
  if (threadIdx.x == 0) {
    rstd_out[row] = rs;
    if (mean_out) mean_out[row] = mf;
  }
}

// dx per row (block): the formulas of src/nn, reductions in double.
__global__ void norm_bwd_dx_kernel(int layer, float* __restrict__ dx, const float* __restrict__ dout,
                                   const float* __restrict__ x, const float* __restrict__ gain,
                                   const float* __restrict__ mean, const float* __restrict__ rstd, int64_t C) {
  const int64_t row = blockIdx.x;
  const float* xr = x + row * C;
  const float* dy = dout + row * C;
  const float rs = rstd[row];
  if (!layer) {
    double dot = 0.0;
    for (int64_t c = threadIdx.x; c < C; c += blockDim.x)
      dot += double(dy[c]) * double(gain ? gain[c] : 1.f) * double(xr[c]);
    dot = block_reduce(dot, SumOp{});
    const float k = float(dot / double(C)) * rs * rs * rs;
    for (int64_t c = threadIdx.x; c < C; c += blockDim.x)
      dx[row * C + c] += rs * dy[c] * (gain ? gain[c] : 1.f) - xr[c] * k;
    return;
  }
  const float m = mean[row];
  double gm = 0.0, gxm = 0.0;
  for (int64_t c = threadIdx.x; c < C; c += blockDim.x) {
    const double g = double(dy[c]) * double(gain ? gain[c] : 1.f);
    gm += g;
    gxm += g * double((xr[c] - m) * rs);
  }
  gm = block_reduce(gm, SumOp{}) / double(C);
  gxm = block_reduce(gxm, SumOp{}) / double(C);
  for (int64_t c = threadIdx.x; c < C; c += blockDim.x) {
    const float g = dy[c] * (gain ? gain[c] : 1.f);
    const float xhat = (xr[c] - m) * rs;
    dx[row * C + c] += rs * (g - float(gm) - xhat * float(gxm));
  }
}

// dgain partial sums: block (column tile, row chunk); then a column sum over the chunks.
__global__ void norm_bwd_dgain_partial_kernel(int layer, float* __restrict__ partial, const float* __restrict__ dout,
                                              const float* __restrict__ x, const float* __restrict__ mean,
                                              const float* __restrict__ rstd, int64_t rows, int64_t C,
                                              int64_t rows_per_chunk) {
  const int64_t c = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (c >= C) return;
  const int64_t r0 = int64_t(blockIdx.y) * rows_per_chunk, r1 = min(rows, r0 + rows_per_chunk);
  float s = 0.f;
  for (int64_t r = r0; r < r1; ++r) {
    const float xv = x[r * C + c];
    s += layer ? dout[r * C + c] * (xv - mean[r]) * rstd[r] : dout[r * C + c] * xv * rstd[r];
  }
  partial[int64_t(blockIdx.y) * C + c] = s;
}
__global__ void column_sum_add_kernel(float* __restrict__ dst, const float* __restrict__ partial, int64_t chunks,
                                      int64_t C) {
  const int64_t c = int64_t(blockIdx.x) * blockDim.x + threadIdx.x;
  if (c >= C) return;
  float s = dst[c];
  for (int64_t k = 0; k < chunks; ++k) s += partial[k * C + c];
  dst[c] = s;
}

__global__ void row_absmax_kernel(const float* __restrict__ x, int64_t K, float* __restrict__ amax) {
  const int64_t row = blockIdx.x;
  float m = 0.f;
  for (int64_t c = threadIdx.x; c < K; c += blockDim.x) m = fmaxf(m, fabsf(x[row * K + c]));
  m = block_reduce(m, MaxOp{});
  if (threadIdx.x == 0) amax[row] = m;
}
// One block: the maximum of the row maxima, then every row's scale is the tensor's scale.
__global__ void tensor_scale_kernel(float* __restrict__ x_scale, int64_t rows) {
  float m = 0.f;
  for (int64_t r = threadIdx.x; r < rows; r += blockDim.x) m = fmaxf(m, x_scale[r]);
  m = block_reduce(m, MaxOp{});  // ends with a barrier: every read is done before the writes
  const float s = act_scale_from_absmax(m);
  for (int64_t r = threadIdx.x; r < rows; r += blockDim.x) x_scale[r] = s;
}
__global__ void quant_rows_kernel(const float* __restrict__ x, const float* __restrict__ x_scale, int64_t rows,
                                  int64_t K, int8_t* __restrict__ x_q) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < rows * K; i += int64_t(gridDim.x) * blockDim.x)
    x_q[i] = quantize_act(x[i], x_scale[i / K]);
}

__global__ void sums_kernel(const float* __restrict__ W, int64_t count, double* __restrict__ partial) {
  const int64_t g = blockIdx.y;
  const float* Wg = W + g * count;
  double s = 0.0, sa = 0.0;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < count; i += int64_t(gridDim.x) * blockDim.x) {
    s += double(Wg[i]);
    sa += double(fabsf(Wg[i]));
  }
  s = block_reduce(s, SumOp{});
  sa = block_reduce(sa, SumOp{});
  if (threadIdx.x == 0) {
    partial[(g * gridDim.x + blockIdx.x) * 2] = s;
    partial[(g * gridDim.x + blockIdx.x) * 2 + 1] = sa;
  }
}
// Per group: alpha into alpha_out, w_scale = 1 / max(beta, eps), as quantize_weights(binary).
__global__ void binary_scale_kernel(const double* __restrict__ partial, int n_partial, int64_t count, int groups,
                                    float* __restrict__ alpha_out, float* __restrict__ w_scale) {
  const int g = blockIdx.x * blockDim.x + threadIdx.x;
  if (g >= groups) return;
  double s = 0.0, sa = 0.0;
  for (int i = 0; i < n_partial; ++i) {
    s += partial[(int64_t(g) * n_partial + i) * 2];
    sa += partial[(int64_t(g) * n_partial + i) * 2 + 1];
  }
  const float denom = float(count > 0 ? count : 1);
  alpha_out[g] = float(s / double(denom));
  w_scale[g] = weight_scale_from_center(float(sa / double(denom)));
}
__global__ void binary_quant_kernel(const float* __restrict__ W, int64_t total, int64_t count,
                                    const float* __restrict__ alpha, int8_t* __restrict__ w_q) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < total; i += int64_t(gridDim.x) * blockDim.x)
    w_q[i] = quantize_binary(W[i], alpha[i / count]);
}

__global__ void dequant_act_bf16_kernel(const int8_t* __restrict__ x_q, const float* __restrict__ x_scale,
                                        int64_t rows, int64_t K, __nv_bfloat16* __restrict__ out) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < rows * K; i += int64_t(gridDim.x) * blockDim.x)
    out[i] = __float2bfloat16_rn(float(x_q[i]) / x_scale[i / K]);
}

// One thread per rotated pair; angles in double as src/nn/rope.cpp, then rounded to float.
__global__ void rope_kernel(float* __restrict__ x, int64_t B, int64_t T, int64_t H, int64_t hd, int64_t pos0,
                            double theta, double sign) {
  const int64_t half = hd / 2, total = B * T * H * half;
  for (int64_t idx = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; idx < total;
       idx += int64_t(gridDim.x) * blockDim.x) {
    const int64_t i = idx % half, bth = idx / half;
    const int64_t t = (bth / H) % T;
    const double freq = pow(theta, -2.0 * double(i) / double(hd));
    const double a = double(pos0 + t) * freq;
    const float c = float(cos(a)), s = float(sign * sin(a));
    float* v = x + bth * hd;
    float p = v[i], q = v[i + half];
    rope_pair(p, q, c, s);
    v[i] = p;
    v[i + half] = q;
  }
}

__global__ void ffn_fwd_kernel(int kind, float* __restrict__ h, const float* __restrict__ gate,
                               const float* __restrict__ up, int64_t n) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    if (kind == int(Ffn::gelu)) h[i] = gelu(up[i]);
    else if (kind == int(Ffn::swiglu)) h[i] = swiglu(gate[i], up[i]);
    else h[i] = relu2_glu(gate[i], up[i]);
  }
}
__global__ void ffn_bwd_kernel(int kind, float* __restrict__ dgate, float* __restrict__ dup,
                               const float* __restrict__ dh, const float* __restrict__ gate,
                               const float* __restrict__ up, int64_t n) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    if (kind == int(Ffn::gelu)) {
      dup[i] += dh[i] * gelu_grad(up[i]);
      continue;
    }
    float dg = dgate ? dgate[i] : 0.f, du = dup ? dup[i] : 0.f;
    if (kind == int(Ffn::swiglu)) swiglu_grad(dh[i], gate[i], up[i], dg, du);
    else relu2_glu_grad(dh[i], gate[i], up[i], dg, du);
    if (dgate) dgate[i] = dg;
    if (dup) dup[i] = du;
  }
}

__global__ void add_kernel(float* y, const float* a, const float* b, int64_t n) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    y[i] = a[i] + b[i];
}
__global__ void scale_kernel(float* x, int64_t n, float s) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    x[i] *= s;
}
__global__ void sum_squares_kernel(const float* __restrict__ x, int64_t n, double* __restrict__ partial) {
  double s = 0.0;
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x)
    s += double(x[i]) * double(x[i]);
  s = block_reduce(s, SumOp{});
  if (threadIdx.x == 0) partial[blockIdx.x] = s;
}

__global__ void pack_kernel(const int8_t* __restrict__ w_q, int64_t N, int64_t K, uint8_t* __restrict__ packed) {
  const int64_t rb = ternary_row_bytes(K), total = N * rb;
  for (int64_t idx = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; idx < total; idx += int64_t(gridDim.x) * blockDim.x) {
    const int64_t n = idx / rb, b = idx % rb, k0 = (b / 32) * 128 + (b % 32);
    int8_t q[4];
    for (int i = 0; i < 4; ++i) q[i] = k0 + 32 * i < K ? w_q[n * K + k0 + 32 * i] : int8_t(0);
    packed[idx] = pack4(q[0], q[1], q[2], q[3]);
  }
}

constexpr int kMaxHd = 128, kLanes = kMaxHd / 32;

__device__ inline float warp_sum_f(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

__global__ void attn_cached_kernel(float* __restrict__ out, const float* __restrict__ q,
                                   const float* __restrict__ kc, const float* __restrict__ vc, int64_t n,
                                   int64_t pos, int64_t H, int64_t Hkv, int64_t hd) {
  const int64_t warp = (int64_t(blockIdx.x) * blockDim.x + threadIdx.x) / 32;
  const int lane = threadIdx.x & 31;
  if (warp >= n * H) return;
  const int64_t t = warp / H, h = warp % H, hk = h / (H / Hkv);
  const float scale = float(1.0 / sqrt(double(hd)));
  float qv[kLanes], acc[kLanes];
  for (int j = 0; j < kLanes; ++j) {
    const int64_t d = lane + 32 * j;
    qv[j] = d < hd ? q[(t * H + h) * hd + d] : 0.f;
    acc[j] = 0.f;
  }
  float m = -INFINITY, l = 0.f;
  for (int64_t u = 0; u <= pos + t; ++u) {
    const float* kr = kc + (u * Hkv + hk) * hd;
    const float* vr = vc + (u * Hkv + hk) * hd;
    float dot = 0.f;
    for (int j = 0; j < kLanes; ++j) {
      const int64_t d = lane + 32 * j;
      if (d < hd) dot += qv[j] * kr[d];
    }
    const float s = warp_sum_f(dot) * scale;
    const float m2 = fmaxf(m, s), corr = expf(m - m2), p = expf(s - m2);
    l = l * corr + p;
    for (int j = 0; j < kLanes; ++j) {
      const int64_t d = lane + 32 * j;
      acc[j] = acc[j] * corr + (d < hd ? p * vr[d] : 0.f);
    }
    m = m2;
  }
  for (int j = 0; j < kLanes; ++j) {
    const int64_t d = lane + 32 * j;
    if (d < hd) out[(t * H + h) * hd + d] = acc[j] / l;
  }
}

constexpr int64_t kChunkRows = 64;

}  // namespace

void pack_weights(const int8_t* w_q, int64_t N, int64_t K, uint8_t* packed) {
  const int64_t total = N * ternary_row_bytes(K);
  if (total <= 0) return;
  pack_kernel<<<blocks_for(total, kThreads), kThreads>>>(w_q, N, K, packed);
  check_launch("pack_weights");
}

void attention_cached(float* out, const float* q, const float* k_cache, const float* v_cache, int64_t n, int64_t pos,
                      int64_t H, int64_t Hkv, int64_t hd) {
  if (hd < 1 || hd > kMaxHd) fail("", "head_dim", "must be 1.." + std::to_string(kMaxHd));
  if (Hkv < 1 || H % Hkv != 0) fail("", "n_kv_head", "must divide n_head");
  const int64_t warps = n * H;
  if (warps <= 0) return;
  attn_cached_kernel<<<unsigned((warps + 7) / 8), 256>>>(out, q, k_cache, v_cache, n, pos, H, Hkv, hd);
  check_launch("attention_cached");
}

void embedding_forward(float* out, const int32_t* ids, const float* table, int64_t rows, int64_t C) {
  if (rows * C <= 0) return;
  embedding_fwd_kernel<<<blocks_for(rows * C, kThreads), kThreads>>>(out, ids, table, rows, C);
  check_launch("embedding_forward");
}
void embedding_backward(float* dtable, const float* dout, const int32_t* ids, int64_t rows, int64_t C) {
  if (rows * C <= 0) return;
  embedding_bwd_kernel<<<blocks_for(rows * C, kThreads), kThreads>>>(dtable, dout, ids, rows, C);
  check_launch("embedding_backward");
}

void norm_forward(Norm norm, float* out, float* mean, float* rstd, const float* x, const float* gain, int64_t rows,
                  int64_t C, double eps) {
  if (rows <= 0) return;
  norm_fwd_kernel<<<unsigned(rows), kThreads>>>(norm == Norm::layernorm, out, mean, rstd, x, gain, C, eps);
  check_launch("norm_forward");
}

int64_t norm_backward_partial_floats(int64_t rows, int64_t C) { return ((rows + kChunkRows - 1) / kChunkRows) * C; }

void norm_backward(Norm norm, float* dx, float* dgain, const float* dout, const float* x, const float* gain,
                   const float* mean, const float* rstd, int64_t rows, int64_t C, float* partial) {
  if (rows <= 0) return;
  const int layer = norm == Norm::layernorm;
  if (dx) {
    norm_bwd_dx_kernel<<<unsigned(rows), kThreads>>>(layer, dx, dout, x, gain, mean, rstd, C);
    check_launch("norm_backward dx");
  }
  if (dgain) {
    const int64_t chunks = (rows + kChunkRows - 1) / kChunkRows;
    const unsigned cx = unsigned((C + kThreads - 1) / kThreads);
    norm_bwd_dgain_partial_kernel<<<dim3(cx, unsigned(chunks)), kThreads>>>(layer, partial, dout, x, mean, rstd, rows, C,
                                                                          kChunkRows);
    check_launch("norm_backward dgain");
    column_sum_add_kernel<<<cx, kThreads>>>(dgain, partial, chunks, C);
    check_launch("norm_backward dgain sum");
  }
}

void quant_act_per_tensor(const float* x, int64_t rows, int64_t K, int8_t* x_q, float* x_scale) {
  if (rows <= 0 || K <= 0) return;
  row_absmax_kernel<<<unsigned(rows), kThreads>>>(x, K, x_scale);
  check_launch("row_absmax");
  tensor_scale_kernel<<<1, 1024>>>(x_scale, rows);
  check_launch("tensor_scale");
  quant_rows_kernel<<<blocks_for(rows * K, kThreads), kThreads>>>(x, x_scale, rows, K, x_q);
  check_launch("quant_rows");
}

void quant_weights_binary(const float* W, int64_t N, int64_t K, int64_t groups, int8_t* w_q, float* w_scale,
                          double* partial) {
  if (groups < 1 || N % groups != 0)
    fail("", "quant_groups", "weight groups " + std::to_string(groups) + " must divide N = " + std::to_string(N));
  const int64_t count = (N / groups) * K;
  constexpr unsigned kParts = 128;
  sums_kernel<<<dim3(kParts, unsigned(groups)), kThreads>>>(W, count, partial);
  check_launch("binary sums");
  // alpha per group lives after the sums in the same scratch (as floats).
  float* alpha = reinterpret_cast<float*>(partial + 2 * int64_t(groups) * kParts);
  binary_scale_kernel<<<unsigned((groups + 127) / 128), 128>>>(partial, int(kParts), count, int(groups), alpha, w_scale);
  check_launch("binary scale");
  binary_quant_kernel<<<blocks_for(N * K, kThreads), kThreads>>>(W, N * K, count, alpha, w_q);
  check_launch("binary quant");
}

void dequant_act_bf16(const int8_t* x_q, const float* x_scale, int64_t rows, int64_t K, uint16_t* out) {
  if (rows * K <= 0) return;
  dequant_act_bf16_kernel<<<blocks_for(rows * K, kThreads), kThreads>>>(x_q, x_scale, rows, K,
                                                                        reinterpret_cast<__nv_bfloat16*>(out));
  check_launch("dequant_act_bf16");
}

void rope(float* x, int64_t B, int64_t T, int64_t H, int64_t hd, int64_t pos0, double theta, bool inverse) {
  if (hd % 2 != 0) fail("", "head_dim", "RoPE needs an even head dimension, got " + std::to_string(hd));
  const int64_t total = B * T * H * (hd / 2);
  if (total <= 0) return;
  rope_kernel<<<blocks_for(total, kThreads), kThreads>>>(x, B, T, H, hd, pos0, theta, inverse ? -1.0 : 1.0);
  check_launch("rope");
}

void ffn_forward(Ffn kind, float* h, const float* gate, const float* up, int64_t n) {
  if (n <= 0) return;
  ffn_fwd_kernel<<<blocks_for(n, kThreads), kThreads>>>(int(kind), h, gate, up, n);
  check_launch("ffn_forward");
}
void ffn_backward(Ffn kind, float* dgate, float* dup, const float* dh, const float* gate, const float* up, int64_t n) {
  if (n <= 0) return;
  ffn_bwd_kernel<<<blocks_for(n, kThreads), kThreads>>>(int(kind), dgate, dup, dh, gate, up, n);
  check_launch("ffn_backward");
}

void add(float* y, const float* a, const float* b, int64_t n) {
  if (n <= 0) return;
  add_kernel<<<blocks_for(n, kThreads), kThreads>>>(y, a, b, n);
  check_launch("add");
}
void scale(float* x, int64_t n, float s) {
  if (n <= 0) return;
  scale_kernel<<<blocks_for(n, kThreads), kThreads>>>(x, n, s);
  check_launch("scale");
}
double sum_squares(const float* x, int64_t n, double* partial) {
  if (n <= 0) return 0.0;
  const unsigned blocks = std::min<unsigned>(blocks_for(n, kThreads), 1024u);
  sum_squares_kernel<<<blocks, kThreads>>>(x, n, partial);
  check_launch("sum_squares");
  std::vector<double> h(blocks);
  check_cuda(cudaMemcpy(h.data(), partial, blocks * sizeof(double), cudaMemcpyDeviceToHost), "sum_squares");
  double s = 0.0;
  for (double v : h) s += v;
  return s;
}

}  // namespace abacus::cuda
