// Trace of a family model's integer inference: one safetensors file with, for every BitLinear
// call, the same tensors as an LM trace (src/trace/trace.h: x_q, x_scale, w_q, w_scale, acc,
// y under the record's name, e.g. "enc.0.attn.q." or "fc1."), plus the forward's other ops
// (attention shapes, SpMM sizes and degree histogram, norms, activations, residual adds,
// full-precision heads) as metadata, which the accelerator and energy workloads need.
// A sibling format ("abacus-family-trace") rather than an LM trace: the LM trace's validation
// derives every record's shape from a decoder-only ModelConfig, which these models are not.
//
// __metadata__ (strings): format "abacus-family-trace", version "1", config (family config
// JSON), items (inferences in the trace: chunks, graph passes or sequences), records (JSON
// array of {name, T, K, N} in call order), ops (JSON array of FamilyOp in call order),
// scale_convention (as the LM trace: y = float(acc) / (x_scale[t] * w_scale)), act_scale.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "src/families/family_model.h"
#include "src/io/safetensors.h"

namespace abacus::families {

inline constexpr const char* kFamilyTraceFormat = "abacus-family-trace";

// Runs `items` test-split inferences (mlp/sgc: chunks; gcn: one full-graph pass; transformers:
// sequences) through the integer path and writes the trace. The model must be quantized.
// Returns the number of BitLinear records.
int64_t write_family_trace(const std::string& path, const FamilyConfig& c, const FamilyDataset& d,
                           const ParamLayout& L, std::vector<float>& params, int64_t items);

struct FamilyTraceRecord {
  std::string name;
  int64_t T = 0, K = 0, N = 0;
  const int8_t* x_q = nullptr;
  const float* x_scale = nullptr;
  const int8_t* w_q = nullptr;
  const float* w_scale = nullptr;
  const int32_t* acc = nullptr;
  const float* y = nullptr;
};

class FamilyTrace {
 public:
  // Opens and validates: metadata, every record's tensors (dtype, shape), w_q in {-1, 0, 1},
  // scales finite and positive, ops well formed. Errors name the file and record/field.
  static FamilyTrace open(const std::string& path);
  const std::string& path() const { return file_.path(); }
  const FamilyConfig& config() const { return config_; }
  int64_t items() const { return items_; }
  const std::vector<FamilyTraceRecord>& records() const { return records_; }
  const std::vector<FamilyOp>& ops() const { return ops_; }

 private:
  explicit FamilyTrace(io::SafetensorsFile f) : file_(std::move(f)) {}
  io::SafetensorsFile file_;
  FamilyConfig config_;
  int64_t items_ = 0;
  std::vector<FamilyTraceRecord> records_;
  std::vector<FamilyOp> ops_;
};

// The workload a family trace describes (for sim and energy): its ops in call order, with
// the BitLinear ops' zero weights measured on the recorded w_q.
struct FamilyWorkload {
  FamilyConfig config;
  std::string name;
  int64_t items = 0;
  std::vector<FamilyOp> ops;
  double bitlinear_macs = 0;
  double zero_weight_mac_fraction = 0;  // MAC-weighted zero fraction of the recorded w_q
};
FamilyWorkload family_workload(const FamilyTrace& t);

}  // namespace abacus::families
