// The inference path of src/model/inference.h (prefill + decode with a KV cache) on a Backend:
// BitNet projections quantize their weights once (int8 w_q for prefill GEMMs, 2-bit packed for
// the W2A8 decode GEMV) and run BitLinearPacked's integer forward; each call is reported to an
// optional BitLinearObserver with its integers copied to the host, so `abacus trace` writes the
// same records from a GPU run. fp models run bf16 Linear layers (backend.h).
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "src/device/backend.h"
#include "src/model/config.h"
#include "src/nn/bitlinear.h"

namespace abacus::device {

class DeviceInference {
 public:
  // params: fp32 latent weights in ParamLayout(config) order (host).
  DeviceInference(const ModelConfig& config, const float* params, Backend& backend);
  ~DeviceInference();
  DeviceInference(const DeviceInference&) = delete;
  DeviceInference& operator=(const DeviceInference&) = delete;

  const ModelConfig& config() const { return config_; }
  // As InferenceModel::forward: tokens[0..n) at positions pos..pos+n-1; returns logits [n, vocab].
  std::vector<float> forward(const int32_t* tokens, int64_t n, int64_t pos,
                             const nn::BitLinearObserver* observer = nullptr);

 private:
  struct Impl;
  ModelConfig config_;
  Backend& be_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace abacus::device
