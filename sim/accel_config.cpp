#include "sim/accel_config.h"

#include "src/io/atomic_file.h"
#include "src/io/json_fields.h"

namespace abacus::sim {

const char* pe_style_name(PeStyle p) {
  switch (p) {
    case PeStyle::adder_tree: return "adder-tree";
    case PeStyle::mac: return "mac";
    case PeStyle::lut: return "lut";
  }
  return "?";
}

const char* weight_mode_name(WeightMode w) { return w == WeightMode::ternary ? "ternary" : "binary"; }

AccelConfig AccelConfig::from_json_text(const std::string& text, const std::string& file) {
  io::Json j = io::parse_json(text, file);
  io::JsonFields f(j, file);
  AccelConfig c;
  c.name = f.get_or<std::string>("name", c.name);
  c.n_t = int(f.get_int_or("n_t", c.n_t, 1, 4096));
  c.k_t = int(f.get_int_or("k_t", c.k_t, 1, 4096));
  std::string pe = f.get_enum_or("pe", pe_style_name(c.pe), {"adder-tree", "mac", "lut"});
  c.pe = pe == "mac" ? PeStyle::mac : pe == "lut" ? PeStyle::lut : PeStyle::adder_tree;
  c.weights = f.get_enum_or("weights", "ternary", {"ternary", "binary"}) == "binary" ? WeightMode::binary
                                                                                      : WeightMode::ternary;
  c.acc_bits = int(f.get_int_or("acc_bits", c.acc_bits, 16, 32));
  c.zero_gating = f.get_or<bool>("zero_gating", c.zero_gating);
  c.lut_group = int(f.get_int_or("lut_group", c.lut_group, 1, 8));
  // Physical bounds (a buffer of 1 byte .. 16 GiB), so no float reaches the models as a
  // negative or infinite cycle count.
  constexpr double kMinKib = 1.0 / 1024, kMaxKib = double(1 << 24);
  if (f.has("weight_buffer_kib")) c.weight_buffer_kib = f.get_double_in("weight_buffer_kib", kMinKib, kMaxKib);
  if (f.has("act_buffer_kib")) c.act_buffer_kib = f.get_double_in("act_buffer_kib", kMinKib, kMaxKib);
  if (f.has("out_buffer_kib")) c.out_buffer_kib = f.get_double_in("out_buffer_kib", kMinKib, kMaxKib);
  c.double_buffer = f.get_or<bool>("double_buffer", c.double_buffer);
  if (f.has("dram_gbps")) c.dram_gbps = f.get_double_in("dram_gbps", 1e-3, 1e6);              // 1 MB/s .. 1 PB/s
  if (f.has("dram_latency_ns")) c.dram_latency_ns = f.get_double_in("dram_latency_ns", 0, 1e6);  // .. 1 ms
  c.dram_beat_bytes = int(f.get_int_or("dram_beat_bytes", c.dram_beat_bytes, 1, 4096));
  if (f.has("clock_mhz")) c.clock_mhz = f.get_double_in("clock_mhz", 1, 1e5);  // 1 MHz .. 100 GHz
  c.node = f.get_or<std::string>("node", c.node);
  if (c.node.empty()) f.error("node", "must name a technology node (e.g. \"7nm\")");
  c.ppu_lanes = int(f.get_int_or("ppu_lanes", c.ppu_lanes, 1, 65536));
  c.vector_lanes = int(f.get_int_or("vector_lanes", c.vector_lanes, 1, 65536));
  f.finish();
  if (c.pe == PeStyle::lut && c.k_t % c.lut_group != 0)
    f.error("k_t", "must be a multiple of lut_group for PE style \"lut\"");
  return c;
}

AccelConfig AccelConfig::load(const std::string& path) { return from_json_text(io::read_file(path), path); }

std::string AccelConfig::to_json_text() const {
  io::Json j = {{"name", name},
                {"n_t", n_t},
                {"k_t", k_t},
                {"pe", pe_style_name(pe)},
                {"weights", weight_mode_name(weights)},
                {"acc_bits", acc_bits},
                {"zero_gating", zero_gating},
                {"lut_group", lut_group},
                {"weight_buffer_kib", weight_buffer_kib},
                {"act_buffer_kib", act_buffer_kib},
                {"out_buffer_kib", out_buffer_kib},
                {"double_buffer", double_buffer},
                {"dram_gbps", dram_gbps},
                {"dram_latency_ns", dram_latency_ns},
                {"dram_beat_bytes", dram_beat_bytes},
                {"clock_mhz", clock_mhz},
                {"node", node},
                {"ppu_lanes", ppu_lanes},
                {"vector_lanes", vector_lanes}};
  return j.dump(2) + "\n";
}

}  // namespace abacus::sim
