// Field-checked reading of JSON objects: every get names the file and the field path on
// error, and finish() rejects fields nobody asked for (a typo in a config is an error, not a
// silently ignored key).
#pragma once
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <vector>

#include "src/util/error.h"

namespace abacus::io {

using Json = nlohmann::json;

// Parses JSON text; a syntax error names the file and the byte offset, a number outside the
// double range names the field it belongs to.
Json parse_json(const std::string& text, const std::string& file);
// Reads and parses a JSON file.
Json load_json_file(const std::string& path);

class JsonFields {
 public:
  // `prefix` is the field path of this object ("" at top level, "training." inside).
  JsonFields(const Json& obj, std::string file, std::string prefix = "");

  bool has(const std::string& key) const { return obj_.contains(key); }

  template <class T>
  T get(const std::string& key) {
    if (!obj_.contains(key)) fail(file_, prefix_ + key, "missing required field");
    return convert<T>(key);
  }
  template <class T>
  T get_or(const std::string& key, T fallback) {
    if (!obj_.contains(key)) return fallback;
    return convert<T>(key);
  }
  // Integer with bounds [lo, hi].
  long long get_int(const std::string& key, long long lo, long long hi);
  long long get_int_or(const std::string& key, long long fallback, long long lo, long long hi);
  // Number > lo (exclusive) and <= hi.
  double get_positive(const std::string& key);
  // Finite number in [lo, hi].
  double get_double_in(const std::string& key, double lo, double hi);
  // One of `allowed`.
  std::string get_enum(const std::string& key, const std::vector<std::string>& allowed);
  std::string get_enum_or(const std::string& key, const std::string& fallback,
                          const std::vector<std::string>& allowed);
  // A nested object, checked the same way.
  JsonFields object(const std::string& key);
  const Json& raw(const std::string& key);

  // Rejects any field that was not read.
  void finish() const;
  [[noreturn]] void error(const std::string& key, const std::string& what) const {
    fail(file_, prefix_ + key, what);
  }
  const std::string& file() const { return file_; }

 private:
  template <class T>
  T convert(const std::string& key) {
    used_.insert(key);
    const Json& v = obj_.at(key);
    try {
      if constexpr (std::is_same_v<T, bool>) {
        if (!v.is_boolean()) throw std::invalid_argument("");
      } else if constexpr (std::is_integral_v<T>) {
        if (!v.is_number_integer()) throw std::invalid_argument("");
      } else if constexpr (std::is_floating_point_v<T>) {
        if (!v.is_number()) throw std::invalid_argument("");
      } else if constexpr (std::is_same_v<T, std::string>) {
        if (!v.is_string()) throw std::invalid_argument("");
      }
      return v.get<T>();
    } catch (const std::exception&) {
      fail(file_, prefix_ + key, "has the wrong type (got " + std::string(v.type_name()) + ": " + v.dump() + ")");
    }
  }

  const Json& obj_;
  std::string file_, prefix_;
  std::set<std::string> used_;
};

}  // namespace abacus::io
