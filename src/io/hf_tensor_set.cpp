#include "src/io/hf_tensor_set.h"

#include <filesystem>

#include "src/io/atomic_file.h"
#include "src/io/json_fields.h"
#include "src/util/error.h"

namespace fs = std::filesystem;

namespace abacus::io {

HfTensorSet HfTensorSet::open(const std::string& dir) {
  HfTensorSet set;
  const std::string single = (fs::path(dir) / "model.safetensors").string();
  const std::string index = (fs::path(dir) / "model.safetensors.index.json").string();
  if (fs::exists(index)) {
    set.source_ = index;
    const Json j = load_json_file(index);
    if (!j.is_object() || !j.contains("weight_map") || !j.at("weight_map").is_object())
      fail(index, "weight_map", "missing or not an object of tensor name -> shard file");
    std::map<std::string, std::size_t> shard_of_file;
    std::map<std::string, std::size_t> listed;  // tensor -> shard, from the index
    for (const auto& [tensor, file] : j.at("weight_map").items()) {
      if (!file.is_string()) fail(index, "weight_map." + tensor, "shard file name is not a string");
      const std::string name = file.get<std::string>();
      if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..")
        fail(index, "weight_map." + tensor, "shard \"" + name + "\" is not a file name in the folder");
      auto it = shard_of_file.find(name);
      if (it == shard_of_file.end()) {
        const std::string path = (fs::path(dir) / name).string();
        if (!fs::exists(path)) fail(path, "tensor " + tensor, "shard listed in " + index + " is missing");
        set.paths_.push_back(path);
        set.shards_.push_back(SafetensorsFile::open(path));
        it = shard_of_file.emplace(name, set.shards_.size() - 1).first;
      }
      listed[tensor] = it->second;
    }
    if (listed.empty()) fail(index, "weight_map", "lists no tensors");
    for (const auto& [tensor, shard] : listed)
      if (!set.shards_[shard].find(tensor))
        fail(set.paths_[shard], "tensor " + tensor, "listed in " + index + " but not in this shard");
    // A shard may hold only what the index places there: two copies of a tensor are ambiguous.
    for (std::size_t s = 0; s < set.shards_.size(); ++s)
      for (const TensorInfo& t : set.shards_[s].tensors()) {
        auto it = listed.find(t.name);
        if (it == listed.end() || it->second != s)
          fail(set.paths_[s], "tensor " + t.name, "not placed in this shard by " + index);
      }
    set.where_ = std::move(listed);
  } else if (fs::exists(single)) {
    set.source_ = single;
    set.paths_.push_back(single);
    set.shards_.push_back(SafetensorsFile::open(single));
    for (const TensorInfo& t : set.shards_[0].tensors()) set.where_[t.name] = 0;
  } else {
    fail(dir, "", "no model.safetensors or model.safetensors.index.json (is this a Hugging Face model folder?)");
  }
  return set;
}

HfTensorSet::Ref HfTensorSet::find(const std::string& name) const {
  auto it = where_.find(name);
  if (it == where_.end()) return {};
  const SafetensorsFile& f = shards_[it->second];
  return {&f, f.find(name)};
}

std::vector<std::string> HfTensorSet::names() const {
  std::vector<std::string> out;
  for (const auto& kv : where_) out.push_back(kv.first);
  return out;
}

}  // namespace abacus::io
