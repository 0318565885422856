#include "src/accel/arith_config.h"

#include <cstdio>

#include "src/io/atomic_file.h"

namespace abacus::accel {

const char* overflow_name(Overflow o) { return o == Overflow::wrap ? "wrap" : "saturate"; }

const char* ppu_precision_name(PpuPrecision p) {
  switch (p) {
    case PpuPrecision::fp32: return "fp32";
    case PpuPrecision::fp16: return "fp16";
    case PpuPrecision::bf16: return "bf16";
    case PpuPrecision::fixed: return "fixed";
  }
  return "?";
}

std::string ArithConfig::key() const {
  char b[256];
  std::snprintf(b, sizeof b,
                "k_t=%d acc_bits=%d acc_overflow=%s act_bits=%d topk_ratio=%.9g hadamard=%d ppu_precision=%s "
                "ppu_mult_bits=%d ppu_frac_bits=%d kv_bits=%d",
                k_t, acc_bits, overflow_name(acc_overflow), act_bits, topk_ratio, int(hadamard),
                ppu_precision_name(ppu_precision), ppu_mult_bits, ppu_frac_bits, kv_bits);
  return b;
}

ArithConfig ArithConfig::from_fields(io::JsonFields& f) {
  ArithConfig a;
  a.k_t = int(f.get_int_or("k_t", a.k_t, 1, 4096));
  a.acc_bits = int(f.get_int_or("acc_bits", a.acc_bits, 8, 32));
  a.acc_overflow = f.get_enum_or("acc_overflow", "wrap", {"wrap", "saturate"}) == "wrap" ? Overflow::wrap
                                                                                        : Overflow::saturate;
  a.act_bits = int(f.get_int_or("act_bits", a.act_bits, 4, 8));
  if (a.act_bits != 4 && a.act_bits != 8) f.error("act_bits", "must be 8 or 4");
  if (f.has("topk_ratio")) {
    a.topk_ratio = f.get<double>("topk_ratio");
    if (!(a.topk_ratio > 0 && a.topk_ratio <= 1)) f.error("topk_ratio", "must be in (0, 1]");
  }
  a.hadamard = f.get_or<bool>("hadamard", a.hadamard);
  const std::string p = f.get_enum_or("ppu_precision", "fp32", {"fp32", "fp16", "bf16", "fixed"});
  a.ppu_precision = p == "fp16"    ? PpuPrecision::fp16
                    : p == "bf16"  ? PpuPrecision::bf16
                    : p == "fixed" ? PpuPrecision::fixed
                                   : PpuPrecision::fp32;
  a.ppu_mult_bits = int(f.get_int_or("ppu_mult_bits", a.ppu_mult_bits, 2, 31));
  a.ppu_frac_bits = int(f.get_int_or("ppu_frac_bits", a.ppu_frac_bits, 0, 24));
  a.kv_bits = int(f.get_int_or("kv_bits", a.kv_bits, 4, 32));
  if (a.kv_bits != 32 && a.kv_bits != 16 && a.kv_bits != 8 && a.kv_bits != 4)
    f.error("kv_bits", "must be 32, 16, 8 or 4");
  return a;
}

ArithConfig ArithConfig::from_json_text(const std::string& text, const std::string& file) {
  const io::Json j = io::parse_json(text, file);
  if (!j.is_object()) fail(file, "", "an accelerator config must be a JSON object");
  io::JsonFields f(j, file);
  return from_fields(f);
}

ArithConfig ArithConfig::load(const std::string& path) { return from_json_text(io::read_file(path), path); }

void ArithConfig::write_extra_fields(io::Json& j) const {
  j["acc_overflow"] = overflow_name(acc_overflow);
  j["act_bits"] = act_bits;
  j["topk_ratio"] = topk_ratio;
  j["hadamard"] = hadamard;
  j["ppu_precision"] = ppu_precision_name(ppu_precision);
  j["ppu_mult_bits"] = ppu_mult_bits;
  j["ppu_frac_bits"] = ppu_frac_bits;
  j["kv_bits"] = kv_bits;
}

}  // namespace abacus::accel
