#include "energy/tech_table.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "src/io/atomic_file.h"
#include "src/io/json_fields.h"
#include "src/util/error.h"

namespace abacus::energy {

namespace {

constexpr const char* kPrecisionNames[kPrecisions] = {"INT8", "INT16", "INT32", "FP16", "FP32"};

// {"value": number, "source": "non-empty string"}; `positive` rejects values <= 0.
Sourced read_sourced(io::JsonFields& parent, const std::string& key, const std::string& path) {
  const io::Json& raw = parent.raw(key);
  if (!raw.is_object()) parent.error(key, "expected an object {\"value\": number, \"source\": string}");
  io::JsonFields f = parent.object(key);
  Sourced s;
  s.value = f.get<double>("value");
  if (!(s.value > 0) || !std::isfinite(s.value)) f.error("value", "must be a positive finite number");
  s.source = f.get<std::string>("source");
  if (s.source.empty()) f.error("source", "must name where the number comes from (or say \"assumption: ...\")");
  f.finish();
  (void)path;
  return s;
}

}  // namespace

const char* precision_name(Precision p) { return kPrecisionNames[static_cast<std::size_t>(p)]; }

bool parse_precision(const std::string& s, Precision* out) {
  for (std::size_t i = 0; i < kPrecisions; ++i) {
    if (s == kPrecisionNames[i]) {
      *out = static_cast<Precision>(i);
      return true;
    }
  }
  return false;
}

double TechTable::sram_access_pj(double kib) const {
  if (sram.empty()) fail(file, "sram.points", "no SRAM points");
  if (!(kib > 0)) fail(file, "", "SRAM size must be positive (got " + std::to_string(kib) + " KiB)");
  if (sram.size() == 1) return sram[0].pj.value * std::sqrt(kib / sram[0].kib);
  // Segment to use: the one containing kib, or the end segment past either end.
  std::size_t i = 0;
  while (i + 2 < sram.size() && kib > sram[i + 1].kib) ++i;
  const double x0 = std::log(sram[i].kib), x1 = std::log(sram[i + 1].kib);
  const double y0 = std::log(sram[i].pj.value), y1 = std::log(sram[i + 1].pj.value);
  const double t = (std::log(kib) - x0) / (x1 - x0);
  return std::exp(y0 + t * (y1 - y0));
}

TechTable TechTable::from_json_text(const std::string& text, const std::string& file) {
  const io::Json root = io::parse_json(text, file);
  if (!root.is_object()) fail(file, "", "expected a JSON object at top level");
  io::JsonFields f(root, file);
  TechTable t;
  t.file = file;
  t.node = f.get<std::string>("node");
  if (t.node.empty()) f.error("node", "must not be empty");
  f.get_or<std::string>("description", "");

  if (!f.raw("ops").is_object()) f.error("ops", "expected an object keyed by INT8, INT16, INT32, FP16, FP32");
  io::JsonFields ops = f.object("ops");
  for (std::size_t i = 0; i < kPrecisions; ++i) {
    const std::string name = kPrecisionNames[i];
    if (!ops.has(name)) ops.error(name, "missing required field");
    if (!ops.raw(name).is_object()) ops.error(name, "expected an object {\"add_pj\": ..., \"mul_pj\": ...}");
    io::JsonFields op = ops.object(name);
    t.add_pj[i] = read_sourced(op, "add_pj", "ops." + name);
    t.mul_pj[i] = read_sourced(op, "mul_pj", "ops." + name);
    op.finish();
  }
  ops.finish();

  if (!f.raw("sram").is_object()) f.error("sram", "expected an object {\"access_bits\", \"points\"}");
  io::JsonFields sram = f.object("sram");
  t.sram_access_bits = static_cast<int>(sram.get_int("access_bits", 8, 4096));
  const io::Json& pts = sram.raw("points");
  if (!pts.is_array() || pts.empty()) sram.error("points", "expected a non-empty array of {\"kib\", \"pj\"}");
  for (std::size_t i = 0; i < pts.size(); ++i) {
    const std::string where_ = "sram.points[" + std::to_string(i) + "].";
    if (!pts[i].is_object()) fail(file, "sram.points[" + std::to_string(i) + "]", "expected an object");
    io::JsonFields p(pts[i], file, where_);
    SramPoint sp;
    sp.kib = p.get_positive("kib");
    sp.pj = read_sourced(p, "pj", where_);
    p.finish();
    if (!t.sram.empty() && !(sp.kib > t.sram.back().kib))
      fail(file, where_ + "kib", "SRAM points must be sorted by strictly increasing size");
    t.sram.push_back(sp);
  }
  sram.finish();

  t.dram_pj_per_bit = read_sourced(f, "dram_pj_per_bit", "");
  t.register_pj_per_byte = read_sourced(f, "register_pj_per_byte", "");
  if (f.has("leakage_mw_per_mm2")) t.leakage_mw_per_mm2 = read_sourced(f, "leakage_mw_per_mm2", "");

  if (!f.raw("area").is_object()) f.error("area", "expected an object");
  io::JsonFields area = f.object("area");
  t.adder_um2_per_bit = read_sourced(area, "adder_um2_per_bit", "area.");
  if (!area.raw("multiplier_um2").is_object()) area.error("multiplier_um2", "expected an object keyed by precision");
  io::JsonFields mul = area.object("multiplier_um2");
  for (std::size_t i = 0; i < kPrecisions; ++i) t.multiplier_um2[i] = read_sourced(mul, kPrecisionNames[i], "");
  mul.finish();
  t.sram_mm2_per_kib = read_sourced(area, "sram_mm2_per_kib", "area.");
  area.finish();
  f.finish();
  return t;
}

TechTable TechTable::load_file(const std::string& path) { return from_json_text(io::read_file(path), path); }

std::string tech_dir() {
  if (const char* env = std::getenv("ABACUS_TECH_DIR"); env && *env) return env;
  return ABACUS_ENERGY_TECH_DIR;
}

TechTable TechTable::load(const std::string& node_or_file) {
  const bool is_file = node_or_file.size() > 5 && node_or_file.substr(node_or_file.size() - 5) == ".json";
  if (is_file) return load_file(node_or_file);
  const std::string path = tech_dir() + "/" + node_or_file + ".json";
  if (!std::filesystem::exists(path)) {
    std::string known;
    for (const auto& n : available_nodes()) known += (known.empty() ? "" : ", ") + n;
    fail(path, "", "no technology table for node '" + node_or_file + "' (known: " + known + ")");
  }
  return load_file(path);
}

std::vector<std::string> TechTable::available_nodes() {
  std::vector<std::string> nodes;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(tech_dir(), ec))
    if (e.path().extension() == ".json") nodes.push_back(e.path().stem().string());
  std::sort(nodes.begin(), nodes.end());
  return nodes;
}

}  // namespace abacus::energy
