#include "sim/systemc/pe_model.h"

#include <algorithm>

#include "sim/pe_pipeline.h"
#include "sim/systemc/machine.h"
#include "src/util/error.h"

namespace abacus::sim {

namespace {
int pow3(int n) {
  int p = 1;
  for (int i = 0; i < n; ++i) p *= 3;
  return p;
}
// Register and 2:1-multiplexer bits in adder-bit equivalents, from the NAND2-equivalent cell
// weights of scripts/synth.sh: a full-adder bit (2 XOR + 2 AND + 1 OR) = 8.65, a flip-flop
// with enable 6.0, a 2:1 mux 2.33. Assumption: the tech tables give adder area per bit only.
constexpr double kRegisterAsAdderBits = 6.0 / 8.65;
constexpr double kMux2AsAdderBits = 2.33 / 8.65;
}  // namespace

LutShape lut_shape(int k_t, int g) {
  LutShape s;
  s.g = g;
  s.groups = (k_t + g - 1) / g;
  s.entries = (pow3(g) + 1) / 2;
  s.entry_bits = 9 + pe_ceil_log2(g);
  s.index_bits = 1 + pe_ceil_log2(s.entries);
  s.table_adds = s.entries - 1 - g;
  return s;
}

double tile_bits_per_weight(const AccelConfig& c) {
  switch (c.pe) {
    case PeStyle::mac: return 8;
    case PeStyle::lut: {
      const LutShape l = lut_shape(c.k_t, c.lut_group);
      return double(l.groups * l.index_bits) / c.k_t;
    }
    case PeStyle::adder_tree: break;
  }
  return c.weights == WeightMode::binary ? 1 : 2;
}

int64_t acc_bound(const AccelConfig& c, const GemmCommand& g) {
  const int64_t per_term = c.pe == PeStyle::mac ? 128 * 128 : 128;
  return per_term * g.K;
}

void check_acc_width(const AccelConfig& c, const Workload& w) {
  if (c.acc_overflow == AccOverflow::saturate) return;
  for (const Command& cmd : w.commands) {
    if (cmd.kind != Command::Kind::gemm) continue;
    const int64_t bound = acc_bound(c, cmd.gemm);
    if (bound > acc_max(c.acc_bits))
      fail(c.name, "acc_bits",
           std::to_string(c.acc_bits) + "-bit wrapping accumulator can overflow on " + w.name + " GEMM " +
               cmd.gemm.name + " (K = " + std::to_string(cmd.gemm.K) + ": |sum| up to " + std::to_string(bound) +
               " > " + std::to_string(acc_max(c.acc_bits)) +
               "); widen acc_bits or set acc_overflow: \"saturate\"");
  }
}

AccOverflowCount count_acc_overflows(const AccelConfig& c, const int8_t* x, const int8_t* w, int64_t T, int64_t K,
                                     int64_t N) {
  AccOverflowCount r;
  for (int64_t t = 0; t < T; ++t)
    for (int64_t n = 0; n < N; ++n) {
      int64_t acc = 0, exact = 0;
      for (int64_t k0 = 0; k0 < K; k0 += c.k_t) {
        int64_t part = 0;
        for (int64_t k = k0; k < std::min<int64_t>(K, k0 + c.k_t); ++k) part += int64_t(x[t * K + k]) * w[n * K + k];
        bool o = false;
        acc = acc_add(acc, part, c.acc_bits, c.acc_overflow, &o);
        exact += part;
        r.overflows += o;
        r.chunk_adds += 1;
      }
      r.outputs_changed += acc != exact;
    }
  return r;
}

LutBeatActions lut_beat_actions(const AccelConfig& c) {
  const LutShape l = lut_shape(c.k_t, c.lut_group);
  LutBeatActions a;
  a.table_adds = double(l.groups) * l.table_adds;
  a.table_reg_bits = double(l.groups) * l.entries * l.entry_bits;
  a.lookups = double(c.n_t) * l.groups;
  a.lookup_reg_bits = a.lookups * l.entry_bits;
  a.tree_adds = double(c.n_t) * (l.groups - 1);
  a.acc_adds = c.n_t;
  return a;
}

int64_t tile_max_ksteps(const AccelConfig& c) {
  const double slot_bits = c.weight_buffer_kib * 1024.0 * 8.0 / (c.double_buffer ? 2.0 : 1.0);
  const double kstep_bits = double(c.n_t) * c.k_t * (c.weights == WeightMode::binary ? 1 : 2);
  return std::max<int64_t>(1, int64_t(slot_bits / kstep_bits));
}

PeAreaBits pe_area_bits(const AccelConfig& c, int64_t max_ksteps) {
  PeAreaBits a;
  const int h = pe_ceil_log2(c.k_t);
  const double nt = c.n_t;
  a.weight_store_bits = double(max_ksteps) * nt * c.k_t * tile_bits_per_weight(c);
  if (c.pe == PeStyle::lut) {
    const LutShape l = lut_shape(c.k_t, c.lut_group);
    const int hg = pe_ceil_log2(l.groups);
    // Shared table: adders and register; per column: lookup muxes (HT - 1 2:1 muxes of TW
    // bits per group), negate (an adder), lookup registers, group tree, accumulator.
    a.adder_bits = double(l.groups) * l.table_adds * l.entry_bits +
                   nt * (double(l.groups) * l.entry_bits + (l.groups - 1) * (l.entry_bits + hg / 2.0) + c.acc_bits);
    a.register_bits = (double(l.groups) * l.entries * l.entry_bits + nt * l.groups * l.entry_bits) *
                      kRegisterAsAdderBits;
    a.mux_bits = nt * l.groups * double(l.entries - 1) * l.entry_bits * kMux2AsAdderBits;
    return a;
  }
  // Adder tree (also behind the MAC's multipliers): K_T - 1 adders of ~(lane width + log2 K_T / 2)
  // bits, the accumulator, and the lane registers (9 bits; 16 behind a multiplier).
  const double lane = c.pe == PeStyle::mac ? 16.0 : 9.0;
  a.adder_bits = nt * ((c.k_t - 1) * (lane + h / 2.0) + c.acc_bits);
  a.register_bits = nt * c.k_t * lane * kRegisterAsAdderBits;
  return a;
}

}  // namespace abacus::sim
