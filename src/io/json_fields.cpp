#include "src/io/json_fields.h"

#include <cctype>
#include <cmath>
#include <sstream>

#include "src/io/atomic_file.h"

namespace abacus::io {

namespace {

// The object key owning the first occurrence of the number literal `num` in `text` (the
// parser reports an overflowing number without its position), or "" when not found.
std::string key_of_number(const std::string& text, const std::string& num) {
  auto is_num_char = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'; };
  for (std::size_t at = text.find(num); at != std::string::npos; at = text.find(num, at + 1)) {
    if ((at > 0 && is_num_char(text[at - 1])) || (at + num.size() < text.size() && is_num_char(text[at + num.size()])))
      continue;
    std::size_t i = at;
    while (i > 0 && std::isspace(static_cast<unsigned char>(text[i - 1]))) --i;
    if (i == 0 || text[i - 1] != ':') return "";  // an array element: no key of its own
    --i;
    while (i > 0 && std::isspace(static_cast<unsigned char>(text[i - 1]))) --i;
    if (i == 0 || text[i - 1] != '"') return "";
    const std::size_t end = i - 1;
    std::size_t begin = end;
    while (begin > 0 && !(text[begin - 1] == '"' && (begin < 2 || text[begin - 2] != '\\'))) --begin;
    return text.substr(begin, end - begin);
  }
  return "";
}

}  // namespace

Json parse_json(const std::string& text, const std::string& file) {
  try {
    return Json::parse(text);
  } catch (const Json::parse_error& e) {
    std::ostringstream m;
    m << "not valid JSON (at byte " << e.byte << ")";
    fail(file, "", m.str());
  } catch (const Json::out_of_range& e) {
    // "number overflow parsing '1e405'": a literal outside the double range.
    const std::string what = e.what();
    const std::size_t q1 = what.find('\''), q2 = what.rfind('\'');
    const std::string num = q1 != std::string::npos && q2 > q1 ? what.substr(q1 + 1, q2 - q1 - 1) : "";
    fail(file, num.empty() ? "" : key_of_number(text, num),
         "number " + (num.empty() ? std::string("literal") : num) + " is outside the range of a double");
  } catch (const Json::exception& e) {
    fail(file, "", std::string("not valid JSON: ") + e.what());
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

double JsonFields::get_double_in(const std::string& key, double lo, double hi) {
  const double v = get<double>(key);
  if (!std::isfinite(v) || v < lo || v > hi) {
    std::ostringstream m;
    m << "value " << v << " out of range [" << lo << ", " << hi << "]";
    error(key, m.str());
  }
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
