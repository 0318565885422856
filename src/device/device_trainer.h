// The training loop of src/train/trainer.h on a Backend (the GPU): same data preparation, batch
// order, schedule, AdamW, validation windows, metrics.csv and checkpoint directory, so a run can
// stop on one device and resume on the other. Parameters, gradients and AdamW moments stay in
// the backend's memory; they are copied to the host only to write a checkpoint.
#pragma once
#include <cstdint>
#include <vector>

#include "src/device/backend.h"
#include "src/device/device_lm.h"
#include "src/eval/perplexity.h"
#include "src/train/trainer.h"

namespace abacus::device {

train::TrainResult run_device_training(const train::TrainOptions& opt, Backend& backend);

// eval::evaluate_loss on a DeviceLM (same windows, same mean).
eval::LossResult evaluate_loss(DeviceLM& m, const std::vector<int32_t>& tokens, int64_t seq, int64_t batch,
                               int64_t max_windows = 0);

}  // namespace abacus::device
