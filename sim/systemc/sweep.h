// Design-space exploration: a sweep file lists values per AccelConfig field
// ({"n_t": [8, 16, 32], "dram_gbps": [12.8, 25.6], ...}); the design points are the cartesian
// product applied over a base configuration (first field varies slowest). Results are a CSV
// table, one row per point, with a Pareto column over (energy per token, latency, area), all
// minimized. Shards take the points whose index % N == I; merging shards recomputes the front.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "sim/accel_config.h"
#include "sim/systemc/report.h"

namespace abacus::sim {

struct SweepSpace {
  std::string file;
  std::vector<std::string> fields;
  std::vector<std::vector<std::string>> values;  // JSON text of each value, per field

  int64_t point_count() const;
  // Field values of point `index` (JSON texts, one per field).
  std::vector<std::string> point_values(int64_t index) const;
  // The base configuration with point `index` applied; a bad value is an Error naming the
  // field (and the sweep file).
  AccelConfig point_config(const AccelConfig& base, int64_t index) const;
};

SweepSpace parse_sweep(const std::string& text, const std::string& file);
SweepSpace load_sweep(const std::string& path);

struct DseTable {
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;  // same width as header; column 0 is the index
};

// Header for a space's table and the row of one evaluated point (pareto column left empty).
std::vector<std::string> dse_header(const SweepSpace& space);
std::vector<std::string> dse_row(const SweepSpace& space, int64_t index, const SimReport& r);

// Recomputes the "pareto" column (1 = on the front) over energy_per_token_pj, latency_s, area_mm2.
void mark_pareto(DseTable& t);
// Marks the front of plain objective vectors (minimized); used by mark_pareto.
std::vector<bool> pareto_front(const std::vector<std::vector<double>>& objectives);

std::string dse_csv(const DseTable& t);
DseTable parse_dse_csv(const std::string& text, const std::string& file);
// Concatenates tables with equal headers, orders rows by index (duplicates are an error) and
// recomputes the front.
DseTable merge_dse(const std::vector<DseTable>& parts, const std::vector<std::string>& files);

}  // namespace abacus::sim
