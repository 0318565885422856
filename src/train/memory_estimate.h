// Memory a training run needs, estimated from the configuration before anything is allocated
// or written, so an oversized model is refused with the number instead of std::bad_alloc
// halfway through preparing the run folder.
#pragma once
#include <cstdint>

#include "src/model/config.h"

namespace abacus::train {

// Bytes for parameters, gradients, AdamW m and v, quantized weight copies, the activations
// kept for backward (batch x seq tokens) and the logits; an estimate, good to tens of percent.
double training_memory_bytes(const ModelConfig& c, int64_t batch, int64_t seq);

// MemAvailable from /proc/meminfo (0 when unknown).
uint64_t available_memory_bytes();

// Refuses (Error naming `config_file`) a run whose estimate exceeds the available memory, and a
// vocabulary the uint16 token shards cannot hold.
void check_training_fits(const ModelConfig& c, int64_t batch, int64_t seq, const std::string& config_file);

}  // namespace abacus::train
