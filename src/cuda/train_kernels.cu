// Training kernels: fused AdamW, fused softmax cross-entropy, causal attention forward/backward.
#include <cmath>

#include "src/cuda/adamw_math.h"
#include "src/cuda/bitnet_cuda.h"
#include "src/cuda/check.h"

namespace abacus::cuda {
namespace {

__global__ void adamw_kernel(AdamWStep s, float* __restrict__ p, const float* __restrict__ g, float* __restrict__ m,
                             float* __restrict__ v, int64_t n) {
  for (int64_t i = int64_t(blockIdx.x) * blockDim.x + threadIdx.x; i < n; i += int64_t(gridDim.x) * blockDim.x) {
    float pi = p[i], mi = m[i], vi = v[i];
    adamw_update(s, pi, mi, vi, g[i]);
    p[i] = pi;
    m[i] = mi;
    v[i] = vi;
  }
}

// One block per row: max, sum of exp, then loss and gradient. dlogits may alias logits, so
// every logit is read before the block writes its gradient (the reductions are barriers).
__global__ void softmax_xent_kernel(const float* logits, const int32_t* __restrict__ targets, int64_t V,
                                    float dloss_scale, float* __restrict__ losses, float* dlogits) {
  const int64_t row = blockIdx.x;
  const float* x = logits + row * V;
  const int32_t target = targets[row];
  float mx = -INFINITY;
  for (int64_t c = threadIdx.x; c < V; c += blockDim.x) mx = fmaxf(mx, x[c]);
  mx = block_reduce(mx, MaxOp{});
  float sum = 0.f;
  for (int64_t c = threadIdx.x; c < V; c += blockDim.x) sum += expf(x[c] - mx);
  sum = block_reduce(sum, SumOp{});
  const float x_target = target >= 0 ? x[target] : 0.f;
  __syncthreads();
  if (threadIdx.x == 0 && losses) losses[row] = target >= 0 ? logf(sum) + mx - x_target : 0.f;
  if (!dlogits) return;
  float* d = dlogits + row * V;
  const float inv = 1.f / sum;
  for (int64_t c = threadIdx.x; c < V; c += blockDim.x) {
    const float p = expf(x[c] - mx) * inv;
    d[c] = target >= 0 ? dloss_scale * (p - (c == target ? 1.f : 0.f)) : 0.f;
  }
}

constexpr int kMaxHeadDim = 128, kPerLane = kMaxHeadDim / 32;

__device__ inline float warp_sum(float v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

// One warp per (b, h, query t); lane holds dims lane + 32 j. Online softmax over keys 0..t, so
// no T x T score matrix exists; lse = max + log(sum) is kept for the backward.
__global__ void attn_fwd_kernel(const float* __restrict__ q, const float* __restrict__ k, const float* __restrict__ v,
                                float* __restrict__ out, float* __restrict__ lse, AttnShape s) {
  const int64_t warp = (int64_t(blockIdx.x) * blockDim.x + threadIdx.x) / 32;
  const int lane = threadIdx.x & 31;
  if (warp >= s.B * s.H * s.T) return;
  const int64_t t = warp % s.T, h = (warp / s.T) % s.H, b = warp / (s.T * s.H);
  const int64_t hk = h / (s.H / s.Hkv);
  const float scale = 1.f / sqrtf(float(s.hd));
  const float* qr = q + ((b * s.T + t) * s.H + h) * s.hd;
  float qv[kPerLane], acc[kPerLane];
  for (int j = 0; j < kPerLane; ++j) {
    const int64_t d = lane + 32 * j;
    qv[j] = d < s.hd ? qr[d] : 0.f;
    acc[j] = 0.f;
  }
  float m = -INFINITY, l = 0.f;
  for (int64_t u = 0; u <= t; ++u) {
    const float* kr = k + ((b * s.T + u) * s.Hkv + hk) * s.hd;
    const float* vr = v + ((b * s.T + u) * s.Hkv + hk) * s.hd;
    float dot = 0.f;
    for (int j = 0; j < kPerLane; ++j) {
      const int64_t d = lane + 32 * j;
      if (d < s.hd) dot += qv[j] * kr[d];
    }
    const float score = warp_sum(dot) * scale;
    const float m_new = fmaxf(m, score);
    const float corr = expf(m - m_new), p = expf(score - m_new);
    l = l * corr + p;
    for (int j = 0; j < kPerLane; ++j) {
      const int64_t d = lane + 32 * j;
      acc[j] = acc[j] * corr + (d < s.hd ? p * vr[d] : 0.f);
    }
    m = m_new;
  }
  float* o = out + ((b * s.T + t) * s.H + h) * s.hd;
  for (int j = 0; j < kPerLane; ++j) {
    const int64_t d = lane + 32 * j;
    if (d < s.hd) o[d] = acc[j] / l;
  }
  if (lane == 0) lse[(b * s.H + h) * s.T + t] = m + logf(l);
}

// One warp per query row, recomputing p = exp(score - lse):
//   dP = dO . V,  dS = P (dP - D) with D = dO . O,  dQ += scale dS K,  dK += scale dS Q,  dV += P dO.
__global__ void attn_bwd_kernel(const float* __restrict__ q, const float* __restrict__ k, const float* __restrict__ v,
                                const float* __restrict__ out, const float* __restrict__ lse,
                                const float* __restrict__ dout, float* __restrict__ dq, float* __restrict__ dk,
                                float* __restrict__ dv, AttnShape s) {
  const int64_t warp = (int64_t(blockIdx.x) * blockDim.x + threadIdx.x) / 32;
  const int lane = threadIdx.x & 31;
  if (warp >= s.B * s.H * s.T) return;
  const int64_t t = warp % s.T, h = (warp / s.T) % s.H, b = warp / (s.T * s.H);
  const int64_t hk = h / (s.H / s.Hkv);
  const float scale = 1.f / sqrtf(float(s.hd));
  const int64_t qo = ((b * s.T + t) * s.H + h) * s.hd;
  float qv[kPerLane], dov[kPerLane], dqv[kPerLane];
  float Dp = 0.f;
  for (int j = 0; j < kPerLane; ++j) {
    const int64_t d = lane + 32 * j;
    qv[j] = d < s.hd ? q[qo + d] : 0.f;
    dov[j] = d < s.hd ? dout[qo + d] : 0.f;
    dqv[j] = 0.f;
    if (d < s.hd) Dp += dov[j] * out[qo + d];
  }
  const float D = warp_sum(Dp);
  const float L = lse[(b * s.H + h) * s.T + t];
  for (int64_t u = 0; u <= t; ++u) {
    const int64_t ko = ((b * s.T + u) * s.Hkv + hk) * s.hd;
    float sd = 0.f, pd = 0.f;
    for (int j = 0; j < kPerLane; ++j) {
      const int64_t d = lane + 32 * j;
      if (d < s.hd) {
        sd += qv[j] * k[ko + d];
        pd += dov[j] * v[ko + d];
      }
    }
    const float p = expf(warp_sum(sd) * scale - L);
    const float ds = p * (warp_sum(pd) - D) * scale;
    for (int j = 0; j < kPerLane; ++j) {
      const int64_t d = lane + 32 * j;
      if (d < s.hd) {
        dqv[j] += ds * k[ko + d];
        atomicAdd(&dk[ko + d], ds * qv[j]);
        atomicAdd(&dv[ko + d], p * dov[j]);
      }
    }
  }
  for (int j = 0; j < kPerLane; ++j) {
    const int64_t d = lane + 32 * j;
    if (d < s.hd) dq[qo + d] += dqv[j];
  }
}

void check_attn(const AttnShape& s) {
  if (s.hd < 1 || s.hd > kMaxHeadDim) fail("", "head_dim", "must be 1.." + std::to_string(kMaxHeadDim));
  if (s.Hkv < 1 || s.H % s.Hkv != 0) fail("", "n_kv_head", "must divide n_head");
}

}  // namespace

void adamw_step(float* params, const float* grads, float* m, float* v, int64_t n, int64_t t, double lr, double beta1,
                double beta2, double eps, double weight_decay, bool decay, void* stream) {
  if (t < 1) fail("", "AdamW", "step t must be >= 1");
  if (n <= 0) return;
  const AdamWStep s = adamw_step_scalars(t, lr, beta1, beta2, eps, weight_decay, decay);
  adamw_kernel<<<blocks_for(n, 256), 256, 0, as_stream(stream)>>>(s, params, grads, m, v, n);
  check_launch("adamw");
}

void softmax_cross_entropy(const float* logits, const int32_t* targets, int64_t rows, int64_t V, float dloss_scale,
                           float* losses, float* dlogits, void* stream) {
  if (rows <= 0) return;
  softmax_xent_kernel<<<unsigned(rows), 256, 0, as_stream(stream)>>>(logits, targets, V, dloss_scale, losses, dlogits);
  check_launch("softmax_cross_entropy");
}

void attention_forward(const float* q, const float* k, const float* v, float* out, float* lse, const AttnShape& s,
                       void* stream) {
  check_attn(s);
  const int64_t warps = s.B * s.H * s.T;
  if (warps == 0) return;
  attn_fwd_kernel<<<unsigned((warps + 7) / 8), 256, 0, as_stream(stream)>>>(q, k, v, out, lse, s);
  check_launch("attention_forward");
}

void attention_backward(const float* q, const float* k, const float* v, const float* out, const float* lse,
                        const float* dout, float* dq, float* dk, float* dv, const AttnShape& s, void* stream) {
  check_attn(s);
  const int64_t warps = s.B * s.H * s.T;
  if (warps == 0) return;
  attn_bwd_kernel<<<unsigned((warps + 7) / 8), 256, 0, as_stream(stream)>>>(q, k, v, out, lse, dout, dq, dk, dv, s);
  check_launch("attention_backward");
}

}  // namespace abacus::cuda
