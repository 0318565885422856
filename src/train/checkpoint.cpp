#include "src/train/checkpoint.h"

#include <filesystem>
#include <set>

#include "src/io/atomic_file.h"
#include "src/io/json_fields.h"
#include "src/io/safetensors.h"
#include "src/util/error.h"

namespace abacus::train {

namespace fs = std::filesystem;

void save_model_weights(const std::string& path, const ModelConfig& config, const float* params) {
  const model::ParamLayout layout(config);
  io::SafetensorsWriter w;
  w.set_metadata("format", "abacus-checkpoint");
  w.set_metadata("quant", quant_name(config.quant));
  for (const model::ParamSpec& p : layout.params()) w.add_f32(p.name, p.shape, params + p.offset);
  w.write(path);
}

namespace {
void check_no_extra(const io::SafetensorsFile& f, const std::set<std::string>& expected) {
  for (const io::TensorInfo& t : f.tensors())
    if (!expected.count(t.name))
      fail(f.path(), t.name, "tensor not in the model described by config.json");
}

void copy_f32(const io::SafetensorsFile& f, const io::TensorInfo& t, float* dst) {
  const float* src = f.data_as<float>(t);
  std::copy(src, src + t.numel(), dst);
}
}  // namespace

std::vector<float> load_model_weights(const std::string& path, const ModelConfig& config) {
  const model::ParamLayout layout(config);
  const io::SafetensorsFile f = io::SafetensorsFile::open(path);
  std::vector<float> params(size_t(layout.total()));
  std::set<std::string> names;
  for (const model::ParamSpec& p : layout.params()) {
    copy_f32(f, f.expect(p.name, io::DType::F32, p.shape), params.data() + p.offset);
    names.insert(p.name);
  }
  check_no_extra(f, names);
  return params;
}

void save_optimizer(const std::string& path, const model::ParamLayout& layout, AdamW& opt) {
  io::SafetensorsWriter w;
  w.set_metadata("format", "abacus-adamw");
  w.set_metadata("t", std::to_string(opt.t()));
  for (const model::ParamSpec& p : layout.params()) w.add_f32("m." + p.name, p.shape, opt.m().data() + p.offset);
  for (const model::ParamSpec& p : layout.params()) w.add_f32("v." + p.name, p.shape, opt.v().data() + p.offset);
  w.write(path);
}

void load_optimizer(const std::string& path, const model::ParamLayout& layout, AdamW& opt) {
  const io::SafetensorsFile f = io::SafetensorsFile::open(path);
  std::set<std::string> names;
  for (const model::ParamSpec& p : layout.params()) {
    copy_f32(f, f.expect("m." + p.name, io::DType::F32, p.shape), opt.m().data() + p.offset);
    copy_f32(f, f.expect("v." + p.name, io::DType::F32, p.shape), opt.v().data() + p.offset);
    names.insert("m." + p.name);
    names.insert("v." + p.name);
  }
  check_no_extra(f, names);
  const auto it = f.metadata().find("t");
  if (it == f.metadata().end()) fail(path, "__metadata__.t", "missing AdamW step count");
  try {
    opt.set_t(std::stoll(it->second));
  } catch (const std::exception&) {
    fail(path, "__metadata__.t", "not an integer: " + it->second);
  }
}

void save_trainer_state(const std::string& path, const TrainerState& s) {
  io::Json j;
  j["step"] = s.step;
  j["total_steps"] = s.total_steps;
  j["batch"] = s.batch;
  j["seq"] = s.seq;
  j["tokens"] = s.tokens;
  j["data_position"] = s.data_position;
  j["data_epoch"] = s.data_epoch;
  j["seed"] = s.seed;
  j["rng"] = s.rng;
  io::write_file_atomic(path, j.dump(2) + "\n");
}

TrainerState load_trainer_state(const std::string& path) {
  const io::Json j = io::load_json_file(path);
  io::JsonFields f(j, path);
  TrainerState s;
  s.step = f.get_int("step", 0, INT64_MAX);
  s.total_steps = f.get_int("total_steps", 1, INT64_MAX);
  s.batch = f.get_int("batch", 1, INT64_MAX);
  s.seq = f.get_int("seq", 1, INT64_MAX);
  s.tokens = f.get_int("tokens", 0, INT64_MAX);
  s.data_position = uint64_t(f.get_int("data_position", 0, INT64_MAX));
  s.data_epoch = uint64_t(f.get_int("data_epoch", 0, INT64_MAX));
  s.seed = f.get<uint64_t>("seed");
  s.rng = f.get<std::string>("rng");
  f.finish();
  return s;
}

void save_checkpoint(const std::string& dir, const ModelConfig& config, const float* params, AdamW* opt,
                     const TrainerState* state) {
  fs::create_directories(dir);
  config.save((fs::path(dir) / "config.json").string());
  save_model_weights((fs::path(dir) / "model.safetensors").string(), config, params);
  if (opt) save_optimizer((fs::path(dir) / "optimizer.safetensors").string(), model::ParamLayout(config), *opt);
  // trainer.json last: its presence marks a complete, resumable checkpoint.
  if (state) save_trainer_state((fs::path(dir) / "trainer.json").string(), *state);
}

LoadedModel load_checkpoint_model(const std::string& dir) {
  if (!fs::is_directory(dir)) fail(dir, "", "checkpoint directory not found");
  LoadedModel m;
  m.config = ModelConfig::load((fs::path(dir) / "config.json").string());
  m.params = load_model_weights((fs::path(dir) / "model.safetensors").string(), m.config);
  return m;
}

}  // namespace abacus::train
