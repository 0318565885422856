// Beyond the paper: energy per token of a whole forward pass (prefill of L tokens, or decoding
// one token against an L-token context), split into
//   - matmul arithmetic under the papers' convention (BitLinear add = INT8 add) and
//     accumulator-aware (an int8 added into an acc_bits-wide accumulator), with and without
//     zero-weight gating (a ternary zero skips its addition; fraction measured or assumed 0);
//   - non-matmul work on a vector unit: norms, softmax, activation quantization, rescale
//     (PPU), and other element-wise work (RoPE, GLU, residual);
//   - memory: DRAM weight and KV-cache traffic, SRAM weight and activation traffic.
// Memory model (stated, simple): weights are read from DRAM once per forward pass and reused
// for all tokens of that pass on chip (so prefill pays them once for L tokens, decode once per
// token); they pass through an SRAM weight buffer (one write, one read per pass); every
// product reads its input activations and writes its outputs once through an SRAM activation
// buffer; attention reads and writes its score rows there too; the K/V cache lives in DRAM
// (FP16 unless kv_bytes says otherwise): written once per token, read in full by each decoded
// token. Element-op counts per element: RMSNorm 4, softmax 4 per score (max-subtract, exp,
// sum, divide; exp counted as one op: assumption), quantization 3 (absmax, scale, round),
// RoPE 3, GLU 2, residual 1.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "energy/action_energy.h"
#include "energy/op_count.h"
#include "energy/workload.h"

namespace abacus::energy {

struct InferenceOptions {
  Phase phase = Phase::prefill;
  int64_t tokens = 512;        // prefill length, or the cached context for decode
  int acc_bits = 32;           // accumulator width of the ternary adds (16 or 32)
  std::optional<double> zero_fraction;  // share of zero ternary weights
  std::string zero_fraction_source = "assumed";  // "measured from <dir>" when read from a checkpoint
  double sram_kib = 256;       // size of the on-chip buffers (sets the SRAM access energy)
  double bitnet_weight_bits = 2;  // packed ternary (2 bits, I2_S); 1.58 for ideal packing
  double fp_weight_bits = 16;
  double kv_bytes = 2;         // per K/V element
};

// One line of the report; joules per token.
struct EnergyLine {
  std::string group;  // "matmul", "non-matmul", "memory", "total"
  std::string item;
  double joules_per_token = 0;
  std::string note;
};

struct InferenceEnergy {
  std::string model;
  std::string node;
  InferenceOptions options;
  bool bitnet = false;
  double tokens_in_pass = 0;  // tokens the per-token numbers are divided by
  std::vector<EnergyLine> lines;
  // Per-token totals under both add conventions (arithmetic + non-matmul + memory).
  double total_paper_convention = 0;
  double total_accumulator_gated = 0;
  double value(const std::string& item) const;  // J/token of a line by item name (0 if none)
};

InferenceEnergy inference_energy(const ModelShape& shape, const TechTable& tech, const InferenceOptions& o);

// Markdown table and JSON text of a result.
std::string to_markdown(const InferenceEnergy& e);
std::string to_json(const InferenceEnergy& e);

}  // namespace abacus::energy
