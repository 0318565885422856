// safetensors: 8-byte little-endian header length N, N bytes of JSON header
// {"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}},
// then the raw little-endian tensor bytes. Reading memory-maps the file and validates
// everything before any tensor is touched; errors name the file and the tensor.
//
// Integrity: abacus's writer stores a CRC32C of every tensor's bytes in __metadata__ as
// "crc32c:<tensor>" and one of the header itself as "crc32c" (computed with its own 8 hex
// digits set to '0'). The reader verifies them by default (set_verify_checksums(false), the
// CLI's --no-verify, skips the data pass); files from other tools without these keys load as
// before.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace abacus::io {

enum class DType { F32, F16, BF16, I8, U8, I32, I64 };

std::size_t dtype_size(DType t);
const char* dtype_name(DType t);            // "F32", "BF16", ...
bool parse_dtype(const std::string& s, DType* out);

struct TensorInfo {
  std::string name;
  DType dtype;
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;  // byte range relative to the start of the data section
  int64_t numel() const;
  uint64_t nbytes() const { return end - begin; }
};

// Process-wide switch for checksum verification on open (default on).
void set_verify_checksums(bool on);
bool verify_checksums();

class SafetensorsFile {
 public:
  // Opens, maps and validates `path`: header length vs file size, well-formed JSON, known
  // dtypes, shape x dtype size == byte range, ranges in bounds and not overlapping.
  static SafetensorsFile open(const std::string& path);

  SafetensorsFile(SafetensorsFile&&) noexcept;
  SafetensorsFile& operator=(SafetensorsFile&&) noexcept;
  ~SafetensorsFile();

  const std::string& path() const { return path_; }
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  // True when the file carries abacus checksums (verified on open unless switched off).
  bool checksummed() const { return checksummed_; }
  const std::vector<TensorInfo>& tensors() const { return tensors_; }  // sorted by offset
  const TensorInfo* find(const std::string& name) const;
  // Like find, but a missing tensor is an Error naming the file and the tensor.
  const TensorInfo& at(const std::string& name) const;
  // Checks dtype and shape and names file/tensor/what on mismatch.
  const TensorInfo& expect(const std::string& name, DType dtype, const std::vector<int64_t>& shape) const;

  const uint8_t* data(const TensorInfo& t) const { return base_ + t.begin; }
  template <class T>
  const T* data_as(const TensorInfo& t) const { return reinterpret_cast<const T*>(data(t)); }
  // Any float dtype (F32, F16, BF16) converted to f32.
  std::vector<float> read_f32(const std::string& name) const;

 private:
  SafetensorsFile() = default;
  std::string path_;
  std::map<std::string, std::string> metadata_;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, std::size_t> index_;
  bool checksummed_ = false;
  void* map_ = nullptr;
  std::size_t map_len_ = 0;
  const uint8_t* base_ = nullptr;  // start of the data section
};

class SafetensorsWriter {
 public:
  void set_metadata(const std::string& key, const std::string& value) { metadata_[key] = value; }
  // Copies the bytes; shape product x dtype size must equal `nbytes`.
  void add(const std::string& name, DType dtype, const std::vector<int64_t>& shape, const void* data,
           std::size_t nbytes);
  void add_f32(const std::string& name, const std::vector<int64_t>& shape, const float* data);
  // Writes atomically (temporary file + rename). Tensors are laid out in insertion order,
  // 8-byte aligned data section, with the CRC32C keys described above added to __metadata__.
  void write(const std::string& path) const;
  std::size_t size_estimate() const;

 private:
  struct Entry {
    std::string name;
    DType dtype;
    std::vector<int64_t> shape;
    std::vector<uint8_t> bytes;
  };
  std::vector<Entry> entries_;
  std::map<std::string, std::string> metadata_;
};

// IEEE half / bfloat16 conversions (round to nearest even), used by readers and the CUDA path.
float f16_to_f32(uint16_t h);
uint16_t f32_to_f16(float f);
float bf16_to_f32(uint16_t h);
uint16_t f32_to_bf16(float f);

}  // namespace abacus::io
