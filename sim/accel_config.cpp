#include "sim/accel_config.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>

#include "src/io/atomic_file.h"
#include "src/io/json_fields.h"
#include "src/util/error.h"

namespace abacus::sim {

std::string memory_tech_dir() {
  if (const char* env = std::getenv("ABACUS_TECH_DIR"); env && *env) return std::string(env) + "/memory";
  return ABACUS_MEMORY_TECH_DIR;
}

MemoryPreset MemoryPreset::load(const std::string& name) {
  const std::string path = memory_tech_dir() + "/" + name + ".json";
  // Sweeps parse a configuration per design point: read each preset file once.
  static std::map<std::string, MemoryPreset> cache;
  if (auto it = cache.find(path); it != cache.end()) return it->second;
  if (!std::filesystem::exists(path)) fail(path, "", "no memory technology preset '" + name + "'");
  io::Json j = io::parse_json(io::read_file(path), path);
  if (!j.is_object()) fail(path, "", "expected a JSON object");
  io::JsonFields f(j, path);
  MemoryPreset m;
  m.name = f.get<std::string>("name");
  f.get_or<std::string>("description", "");
  auto sourced = [&](const char* key) {
    if (!f.raw(key).is_object()) f.error(key, "expected {\"value\": number, \"source\": string}");
    io::JsonFields v = f.object(key);
    const double x = v.get<double>("value");
    if (!(x > 0) || !std::isfinite(x)) v.error("value", "must be a positive finite number");
    if (v.get<std::string>("source").empty()) v.error("source", "must say where the number comes from");
    v.finish();
    return x;
  };
  m.gbps = sourced("gbps");
  m.latency_ns = sourced("latency_ns");
  m.pj_per_bit = sourced("pj_per_bit");
  m.background_mw = sourced("background_mw");
  f.finish();
  cache.emplace(path, m);
  return m;
}

const char* pe_style_name(PeStyle p) {
  switch (p) {
    case PeStyle::adder_tree: return "adder-tree";
    case PeStyle::mac: return "mac";
    case PeStyle::lut: return "lut";
  }
  return "?";
}

const char* weight_mode_name(WeightMode w) { return w == WeightMode::ternary ? "ternary" : "binary"; }
const char* acc_overflow_name(AccOverflow o) { return o == AccOverflow::saturate ? "saturate" : "wrap"; }

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
  c.acc_bits = int(f.get_int_or("acc_bits", c.acc_bits, 8, 32));
  c.zero_gating = f.get_or<bool>("zero_gating", c.zero_gating);
  c.lut_group = int(f.get_int_or("lut_group", c.lut_group, 1, 8));
  // Physical bounds (a buffer of 1 byte .. 16 GiB), so no float reaches the models as a
  // negative or infinite cycle count.
  constexpr double kMinKib = 1.0 / 1024, kMaxKib = double(1 << 24);
  if (f.has("weight_buffer_kib")) c.weight_buffer_kib = f.get_double_in("weight_buffer_kib", kMinKib, kMaxKib);
  if (f.has("act_buffer_kib")) c.act_buffer_kib = f.get_double_in("act_buffer_kib", kMinKib, kMaxKib);
  if (f.has("out_buffer_kib")) c.out_buffer_kib = f.get_double_in("out_buffer_kib", kMinKib, kMaxKib);
  c.double_buffer = f.get_or<bool>("double_buffer", c.double_buffer);
  c.memory = f.get_or<std::string>("memory", c.memory);
  if (c.memory != "custom") {
    if (c.memory.empty() || c.memory.find('/') != std::string::npos)
      f.error("memory", "must name a preset of energy/tech/memory (ddr5, lpddr5x, hbm3) or be \"custom\"");
    const MemoryPreset m = MemoryPreset::load(c.memory);
    c.dram_gbps = m.gbps;
    c.dram_latency_ns = m.latency_ns;
    c.dram_pj_per_bit = m.pj_per_bit;
    c.dram_background_mw = m.background_mw;
  }
  auto finite = [&](const char* key, double v) {
    if (!std::isfinite(v)) f.error(key, "must be finite");
    return v;
  };
  if (f.has("dram_gbps")) c.dram_gbps = f.get_double_in("dram_gbps", 1e-3, 1e6);  // 1 MB/s .. 1 PB/s
  if (f.has("dram_latency_ns")) c.dram_latency_ns = f.get_double_in("dram_latency_ns", 0, 1e6);  // .. 1 ms
  c.dram_beat_bytes = int(f.get_int_or("dram_beat_bytes", c.dram_beat_bytes, 1, 4096));
  if (f.has("dram_pj_per_bit")) c.dram_pj_per_bit = finite("dram_pj_per_bit", f.get_positive("dram_pj_per_bit"));
  if (f.has("dram_background_mw")) {
    c.dram_background_mw = finite("dram_background_mw", f.get<double>("dram_background_mw"));
    if (c.dram_background_mw < 0) f.error("dram_background_mw", "must be >= 0");
  }
  c.dram_max_outstanding = int(f.get_int_or("dram_max_outstanding", c.dram_max_outstanding, 1, 1024));
  c.dram_burst_bytes = int(f.get_int_or("dram_burst_bytes", c.dram_burst_bytes, 0, 1 << 20));
  if (c.dram_burst_bytes != 0 && c.dram_burst_bytes % c.dram_beat_bytes != 0)
    f.error("dram_burst_bytes", "must be 0 (one request per transfer) or a multiple of dram_beat_bytes (" +
                                    std::to_string(c.dram_beat_bytes) + ")");
  c.kv_bits = int(f.get_int_or("kv_bits", c.kv_bits, 4, 32));
  if (c.kv_bits != 32 && c.kv_bits != 16 && c.kv_bits != 8 && c.kv_bits != 4)
    f.error("kv_bits", "must be 32 (fp32, the software reference), 16, 8 or 4");
  c.attn_unit_macs = int(f.get_int_or("attn_unit_macs", c.attn_unit_macs, 1, 1 << 20));
  c.lm_head_unit = f.get_enum_or("lm_head_unit", c.lm_head_unit, {"attn-unit", "tile"});
  if (f.has("clock_mhz")) c.clock_mhz = f.get_double_in("clock_mhz", 1, 1e5);  // 1 MHz .. 100 GHz
  c.node = f.get_or<std::string>("node", c.node);
  if (c.node.empty()) f.error("node", "must name a technology node (e.g. \"7nm\")");
  c.ppu_lanes = int(f.get_int_or("ppu_lanes", c.ppu_lanes, 1, 65536));
  c.vector_lanes = int(f.get_int_or("vector_lanes", c.vector_lanes, 1, 65536));
  c.arith = accel::ArithConfig::from_fields(f);
  // One parse of acc_overflow (the core's); the sim's PE models read this copy.
  c.acc_overflow = c.arith.acc_overflow == accel::Overflow::saturate ? AccOverflow::saturate : AccOverflow::wrap;
  f.finish();
  // Buffers must hold at least one DRAM burst (one beat when a transfer is one request).
  const double min_kib = double(std::max(c.dram_burst_bytes, c.dram_beat_bytes)) / 1024.0;
  for (auto [key, kib] : {std::pair<const char*, double>{"weight_buffer_kib", c.weight_buffer_kib},
                          {"act_buffer_kib", c.act_buffer_kib}, {"out_buffer_kib", c.out_buffer_kib}})
    if (kib < min_kib)
      f.error(key, "is smaller than one DRAM burst (" + std::to_string(std::max(c.dram_burst_bytes, c.dram_beat_bytes)) +
                       " bytes)");
  // PE "lut" with k_t not a multiple of lut_group pads the last group with zero activations
  // (rtl/lut_table.v), so any k_t is valid.
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
                {"memory", memory},
                {"dram_pj_per_bit", dram_pj_per_bit},
                {"dram_background_mw", dram_background_mw},
                {"dram_max_outstanding", dram_max_outstanding},
                {"dram_burst_bytes", dram_burst_bytes},
                {"kv_bits", kv_bits},
                {"attn_unit_macs", attn_unit_macs},
                {"lm_head_unit", lm_head_unit},
                {"clock_mhz", clock_mhz},
                {"node", node},
                {"ppu_lanes", ppu_lanes},
                {"vector_lanes", vector_lanes}};
  arith.write_extra_fields(j);
  j["kv_bits"] = kv_bits;  // one KV width in the file: the modelled hardware's (the core's default 32 is the fp32 reference)
  return j.dump(2) + "\n";
}

}  // namespace abacus::sim
