// The arithmetic an accelerator configuration implies for model quality: the integer
// datapath's fields of the accelerator config JSON (sim/accel_config.h holds the timing, buffer
// and energy fields of the same file). The core reads only these fields and ignores the rest,
// so src/ never depends on sim/.
//
//   k_t            accumulation chunk: the PE forms the exact sum of K_T products, then adds it
//                  into the accumulator (chunks k = 0, K_T, 2 K_T, ... in order)
//   acc_bits       accumulator width (8..32)
//   acc_overflow   "wrap": two's complement modulo 2^acc_bits after each chunk add;
//                  "saturate": clamp to [-2^(acc_bits-1), 2^(acc_bits-1)-1] after each chunk add
//   act_bits       8: absmax INT8 per token (the software reference); 4: BitNet a4.8 hybrid
//                  (absmean INT4 for the attention and FFN inputs q/k/v/gate/up, top-k
//                  sparsified INT8 for the o-projection input, INT8 for the down-projection input)
//   topk_ratio     act_bits 4: fraction of the o-projection input kept per token (a4.8: 0.5)
//   hadamard       BitNet v2 H-BitLinear: an online Hadamard transform of the o- and
//                  down-projection inputs before activation quantization (weights rotated to match)
//   ppu_precision  rescale acc -> y: "fp32" (the reference), "fp16", "bf16", or "fixed"
//                  (integer multiplier of ppu_mult_bits bits + arithmetic shift, output with
//                  ppu_frac_bits fraction bits)
//   kv_bits        KV cache storage: 32 (fp32, the reference), 16 (fp16), 8 or 4 (symmetric
//                  absmax integers per token and KV head)
#pragma once
#include <string>

#include "src/io/json_fields.h"

namespace abacus::accel {

enum class Overflow { wrap, saturate };
enum class PpuPrecision { fp32, fp16, bf16, fixed };

const char* overflow_name(Overflow o);       // "wrap", "saturate"
const char* ppu_precision_name(PpuPrecision p);  // "fp32", "fp16", "bf16", "fixed"

struct ArithConfig {
  int k_t = 32;
  int acc_bits = 32;
  Overflow acc_overflow = Overflow::wrap;
  int act_bits = 8;
  double topk_ratio = 0.5;
  bool hadamard = false;
  PpuPrecision ppu_precision = PpuPrecision::fp32;
  int ppu_mult_bits = 16;
  int ppu_frac_bits = 16;
  int kv_bits = 32;

  // Canonical text of every arithmetic field: equal keys = the same model outputs. The dse
  // quality cache is keyed by it.
  std::string key() const;

  // Reads the arithmetic fields present in f (others keep their defaults) and leaves every other
  // field alone (the caller may finish() f for its own fields). Bad values name file and field.
  static ArithConfig from_fields(io::JsonFields& f);
  // Parses an accelerator config JSON text / file, reading only the arithmetic fields.
  static ArithConfig from_json_text(const std::string& text, const std::string& file);
  static ArithConfig load(const std::string& path);
  // Writes the fields other than k_t and acc_bits (which the accelerator config writes itself).
  void write_extra_fields(io::Json& j) const;
};

}  // namespace abacus::accel
