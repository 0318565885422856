#include "sim/systemc/sweep.h"

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdlib>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "src/io/atomic_file.h"
#include "src/io/json_fields.h"
#include "src/util/error.h"

namespace abacus::sim {

namespace {
// The AccelConfig fields a sweep may name (to_json_text lists exactly these).
std::vector<std::string> config_fields() {
  std::vector<std::string> out;
  const io::Json defaults = io::Json::parse(AccelConfig{}.to_json_text());
  for (auto& it : defaults.items()) out.push_back(it.key());
  return out;
}

std::string num(double v) {
  char b[64];
  std::snprintf(b, sizeof b, "%.17g", v);
  return b;
}

// CSV cells carry JSON scalars without quotes ("adder-tree", 16, true).
std::string cell(const std::string& json_text) {
  io::Json v = io::Json::parse(json_text);
  return v.is_string() ? v.get<std::string>() : json_text;
}

const char* kEnergyColumns[] = {"adders", "multipliers", "registers", "sram.weight", "sram.act",
                                "sram.out", "dram", "ppu", "vector", "static.chip", "static.dram"};

// A point that names a memory preset takes the preset's DRAM numbers, not the base config's
// (unless the sweep itself sets them).
void apply(io::Json& cfg, const std::vector<std::string>& fields, const std::vector<std::string>& vals) {
  const bool sets_memory = std::find(fields.begin(), fields.end(), "memory") != fields.end();
  if (sets_memory)
    for (const char* k : {"dram_gbps", "dram_latency_ns", "dram_pj_per_bit", "dram_background_mw"})
      if (std::find(fields.begin(), fields.end(), k) == fields.end()) cfg.erase(k);
  for (size_t f = 0; f < fields.size(); ++f) cfg[fields[f]] = io::Json::parse(vals[f]);
}
}  // namespace

SweepSpace parse_sweep(const std::string& text, const std::string& file) {
  io::parse_json(text, file);  // syntax errors with the file name and offset
  // Ordered: the first field in the file varies slowest.
  const nlohmann::ordered_json j = nlohmann::ordered_json::parse(text);
  if (!j.is_object()) fail(file, "", "a sweep must be a JSON object of field -> list of values");
  const std::vector<std::string> known = config_fields();
  SweepSpace s;
  s.file = file;
  for (auto& it : j.items()) {
    if (std::find(known.begin(), known.end(), it.key()) == known.end())
      fail(file, it.key(), "is not an accelerator configuration field");
    if (!it.value().is_array() || it.value().empty()) fail(file, it.key(), "must be a non-empty list of values");
    s.fields.push_back(it.key());
    std::vector<std::string> vals;
    for (const auto& v : it.value()) {
      if (!v.is_primitive()) fail(file, it.key(), "values must be numbers, strings or booleans");
      vals.push_back(v.dump());
    }
    s.values.push_back(vals);
  }
  if (s.fields.empty()) fail(file, "", "sweep names no fields");
  // Validate every value once against the defaults so errors show up before any work.
  for (size_t f = 0; f < s.fields.size(); ++f)
    for (const std::string& v : s.values[f]) {
      io::Json cfg = io::Json::parse(AccelConfig{}.to_json_text());
      apply(cfg, {s.fields[f]}, {v});
      AccelConfig::from_json_text(cfg.dump(), file);
    }
  return s;
}

SweepSpace load_sweep(const std::string& path) { return parse_sweep(io::read_file(path), path); }

int64_t SweepSpace::point_count() const {
  int64_t n = 1;
  for (const auto& v : values) {
    if (n > INT64_MAX / int64_t(v.size())) return INT64_MAX;  // saturate: callers refuse such sweeps
    n *= int64_t(v.size());
  }
  return n;
}

std::vector<std::string> SweepSpace::point_values(int64_t index) const {
  std::vector<std::string> out(fields.size());
  for (size_t f = fields.size(); f-- > 0;) {
    const int64_t n = int64_t(values[f].size());
    out[f] = values[f][size_t(index % n)];
    index /= n;
  }
  return out;
}

AccelConfig SweepSpace::point_config(const AccelConfig& base, int64_t index) const {
  io::Json cfg = io::Json::parse(base.to_json_text());
  apply(cfg, fields, point_values(index));
  return AccelConfig::from_json_text(cfg.dump(), file + " (design point " + std::to_string(index) + ")");
}

std::vector<std::string> dse_header(const SweepSpace& space) {
  std::vector<std::string> h{"index"};
  for (const auto& f : space.fields) h.push_back(f);
  for (const char* c : {"cycles", "latency_s", "utilization", "dram_bytes", "compulsory_dram_bytes", "latency_over_floor"})
    h.push_back(c);
  for (const char* e : kEnergyColumns) h.push_back(std::string("energy_pj.") + e);
  for (const char* c : {"energy_pj", "energy_per_token_pj", "edp_js", "area_mm2", "pareto"}) h.push_back(c);
  return h;
}

std::vector<std::string> dse_row(const SweepSpace& space, int64_t index, const SimReport& r) {
  std::vector<std::string> row{std::to_string(index)};
  for (const auto& v : space.point_values(index)) row.push_back(cell(v));
  row.push_back(std::to_string(r.counters.cycles));
  row.push_back(num(r.latency_s));
  row.push_back(num(r.utilization));
  row.push_back(std::to_string(r.counters.dram_read_bytes + r.counters.dram_write_bytes));
  row.push_back(std::to_string(r.roofline.compulsory_bytes));
  row.push_back(num(r.floor_ratio));
  for (const char* e : kEnergyColumns) {
    double v = 0;
    for (const auto& c : r.energy_pj)
      if (c.first == e) v = c.second;
    row.push_back(num(v));
  }
  row.push_back(num(r.energy_pj_total));
  row.push_back(num(r.energy_per_token_pj));
  row.push_back(num(r.edp_js));
  row.push_back(num(r.area_mm2_total));
  row.push_back("");
  return row;
}

std::vector<bool> pareto_front(const std::vector<std::vector<double>>& obj) {
  std::vector<bool> front(obj.size(), true);
  for (size_t i = 0; i < obj.size(); ++i)
    for (size_t j = 0; j < obj.size() && front[i]; ++j) {
      if (i == j) continue;
      bool all_le = true, one_lt = false;
      for (size_t k = 0; k < obj[i].size(); ++k) {
        if (obj[j][k] > obj[i][k]) all_le = false;
        if (obj[j][k] < obj[i][k]) one_lt = true;
      }
      if (all_le && one_lt) front[i] = false;  // j dominates i
    }
  return front;
}

void mark_pareto(DseTable& t) {
  auto col = [&](const std::string& name) {
    auto it = std::find(t.header.begin(), t.header.end(), name);
    if (it == t.header.end()) fail("dse table", name, "missing column");
    return size_t(it - t.header.begin());
  };
  const size_t e = col("energy_per_token_pj"), l = col("latency_s"), a = col("area_mm2"), p = col("pareto");
  std::vector<std::vector<double>> obj;
  // With dse --quality, the perplexity delta is a fourth objective (a NaN quality never wins).
  const auto q = std::find(t.header.begin(), t.header.end(), "ppl_delta");
  for (const auto& r : t.rows) {
    obj.push_back({std::stod(r[e]), std::stod(r[l]), std::stod(r[a])});
    if (q != t.header.end()) {
      const double d = std::stod(r[size_t(q - t.header.begin())]);
      obj.back().push_back(d == d ? d : HUGE_VAL);
    }
  }
  const std::vector<bool> front = pareto_front(obj);
  for (size_t i = 0; i < t.rows.size(); ++i) t.rows[i][p] = front[i] ? "1" : "0";
}

std::string dse_csv(const DseTable& t) {
  std::ostringstream o;
  auto line = [&](const std::vector<std::string>& v) {
    for (size_t i = 0; i < v.size(); ++i) o << (i ? "," : "") << v[i];
    o << "\n";
  };
  line(t.header);
  for (const auto& r : t.rows) line(r);
  return o.str();
}

DseTable parse_dse_csv(const std::string& text, const std::string& file) {
  DseTable t;
  std::istringstream in(text);
  std::string line;
  int64_t ln = 0;
  while (std::getline(in, line)) {
    ++ln;
    if (line.empty()) continue;
    std::vector<std::string> cells;
    std::string c;
    std::istringstream ls(line);
    while (std::getline(ls, c, ',')) cells.push_back(c);
    if (!line.empty() && line.back() == ',') cells.push_back("");
    if (t.header.empty()) {
      t.header = cells;
      if (cells.empty() || cells[0] != "index") fail(file, "header", "not a dse CSV (first column must be index)");
    } else {
      if (cells.size() != t.header.size()) fail(file, "line " + std::to_string(ln), "wrong number of columns");
      // The cells merge and the Pareto front read as numbers are checked here, so a damaged
      // shard is an error naming the line and column, not an exception from std::stoll.
      for (size_t c = 0; c < cells.size(); ++c) {
        const std::string& h = t.header[c];
        const bool is_index = c == 0;
        const bool is_quality = h == "ppl_delta";  // NaN when the quality run failed
        if (!is_index && !is_quality && h != "energy_per_token_pj" && h != "latency_s" && h != "area_mm2") continue;
        const char* b = cells[c].c_str();
        char* end = nullptr;
        errno = 0;
        bool ok = !cells[c].empty();
        if (is_index) ok = ok && std::strtoll(b, &end, 10) >= 0;
        else if (is_quality) ok = ok && !std::isinf(std::strtod(b, &end));
        else ok = ok && std::isfinite(std::strtod(b, &end));
        // The whole cell must be the number (a cell with a NUL byte parses as an empty C string).
        ok = ok && errno == 0 && end && end != b && *end == '\0' && size_t(end - b) == cells[c].size();
        if (!ok)
          fail(file, "line " + std::to_string(ln) + ": " + h,
               "\"" + cells[c] + "\" is not " + (is_index ? "a non-negative integer" : "a finite number"));
      }
      t.rows.push_back(cells);
    }
  }
  if (t.header.empty()) fail(file, "header", "empty file");
  return t;
}

DseTable merge_dse(const std::vector<DseTable>& parts, const std::vector<std::string>& files) {
  if (parts.empty()) fail("--merge", "files", "nothing to merge");
  DseTable out;
  out.header = parts[0].header;
  std::map<int64_t, std::vector<std::string>> by_index;
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].header != out.header) fail(files[i], "header", "differs from " + files[0] + "'s");
    for (const auto& r : parts[i].rows) {
      const int64_t idx = std::stoll(r[0]);
      if (!by_index.emplace(idx, r).second) fail(files[i], "index", "design point " + r[0] + " appears twice");
    }
  }
  for (auto& kv : by_index) out.rows.push_back(kv.second);
  mark_pareto(out);
  return out;
}

}  // namespace abacus::sim
