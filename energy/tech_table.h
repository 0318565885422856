// Technology table of one process node (energy/tech/<node>.json): per-operation energy of
// ADD and MUL for INT8/16/32 and FP16/32, SRAM access energy by array size (interpolated),
// DRAM energy per bit, register access energy and area figures. Every number in the file
// carries a "source" string; a value that is not from a publication says "assumption: ...".
// Units: energies in pJ, areas in um^2 (per KiB of SRAM: mm^2).
// A user adds a node by adding a file; a malformed file is an abacus::Error naming the file
// and the field.
#pragma once
#include <array>
#include <cstddef>
#include <string>
#include <vector>

namespace abacus::energy {

enum class Precision { int8, int16, int32, fp16, fp32 };
constexpr std::size_t kPrecisions = 5;
const char* precision_name(Precision p);  // "INT8", "INT16", "INT32", "FP16", "FP32"
// Accepts the names above; false if unknown.
bool parse_precision(const std::string& s, Precision* out);
constexpr std::array<Precision, kPrecisions> all_precisions() {
  return {Precision::int8, Precision::int16, Precision::int32, Precision::fp16, Precision::fp32};
}

// A number and where it comes from.
struct Sourced {
  double value = 0;
  std::string source;
};

struct SramPoint {
  double kib = 0;  // array size
  Sourced pj;      // energy of one access of `access_bits`
};

struct TechTable {
  std::string node;  // "45nm", "7nm"
  std::string file;  // where it was loaded from ("" when built in code)
  std::array<Sourced, kPrecisions> add_pj;  // indexed by Precision
  std::array<Sourced, kPrecisions> mul_pj;
  int sram_access_bits = 64;
  std::vector<SramPoint> sram;  // sorted by kib, at least one point
  Sourced dram_pj_per_bit;
  Sourced register_pj_per_byte;
  Sourced leakage_mw_per_mm2;     // static power of the chip per mm^2 (0 when the file has none)  // flip-flop / register-file access, per byte read or written
  // Area.
  Sourced adder_um2_per_bit;     // ripple/CLA integer adder, per bit of width
  std::array<Sourced, kPrecisions> multiplier_um2;  // one multiplier of that type
  Sourced sram_mm2_per_kib;

  double add(Precision p) const { return add_pj[static_cast<std::size_t>(p)].value; }
  double mul(Precision p) const { return mul_pj[static_cast<std::size_t>(p)].value; }
  // Energy of one `sram_access_bits` access to an array of `kib` KiB: piecewise linear in
  // log(size) vs log(energy) through the table points, extended past the ends with the slope
  // of the end segment (a single point: energy proportional to sqrt(size), wire-length rule).
  double sram_access_pj(double kib) const;
  // The same per byte moved.
  double sram_pj_per_byte(double kib) const { return sram_access_pj(kib) * 8.0 / sram_access_bits; }
  double dram_pj_per_byte() const { return dram_pj_per_bit.value * 8.0; }

  // Field-checked parsing; `file` names the source in error messages.
  static TechTable from_json_text(const std::string& text, const std::string& file);
  static TechTable load_file(const std::string& path);
  // "7nm" -> <tech dir>/7nm.json. The tech dir is $ABACUS_TECH_DIR if set, else the source
  // tree's energy/tech. A path ending in .json is loaded as a file.
  static TechTable load(const std::string& node_or_file);
  // Node names of the files in the tech dir, sorted.
  static std::vector<std::string> available_nodes();
};

std::string tech_dir();

}  // namespace abacus::energy
