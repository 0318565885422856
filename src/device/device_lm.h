// The decoder-only LM of src/model/lm.h (same architecture, parameter layout and checkpoint
// names) with its parameters, gradients, optimizer state and activations in a Backend's memory:
// the whole-model training step on a GPU (CUDA backend) or, with the CPU backend, the same
// orchestration and the GPU's arithmetic on the host. Forward and backward follow
// LanguageModel<float> call for call; BitLinear runs the integer forward (x_q . w_q^T, rescale)
// and the bf16 STE backward, fp Linear layers use bf16 operands (backend.h).
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "src/device/backend.h"
#include "src/model/config.h"
#include "src/model/param_layout.h"

namespace abacus::device {

// The integer parts of one BitLinear call of the last forward, downloaded (tests, traces).
struct BitLinearCall {
  std::string name;  // "layers.<i>.attn.q"
  int64_t rows = 0, K = 0, N = 0, groups = 1;
  std::vector<int8_t> x_q, w_q;
  std::vector<float> x_scale, w_scale;
  std::vector<int32_t> acc;
};

struct AdamWSettings {
  double beta1 = 0.9, beta2 = 0.95, eps = 1e-8;
};

class DeviceLM {
 public:
  DeviceLM(const ModelConfig& config, Backend& backend);
  ~DeviceLM();
  DeviceLM(const DeviceLM&) = delete;
  DeviceLM& operator=(const DeviceLM&) = delete;

  const ModelConfig& config() const { return config_; }
  const model::ParamLayout& layout() const { return layout_; }
  int64_t num_params() const { return layout_.total(); }
  Backend& backend() { return be_; }

  // Host <-> backend copies of the flat fp32 buffers (ParamLayout order).
  void set_params(const float* host);
  void get_params(float* host) const;
  void get_grads(float* host) const;
  void set_optimizer(const float* m, const float* v, int64_t t);  // AdamW moments + step count
  void get_optimizer(float* m, float* v) const;
  int64_t optimizer_t() const { return adam_t_; }

  // tokens, targets [B*Tn] on the host (targets may be null; negative = ignored). Returns the
  // mean loss over the counted targets (0 without targets); keeps activations for backward().
  double forward(const int32_t* tokens, const int32_t* targets, int64_t B, int64_t Tn);
  std::vector<float> losses() const;  // [B*Tn] of the last forward with targets
  std::vector<float> logits() const;  // [B*Tn, vocab] of the last forward WITHOUT targets
  void zero_grad();
  void backward();  // accumulates d(mean loss)/d(params)
  double clip_grad_norm(double max_norm);
  // The flat gradient buffer in backend memory (data parallel: allreduce it between backward and
  // the optimizer step, e.g. cuda::NcclCommunicator::allreduce_mean).
  float* device_grads();  // as train::clip_grad_norm; returns the norm before
  // One AdamW step (t advances by one); weight decay on the layout's decayed parameters.
  void adamw_step(const AdamWSettings& s, double lr, double weight_decay);

  // The BitLinear calls of the last forward in call order (empty for fp models).
  std::vector<BitLinearCall> bitlinear_calls() const;

 private:
  struct Impl;
  ModelConfig config_;
  model::ParamLayout layout_;
  Backend& be_;
  std::unique_ptr<Impl> impl_;
  int64_t adam_t_ = 0;
};

}  // namespace abacus::device
