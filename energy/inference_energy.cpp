#include "energy/inference_energy.h"

#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "energy/matmul_energy.h"
#include "src/util/error.h"

namespace abacus::energy {

double InferenceEnergy::value(const std::string& item) const {
  for (const auto& l : lines)
    if (l.item == item) return l.joules_per_token;
  return 0;
}

namespace {

std::string fmt(const char* f, double v) {
  char b[64];
  std::snprintf(b, sizeof b, f, v);
  return b;
}

// Readable magnitudes: fixed point from 100 up, 4 significant digits below.
std::string magnitude(double v) { return std::fabs(v) >= 100 ? fmt("%.1f", v) : fmt("%.4g", v); }

std::string share(double f) { return f < 0.005 ? "<1%" : fmt("%.0f%%", 100 * f); }

double pj(const ActionCounts& c, const TechTable& t) { return action_energy(c, t).total_pj; }

// Element counts of the non-matmul work of one forward pass.
struct ElementWork {
  double norm_elems = 0, softmax_scores = 0, quant_elems = 0, rescale_outputs = 0, rope_elems = 0,
         glu_elems = 0, residual_elems = 0;
};

ElementWork element_work(const ModelShape& s, double m, double attended) {
  ElementWork w;
  const double L = double(s.layers), d = double(s.hidden), ffn = double(s.intermediate);
  // Inputs of distinct BitLinear activations per layer: qkv input, o input, gate/up input, down input.
  const double bitlinear_inputs = d + double(s.q_dim()) + d + ffn;
  if (s.bitnet) {
    w.norm_elems = m * (L * bitlinear_inputs + d);  // RMSNorm inside each BitLinear + final norm
    w.quant_elems = m * L * bitlinear_inputs;
    w.rescale_outputs = m * L * (double(s.q_dim()) + 2 * double(s.kv_dim()) + d + ffn * (s.glu ? 2 : 1) + d);
  } else {
    w.norm_elems = m * (L * (2 * d + (s.subln ? double(s.q_dim()) + ffn : 0)) + d);
  }
  w.softmax_scores = m * L * double(s.heads) * attended;
  w.rope_elems = m * L * (double(s.q_dim()) + double(s.kv_dim()));
  w.glu_elems = s.glu ? m * L * ffn : m * L * ffn / 2;  // a plain MLP has one activation per element
  w.residual_elems = m * L * 2 * d;
  return w;
}

}  // namespace

InferenceEnergy inference_energy(const ModelShape& s, const TechTable& t, const InferenceOptions& o) {
  if (o.tokens <= 0 && o.phase == Phase::prefill) fail("", "tokens", "must be positive");
  if (o.zero_fraction && (*o.zero_fraction < 0 || *o.zero_fraction > 1)) fail("", "zero_fraction", "must be in [0, 1]");
  if (!(o.sram_kib > 0)) fail("", "sram_kib", "must be positive");
  accumulator_precision(o.acc_bits);  // reject a bad width before any work
  const Workload w = o.phase == Phase::prefill ? prefill_workload(s, o.tokens) : decode_workload(s, o.tokens);
  const double m = double(w.tokens);

  InferenceEnergy r;
  r.model = s.name;
  r.node = t.node;
  r.options = o;
  r.bitnet = s.bitnet;
  r.tokens_in_pass = m;
  auto per_token = [&](double pjoules) { return pjoules * 1e-12 / m; };
  auto line = [&](const char* group, const std::string& item, double pjoules, std::string note = "") {
    r.lines.push_back({group, item, per_token(pjoules), std::move(note)});
    return per_token(pjoules);
  };

  // Matmul arithmetic: linear products and attention products apart.
  Workload counted = w;
  counted.zero_fraction = o.zero_fraction;
  const MatmulEnergy me = matmul_energy(counted, t, o.acc_bits);
  const double J = 1e12;  // line() takes pJ
  const double lin_paper = line("matmul", s.bitnet ? "linear (paper: INT8 add)" : "linear", me.linear_paper * J,
                                s.bitnet ? "BitLinear adds charged as INT8 adds + FP16 rescale muls" : "FP16 MAC");
  double lin_gated = lin_paper;
  if (s.bitnet) {
    line("matmul", "linear (INT" + std::to_string(o.acc_bits) + " accumulator)", me.linear_accumulator * J,
         "int8 added into the accumulator width");
    lin_gated = line("matmul", "linear (accumulator, zero-gated)", me.linear_gated * J,
                     o.zero_fraction ? "zero fraction " + fmt("%.4f", *o.zero_fraction) + " (" + o.zero_fraction_source + ")"
                                     : "no zero fraction given: nothing gated");
  }
  const double attn = line("matmul", "attention (QK^T, AV)", me.attention * J, "FP16 MAC");

  // Non-matmul work on the vector unit / PPU.
  const ElementWork e = element_work(s, m, double(w.context));
  auto vec = [&](double ops) {
    ActionCounts c;
    c.vector_ops = ops;
    return pj(c, t);
  };
  double nonmatmul = 0;
  nonmatmul += line("non-matmul", "norms", vec(4 * e.norm_elems), "RMSNorm, 4 ops/element");
  nonmatmul += line("non-matmul", "softmax", vec(4 * e.softmax_scores), "4 ops/score");
  if (s.bitnet) {
    nonmatmul += line("non-matmul", "activation quantization", vec(3 * e.quant_elems), "absmax, scale, round");
    ActionCounts ppu;
    ppu.ppu_ops = e.rescale_outputs;
    nonmatmul += line("non-matmul", "rescale (PPU)", pj(ppu, t), "one per BitLinear output, FP32");
  }
  nonmatmul += line("non-matmul", "element-wise (RoPE, GLU, residual)",
                    vec(3 * e.rope_elems + 2 * e.glu_elems + e.residual_elems));

  // Memory.
  const double weight_bits = s.bitnet ? o.bitnet_weight_bits : o.fp_weight_bits;
  const double weight_bytes = double(s.layers) * double(s.linear_params_per_layer()) * weight_bits / 8;
  const double act_in_bytes = s.bitnet ? 1 : 2, act_out_bytes = 2;
  double act_bytes = 0;
  for (const Gemm& g : w.gemms) {
    const double in_b = g.kind == GemmKind::linear ? act_in_bytes : 2;
    // Attention's right operand (K, V) is read from the cache, charged below.
    act_bytes += double(g.count) * (double(g.m) * double(g.n) * in_b + double(g.m) * double(g.p) * act_out_bytes);
  }
  const double kv_token_bytes = 2 * double(s.layers) * double(s.kv_dim()) * o.kv_bytes;
  const double kv_dram = o.phase == Phase::prefill ? m * kv_token_bytes                       // write L tokens
                                                   : kv_token_bytes * (double(o.tokens) + 1);  // read L, write 1
  ActionCounts dram_w, dram_kv, sram_w, sram_a;
  dram_w.dram_bytes = weight_bytes;
  dram_kv.dram_bytes = kv_dram;
  sram_w.sram.push_back({"weight", o.sram_kib, weight_bytes, weight_bytes});
  sram_a.sram.push_back({"act", o.sram_kib, act_bytes / 2, act_bytes / 2});
  double memory = 0;
  char note[160];
  std::snprintf(note, sizeof note, "%.3g MB of weights at %.3g bits, once per pass", weight_bytes / 1e6, weight_bits);
  memory += line("memory", "DRAM weights", pj(dram_w, t), note);
  memory += line("memory", "DRAM KV cache", pj(dram_kv, t), o.phase == Phase::prefill ? "K/V written" : "K/V read + 1 written");
  memory += line("memory", "SRAM weights", pj(sram_w, t), "buffer write + read");
  memory += line("memory", "SRAM activations", pj(sram_a, t), "inputs read, outputs written once");

  r.total_paper_convention = lin_paper + attn + nonmatmul + memory;
  r.total_accumulator_gated = lin_gated + attn + nonmatmul + memory;
  r.lines.push_back({"total", "total (paper add convention)", r.total_paper_convention, ""});
  if (s.bitnet) {
    r.lines.push_back({"total", "total (accumulator, zero-gated)", r.total_accumulator_gated, ""});
  }
  return r;
}

std::string to_markdown(const InferenceEnergy& e) {
  std::string s;
  char buf[512];
  std::snprintf(buf, sizeof buf, "%s, %s, %s of %lld tokens%s: energy per token\n\n", e.model.c_str(), e.node.c_str(),
                phase_name(e.options.phase), static_cast<long long>(e.options.tokens),
                e.options.phase == Phase::decode ? " of context" : "");
  s += buf;
  s += "| group | item | uJ/token | share | note |\n|---|---|---:|---:|---|\n";
  const double total = e.bitnet ? e.total_accumulator_gated : e.total_paper_convention;
  for (const auto& l : e.lines) {
    std::snprintf(buf, sizeof buf, "| %s | %s | %s | %s | %s |\n", l.group.c_str(), l.item.c_str(),
                  magnitude(l.joules_per_token * 1e6).c_str(),
                  l.group == "total" ? "" : share(l.joules_per_token / total).c_str(),
                  l.note.c_str());
    s += buf;
  }
  if (e.bitnet)
    s += "\nShares are of the accumulator-aware, zero-gated total; the BitLinear variants are alternatives, not summed.\n";
  return s;
}

std::string to_json(const InferenceEnergy& e) {
  nlohmann::json j;
  j["model"] = e.model;
  j["node"] = e.node;
  j["phase"] = phase_name(e.options.phase);
  j["tokens"] = e.options.tokens;
  j["bitnet"] = e.bitnet;
  j["acc_bits"] = e.options.acc_bits;
  j["zero_fraction"] = e.options.zero_fraction ? nlohmann::json(*e.options.zero_fraction) : nlohmann::json(nullptr);
  j["zero_fraction_source"] = e.options.zero_fraction ? e.options.zero_fraction_source : "";
  j["weight_bits"] = e.bitnet ? e.options.bitnet_weight_bits : e.options.fp_weight_bits;
  j["sram_kib"] = e.options.sram_kib;
  j["units"] = "joules per token";
  nlohmann::json lines = nlohmann::json::array();
  for (const auto& l : e.lines)
    lines.push_back({{"group", l.group}, {"item", l.item}, {"joules_per_token", l.joules_per_token}, {"note", l.note}});
  j["lines"] = lines;
  j["total_paper_convention"] = e.total_paper_convention;
  j["total_accumulator_gated"] = e.total_accumulator_gated;
  return j.dump(2) + "\n";
}

}  // namespace abacus::energy
