#include "src/io/safetensors.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <string_view>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "src/io/atomic_file.h"
#include "src/io/crc32c.h"
#include "src/util/error.h"

namespace abacus::io {

namespace {
constexpr uint64_t kMaxHeader = 100ull << 20;  // the reference implementation's 100 MB cap

struct DTypeRow {
  DType t;
  const char* name;
  std::size_t size;
};
constexpr DTypeRow kDTypes[] = {{DType::F32, "F32", 4}, {DType::F16, "F16", 2}, {DType::BF16, "BF16", 2},
                                {DType::I8, "I8", 1},   {DType::U8, "U8", 1},   {DType::I32, "I32", 4},
                                {DType::I64, "I64", 8}};

constexpr const char* kHeaderCrcKey = "crc32c";
const std::string kTensorCrcPrefix = "crc32c:";
// The header checksum's value as it appears in the header text written by abacus.
constexpr const char* kHeaderCrcPattern = "\"crc32c\":\"";
bool g_verify = true;

// Position of the header checksum's 8 hex digits in the raw header text, or npos.
std::size_t header_crc_pos(std::string_view header) {
  const std::size_t at = header.find(kHeaderCrcPattern);
  return at == std::string_view::npos ? at : at + std::strlen(kHeaderCrcPattern);
}

uint32_t header_crc(std::string header, std::size_t pos) {
  header.replace(pos, 8, "00000000");
  return crc32c(header.data(), header.size());
}

std::string shape_str(const std::vector<int64_t>& s) {
  std::string r = "[";
  for (std::size_t i = 0; i < s.size(); ++i) r += (i ? "," : "") + std::to_string(s[i]);
  return r + "]";
}
}  // namespace

void set_verify_checksums(bool on) { g_verify = on; }
bool verify_checksums() { return g_verify; }

std::size_t dtype_size(DType t) {
  for (const auto& r : kDTypes)
    if (r.t == t) return r.size;
  return 0;
}
const char* dtype_name(DType t) {
  for (const auto& r : kDTypes)
    if (r.t == t) return r.name;
  return "?";
}
bool parse_dtype(const std::string& s, DType* out) {
  for (const auto& r : kDTypes)
    if (s == r.name) {
      *out = r.t;
      return true;
    }
  return false;
}

int64_t TensorInfo::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

SafetensorsFile::SafetensorsFile(SafetensorsFile&& o) noexcept { *this = std::move(o); }
SafetensorsFile& SafetensorsFile::operator=(SafetensorsFile&& o) noexcept {
  if (this != &o) {
    if (map_) ::munmap(map_, map_len_);
    path_ = std::move(o.path_);
    metadata_ = std::move(o.metadata_);
    tensors_ = std::move(o.tensors_);
    index_ = std::move(o.index_);
    map_ = o.map_;
    map_len_ = o.map_len_;
    base_ = o.base_;
    checksummed_ = o.checksummed_;
    o.map_ = nullptr;
    o.map_len_ = 0;
    o.base_ = nullptr;
  }
  return *this;
}
SafetensorsFile::~SafetensorsFile() {
  if (map_) ::munmap(map_, map_len_);
}

SafetensorsFile SafetensorsFile::open(const std::string& path) {
  SafetensorsFile f;
  f.path_ = path;
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) fail(path, "", std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    fail(path, "", "not a regular file");
  }
  const uint64_t size = uint64_t(st.st_size);
  if (size < 8) {
    ::close(fd);
    fail(path, "header", "file is " + std::to_string(size) + " bytes, too short for the 8-byte header length");
  }
  f.map_len_ = size;
  f.map_ = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (f.map_ == MAP_FAILED) {
    f.map_ = nullptr;
    fail(path, "", std::string("mmap failed: ") + std::strerror(errno));
  }
  const auto* bytes = static_cast<const uint8_t*>(f.map_);
  uint64_t hlen = 0;
  for (int i = 7; i >= 0; --i) hlen = (hlen << 8) | bytes[i];
  if (hlen > kMaxHeader) fail(path, "header", "header length " + std::to_string(hlen) + " exceeds 100 MB");
  if (hlen > size - 8)
    fail(path, "header", "header length " + std::to_string(hlen) + " runs past the end of the file (" +
                             std::to_string(size) + " bytes): truncated file or corrupt length");
  nlohmann::json h;
  try {
    h = nlohmann::json::parse(bytes + 8, bytes + 8 + hlen);
  } catch (const nlohmann::json::parse_error& e) {
    fail(path, "header", "not valid JSON (at byte " + std::to_string(e.byte) + ")");
  }
  if (!h.is_object()) fail(path, "header", "must be a JSON object");
  f.base_ = bytes + 8 + hlen;
  const uint64_t data_len = size - 8 - hlen;

