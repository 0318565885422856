// The tensors of a Hugging Face model folder: model.safetensors, or the shards listed by
// model.safetensors.index.json ({"weight_map": {tensor: shard file}}). Every shard is opened
// (memory-mapped, validated) once; a shard the index names that is missing, a tensor the index
// places in a shard that does not hold it, or a tensor held by two files is an Error naming the
// file and the tensor.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "src/io/safetensors.h"

namespace abacus::io {

class HfTensorSet {
 public:
  static HfTensorSet open(const std::string& dir);

  struct Ref {
    const SafetensorsFile* file = nullptr;
    const TensorInfo* info = nullptr;
  };
  // Null file when absent.
  Ref find(const std::string& name) const;
  // Names of every tensor in the set, sorted.
  std::vector<std::string> names() const;
  const std::vector<std::string>& files() const { return paths_; }
  // The file that says where tensors are: the index, or model.safetensors.
  const std::string& source() const { return source_; }

 private:
  std::string source_;
  std::vector<std::string> paths_;
  std::vector<SafetensorsFile> shards_;
  std::map<std::string, std::size_t> where_;  // tensor -> shard index
};

}  // namespace abacus::io
