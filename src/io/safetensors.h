// safetensors: 8-byte little-endian header length N, N bytes of JSON header
// {"name": {"dtype", "shape", "data_offsets": [begin, end]}, "__metadata__": {str: str}},
// then the raw little-endian tensor bytes. Reading memory-maps the file and validates
// everything before any tensor is touched; errors name the file and the tensor.
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
  // 8-byte aligned data section.
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
