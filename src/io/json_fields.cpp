#include "src/io/json_fields.h"

#include <cmath>
#include <sstream>

#include "src/io/atomic_file.h"

namespace abacus::io {

Json parse_json(const std::string& text, const std::string& file) {
  try {
    return Json::parse(text);
  } catch (const Json::parse_error& e) {
    std::ostringstream m;
    m << "not valid JSON (at byte " << e.byte << ")";
    fail(file, "", m.str());
  }
}

Json load_json_file(const std::string& path) { return parse_json(read_file(path), path); }

JsonFields::JsonFields(const Json& obj, std::string file, std::string prefix)
    : obj_(obj), file_(std::move(file)), prefix_(std::move(prefix)) {
  if (!obj_.is_object())
    fail(file_, prefix_.empty() ? "" : prefix_.substr(0, prefix_.size() - 1), "expected a JSON object");
}

long long JsonFields::get_int(const std::string& key, long long lo, long long hi) {
  long long v = get<long long>(key);
  if (v < lo || v > hi)
    error(key, "value " + std::to_string(v) + " out of range [" + std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return v;
}

long long JsonFields::get_int_or(const std::string& key, long long fallback, long long lo, long long hi) {
  return has(key) ? get_int(key, lo, hi) : fallback;
}

double JsonFields::get_positive(const std::string& key) {
  double v = get<double>(key);
  if (!(v > 0) || !std::isfinite(v)) error(key, "must be a positive finite number");
  return v;
}

std::string JsonFields::get_enum(const std::string& key, const std::vector<std::string>& allowed) {
  std::string v = get<std::string>(key);
  for (const auto& a : allowed)
    if (v == a) return v;
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
  error(key, "\"" + v + "\" is not one of: " + list);
}

std::string JsonFields::get_enum_or(const std::string& key, const std::string& fallback,
                                    const std::vector<std::string>& allowed) {
  return has(key) ? get_enum(key, allowed) : fallback;
}

JsonFields JsonFields::object(const std::string& key) {
  if (!obj_.contains(key)) error(key, "missing required object");
  used_.insert(key);
  return JsonFields(obj_.at(key), file_, prefix_ + key + ".");
}

const Json& JsonFields::raw(const std::string& key) {
  if (!obj_.contains(key)) error(key, "missing required field");
  used_.insert(key);
  return obj_.at(key);
}

void JsonFields::finish() const {
  for (auto it = obj_.begin(); it != obj_.end(); ++it)
    if (!used_.count(it.key())) error(it.key(), "unknown field");
}

}  // namespace abacus::io