  for (auto it = h.begin(); it != h.end(); ++it) {
    const std::string& name = it.key();
    const auto& v = it.value();
    if (name == "__metadata__") {
      if (!v.is_object()) fail(path, "__metadata__", "must be an object of strings");
      for (auto m = v.begin(); m != v.end(); ++m) {
        if (!m.value().is_string()) fail(path, "__metadata__." + m.key(), "must be a string");
        f.metadata_[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    const std::string where = "tensor '" + name + "'";
    if (!v.is_object()) fail(path, where, "entry must be an object");
    for (auto k = v.begin(); k != v.end(); ++k)
      if (k.key() != "dtype" && k.key() != "shape" && k.key() != "data_offsets")
        fail(path, where, "unknown field '" + k.key() + "'");
    TensorInfo t;
    t.name = name;
    if (!v.contains("dtype") || !v["dtype"].is_string()) fail(path, where, "missing or non-string dtype");
    if (!parse_dtype(v["dtype"].get<std::string>(), &t.dtype))
      fail(path, where, "unknown dtype '" + v["dtype"].get<std::string>() + "' (F32, F16, BF16, I8, U8, I32, I64)");
    if (!v.contains("shape") || !v["shape"].is_array()) fail(path, where, "missing shape array");
    uint64_t numel = 1;
    for (const auto& d : v["shape"]) {
      if (!d.is_number_unsigned() && !(d.is_number_integer() && d.get<int64_t>() >= 0))
        fail(path, where, "shape entries must be non-negative integers");
      const uint64_t dim = d.get<uint64_t>();
      // Bound numel so that numel x dtype size (<= 8) cannot overflow 64 bits.
      if (dim && numel > (uint64_t(1) << 59) / dim) fail(path, where, "shape overflows");
      numel *= dim;
      t.shape.push_back(int64_t(dim));
    }
    const auto& off = v.contains("data_offsets") ? v["data_offsets"] : nlohmann::json();
    if (!off.is_array() || off.size() != 2 || !off[0].is_number_unsigned() || !off[1].is_number_unsigned())
      fail(path, where, "data_offsets must be [begin, end] non-negative integers");
    t.begin = off[0].get<uint64_t>();
    t.end = off[1].get<uint64_t>();
    if (t.end < t.begin) fail(path, where, "data_offsets end < begin");
    if (t.end > data_len)
      fail(path, where, "data_offsets [" + std::to_string(t.begin) + ", " + std::to_string(t.end) +
                            ") past the end of the data section (" + std::to_string(data_len) + " bytes)");
    const uint64_t expect = numel * dtype_size(t.dtype);
    if (expect != t.nbytes())
      fail(path, where, "shape " + shape_str(t.shape) + " x " + dtype_name(t.dtype) + " is " + std::to_string(expect) +
                            " bytes but data_offsets span " + std::to_string(t.nbytes()));
    f.tensors_.push_back(std::move(t));
  }
  std::sort(f.tensors_.begin(), f.tensors_.end(),
            [](const TensorInfo& a, const TensorInfo& b) { return a.begin < b.begin || (a.begin == b.begin && a.end < b.end); });
  // Sorted by begin: a range overlaps an earlier one iff it starts before the furthest end seen
  // so far (empty tensors occupy no bytes and overlap nothing).
  const TensorInfo* furthest = nullptr;
  for (const auto& b : f.tensors_) {
    if (!b.nbytes()) continue;
    if (furthest && b.begin < furthest->end)
      fail(path, "tensor '" + b.name + "'", "byte range overlaps tensor '" + furthest->name + "'");
    if (!furthest || b.end > furthest->end) furthest = &b;
  }
  for (std::size_t i = 0; i < f.tensors_.size(); ++i) f.index_[f.tensors_[i].name] = i;

  // Checksums: any abacus checksum key means the file claims full coverage, so a single
  // flipped bit that renames one key cannot make a file look unchecksummed.
  for (const auto& [k, v] : f.metadata_)
    if (k == kHeaderCrcKey || k.rfind(kTensorCrcPrefix, 0) == 0) f.checksummed_ = true;
  if (f.checksummed_) {
    const auto hit = f.metadata_.find(kHeaderCrcKey);
    if (hit == f.metadata_.end())
      fail(path, "__metadata__.crc32c", "header checksum missing while tensor checksums are present (corrupt header)");
    const std::string_view header(reinterpret_cast<const char*>(bytes + 8), hlen);
    const std::size_t pos = header_crc_pos(header);
    uint32_t stored = 0;
    if (pos == std::string_view::npos || pos + 8 > header.size() ||
        !parse_crc32c_hex(std::string(header.substr(pos, 8)), &stored) || header.substr(pos, 8) != hit->second)
      fail(path, "__metadata__.crc32c", "header checksum is not 8 hex digits in the expected place (corrupt header)");
    const uint32_t got = header_crc(std::string(header), pos);
    if (got != stored)
      fail(path, "header", "checksum mismatch (stored " + hit->second + ", computed " + crc32c_hex(got) +
                               "): the header is corrupt");
    for (const auto& [k, v] : f.metadata_)
      if (k.rfind(kTensorCrcPrefix, 0) == 0 && !f.find(k.substr(kTensorCrcPrefix.size())))
        fail(path, "__metadata__." + k, "checksum for a tensor that is not in the file (corrupt header)");
    // abacus writes tensors back to back: every data byte belongs to exactly one tensor.
    uint64_t covered = 0;
    for (const auto& t : f.tensors_) covered += t.nbytes();
    if (covered != data_len)
      fail(path, "data", "tensors cover " + std::to_string(covered) + " of the " + std::to_string(data_len) +
                             " data bytes (truncated or padded file)");
    for (const auto& t : f.tensors_) {
      const auto it = f.metadata_.find(kTensorCrcPrefix + t.name);
      if (it == f.metadata_.end()) fail(path, "tensor '" + t.name + "'", "checksum missing (corrupt header)");
      if (!parse_crc32c_hex(it->second, &stored))
        fail(path, "__metadata__." + it->first, "checksum must be 8 lowercase hex digits, got '" + it->second + "'");
      if (!g_verify) continue;
      const uint32_t c = crc32c(f.base_ + t.begin, t.nbytes());
      if (c != stored)
        fail(path, "tensor '" + t.name + "'", "checksum mismatch (stored " + it->second + ", computed " +
                                                  crc32c_hex(c) + "): the tensor data is corrupt");
    }
  }
  return f;
}

const TensorInfo* SafetensorsFile::find(const std::string& name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

const TensorInfo& SafetensorsFile::at(const std::string& name) const {
  const TensorInfo* t = find(name);
  if (!t) fail(path_, "tensor '" + name + "'", "missing");
  return *t;
}

const TensorInfo& SafetensorsFile::expect(const std::string& name, DType dtype, const std::vector<int64_t>& shape) const {
  const TensorInfo& t = at(name);
  if (t.dtype != dtype)
    fail(path_, "tensor '" + name + "'", std::string("dtype is ") + dtype_name(t.dtype) + ", expected " + dtype_name(dtype));
  if (t.shape != shape)
    fail(path_, "tensor '" + name + "'", "shape is " + shape_str(t.shape) + ", expected " + shape_str(shape));
  return t;
}

std::vector<float> SafetensorsFile::read_f32(const std::string& name) const {
  const TensorInfo& t = at(name);
  std::vector<float> out(std::size_t(t.numel()));
  const uint8_t* p = data(t);
  switch (t.dtype) {
    case DType::F32:
      std::memcpy(out.data(), p, out.size() * 4);
      break;
    case DType::F16:
    case DType::BF16:
      for (std::size_t i = 0; i < out.size(); ++i) {
        uint16_t h;
        std::memcpy(&h, p + 2 * i, 2);
        out[i] = t.dtype == DType::F16 ? f16_to_f32(h) : bf16_to_f32(h);
      }
      break;
    default:
      fail(path_, "tensor '" + name + "'", std::string("dtype ") + dtype_name(t.dtype) + " is not a float type");
  }
  return out;
}

void SafetensorsWriter::add(const std::string& name, DType dtype, const std::vector<int64_t>& shape, const void* data,
                            std::size_t nbytes) {
  if (name == "__metadata__" || name.empty()) fail("", "tensor '" + name + "'", "reserved or empty tensor name");
  for (const auto& e : entries_)
    if (e.name == name) fail("", "tensor '" + name + "'", "added twice");
  uint64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) fail("", "tensor '" + name + "'", "negative dimension");
    n *= uint64_t(d);
  }
  if (n * dtype_size(dtype) != nbytes)
    fail("", "tensor '" + name + "'", "shape " + shape_str(shape) + " does not match " + std::to_string(nbytes) + " bytes");
  Entry e{name, dtype, shape, std::vector<uint8_t>(static_cast<const uint8_t*>(data), static_cast<const uint8_t*>(data) + nbytes)};
  entries_.push_back(std::move(e));
}

void SafetensorsWriter::add_f32(const std::string& name, const std::vector<int64_t>& shape, const float* data) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  add(name, DType::F32, shape, data, std::size_t(n) * 4);
}

std::size_t SafetensorsWriter::size_estimate() const {
  std::size_t s = 8 + 256 * (entries_.size() + 1);
  for (const auto& e : entries_) s += e.bytes.size();
  return s;
}

void SafetensorsWriter::write(const std::string& path) const {
  nlohmann::ordered_json h;
  nlohmann::ordered_json m = nlohmann::ordered_json::object();
  m[kHeaderCrcKey] = "00000000";  // placeholder, filled in below
  for (const auto& [k, v] : metadata_)
    if (k != kHeaderCrcKey && k.rfind(kTensorCrcPrefix, 0) != 0) m[k] = v;
  for (const auto& e : entries_) m[kTensorCrcPrefix + e.name] = crc32c_hex(crc32c(e.bytes.data(), e.bytes.size()));
  h["__metadata__"] = m;
  uint64_t off = 0;
  for (const auto& e : entries_) {
    h[e.name] = {{"dtype", dtype_name(e.dtype)}, {"shape", e.shape}, {"data_offsets", {off, off + e.bytes.size()}}};
    off += e.bytes.size();
  }
  std::string header = h.dump();
  header.append((8 - (8 + header.size()) % 8) % 8, ' ');  // data section starts 8-byte aligned
  const std::size_t pos = header_crc_pos(header);
  header.replace(pos, 8, crc32c_hex(header_crc(header, pos)));
  uint8_t len[8];
  for (int i = 0; i < 8; ++i) len[i] = uint8_t(uint64_t(header.size()) >> (8 * i));
  AtomicFile f(path);
  f.write(len, 8);
  f.write(header);
  for (const auto& e : entries_) f.write(e.bytes.data(), e.bytes.size());
  f.commit();
}

float f16_to_f32(uint16_t h) {
  const uint32_t sign = uint32_t(h & 0x8000) << 16;
  uint32_t exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
  if (exp == 0) {
    if (man == 0) {
      bits = sign;
    } else {  // subnormal: normalize
      exp = 127 - 15 + 1;
      while (!(man & 0x400)) {
        man <<= 1;
        --exp;
      }
      bits = sign | (exp << 23) | ((man & 0x3ff) << 13);
    }
  } else if (exp == 31) {
    bits = sign | 0x7f800000u | (man << 13);
  } else {
    bits = sign | ((exp + 127 - 15) << 23) | (man << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t f32_to_f16(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  const uint16_t sign = uint16_t((x >> 16) & 0x8000);
  const uint32_t absx = x & 0x7fffffffu;
  if (absx >= 0x7f800000u) return sign | 0x7c00 | (absx > 0x7f800000u ? 0x200 : 0);  // inf / nan
  if (absx >= 0x477ff000u) return sign | 0x7c00;                                      // overflow -> inf
  if (absx < 0x38800000u) {                                                           // subnormal or zero
    if (absx < 0x33000000u) return sign;
    const uint32_t exp = absx >> 23, man = (absx & 0x7fffff) | 0x800000;
    const int shift = int(126 - exp);  // value / 2^-24 (the f16 subnormal step) = man * 2^(exp-126)
    uint32_t r = man >> shift;
    const uint32_t rem = man & ((1u << shift) - 1), half = 1u << (shift - 1);
    if (rem > half || (rem == half && (r & 1))) ++r;
    return sign | uint16_t(r);
  }
  uint32_t r = absx - (uint32_t(127 - 15) << 23);
  const uint32_t rem = r & 0x1fff;
  r >>= 13;
  if (rem > 0x1000 || (rem == 0x1000 && (r & 1))) ++r;  // round half to even
  return sign | uint16_t(r);
}

float bf16_to_f32(uint16_t h) {
  const uint32_t bits = uint32_t(h) << 16;
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

uint16_t f32_to_bf16(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  if ((x & 0x7fffffffu) > 0x7f800000u) return uint16_t((x >> 16) | 0x40);  // keep NaN a NaN
  x += 0x7fff + ((x >> 16) & 1);                                             // round half to even
  return uint16_t(x >> 16);
}

}  // namespace abacus::io
