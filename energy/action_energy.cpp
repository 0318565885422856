#include "energy/action_energy.h"

#include "src/util/error.h"

namespace abacus::energy {

ActionCounts& ActionCounts::operator+=(const ActionCounts& o) {
  for (std::size_t i = 0; i < kPrecisions; ++i) {
    adds[i] += o.adds[i];
    muls[i] += o.muls[i];
  }
  skipped_adds += o.skipped_adds;
  register_read_bytes += o.register_read_bytes;
  register_write_bytes += o.register_write_bytes;
  for (const auto& b : o.sram) {
    bool merged = false;
    for (auto& mine : sram) {
      if (mine.name != b.name) continue;
      if (mine.size_kib != b.size_kib)
        fail("", "sram." + b.name, "buffer size differs between merged action counts");
      mine.read_bytes += b.read_bytes;
      mine.write_bytes += b.write_bytes;
      merged = true;
    }
    if (!merged) sram.push_back(b);
  }
  dram_bytes += o.dram_bytes;
  ppu_ops += o.ppu_ops;
  vector_ops += o.vector_ops;
  return *this;
}

ActionCounts ActionCounts::scaled(double k) const {
  ActionCounts c = *this;
  for (std::size_t i = 0; i < kPrecisions; ++i) {
    c.adds[i] *= k;
    c.muls[i] *= k;
  }
  c.skipped_adds *= k;
  c.register_read_bytes *= k;
  c.register_write_bytes *= k;
  for (auto& b : c.sram) {
    b.read_bytes *= k;
    b.write_bytes *= k;
  }
  c.dram_bytes *= k;
  c.ppu_ops *= k;
  c.vector_ops *= k;
  return c;
}

double EnergyBreakdown::of(const std::string& component) const {
  double e = 0;
  for (const auto& c : components) {
    if (c.component == component) e += c.pj;
    else if (component == "sram" && c.component.rfind("sram.", 0) == 0) e += c.pj;
  }
  return e;
}

EnergyBreakdown action_energy(const ActionCounts& n, const TechTable& t) {
  EnergyBreakdown out;
  auto push = [&](std::string name, double pj) {
    out.components.push_back({std::move(name), pj});
    out.total_pj += pj;
  };
  double adders = 0, multipliers = 0;
  for (Precision p : all_precisions()) {
    const auto i = static_cast<std::size_t>(p);
    if (n.adds[i] < 0 || n.muls[i] < 0) fail("", "action counts", "negative operation count");
    adders += n.adds[i] * t.add(p);
    multipliers += n.muls[i] * t.mul(p);
  }
  push("adders", adders);
  push("multipliers", multipliers);
  push("registers", (n.register_read_bytes + n.register_write_bytes) * t.register_pj_per_byte.value);
  for (const auto& b : n.sram) {
    if (!(b.size_kib > 0)) fail("", "sram." + b.name, "buffer size must be positive");
    push("sram." + b.name, (b.read_bytes + b.write_bytes) * t.sram_pj_per_byte(b.size_kib));
  }
  push("dram", n.dram_bytes * t.dram_pj_per_byte());
  push("ppu", n.ppu_ops * (t.mul(Precision::fp32) + t.add(Precision::fp32)));
  push("vector", n.vector_ops * (t.mul(Precision::fp32) + t.add(Precision::fp32)));
  out.gating_saved_pj = n.skipped_adds * t.add(n.skipped_add_precision);
  return out;
}

double adder_area_mm2(const TechTable& t, double adder_bits) { return adder_bits * t.adder_um2_per_bit.value * 1e-6; }

double multiplier_area_mm2(const TechTable& t, Precision p, double count) {
  return count * t.multiplier_um2[static_cast<std::size_t>(p)].value * 1e-6;
}

double sram_area_mm2(const TechTable& t, double kib) { return kib * t.sram_mm2_per_kib.value; }

}  // namespace abacus::energy
