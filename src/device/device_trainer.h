// The training loop of src/train/trainer.h on a Backend (the GPU): same data preparation, batch
// order, schedule, AdamW, validation windows, metrics.csv and checkpoint directory, so a run can
// stop on one device and resume on the other. Parameters, gradients and AdamW moments stay in
// the backend's memory; they are copied to the host only to write a checkpoint.
#pragma once
#include <cstdint>
#include <functional>
#include <vector>

#include "src/device/backend.h"
#include "src/device/device_lm.h"
#include "src/eval/perplexity.h"
#include "src/train/trainer.h"

namespace abacus::device {

// Data parallel: when given, called every step with the gradients (backend memory, n floats)
// between backward and clipping/AdamW; it must leave the mean over ranks there (e.g. an NCCL
// allreduce_mean). Each rank then applies the same update to the same parameters.
using GradientReducer = std::function<void(float* grads, int64_t n)>;

train::TrainResult run_device_training(const train::TrainOptions& opt, Backend& backend,
                                       const GradientReducer& reduce_grads = nullptr);

// eval::evaluate_loss on a DeviceLM (same windows, same mean).
eval::LossResult evaluate_loss(DeviceLM& m, const std::vector<int32_t>& tokens, int64_t seq, int64_t batch,
                               int64_t max_windows = 0);

}  // namespace abacus::device
