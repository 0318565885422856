#include "src/train/checkpoint.h"

#include <algorithm>
#include <cmath>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <filesystem>
#include <set>
#include <unistd.h>

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

// Copies a tensor; a NaN or infinity is an error naming the file, the tensor and the index
// (a diverged or corrupt checkpoint must not turn into a silently different model).
void copy_f32(const io::SafetensorsFile& f, const io::TensorInfo& t, float* dst) {
  const float* src = f.data_as<float>(t);
  for (int64_t i = 0; i < t.numel(); ++i) {
    if (!std::isfinite(src[i]))
      fail(f.path(), "tensor '" + t.name + "'", "element " + std::to_string(i) + " is " + std::to_string(src[i]) +
                                                    " (not finite)");
    dst[i] = src[i];
  }
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
  if (s.step > s.total_steps)
    f.error("step", "step " + std::to_string(s.step) + " is beyond total_steps " + std::to_string(s.total_steps));
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

namespace {

constexpr const char* kGenPrefix = "step-";

fs::path generations_dir(const std::string& run_dir) { return fs::path(run_dir) / "checkpoints"; }

std::string generation_name(int64_t step) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s%012lld", kGenPrefix, (long long)step);
  return buf;
}

bool is_temporary(const std::string& name) { return name.find(".tmp.") != std::string::npos; }

// Committed generations, newest first, as (step, folder).
std::vector<std::pair<int64_t, fs::path>> list_generations(const std::string& run_dir) {
  std::vector<std::pair<int64_t, fs::path>> gens;
  std::error_code ec;
  const fs::path gdir = generations_dir(run_dir);
  if (!fs::is_directory(gdir, ec)) return gens;
  for (const auto& e : fs::directory_iterator(gdir, ec)) {
    const std::string name = e.path().filename().string();
    if (name.rfind(kGenPrefix, 0) != 0 || is_temporary(name) || !e.is_directory(ec)) continue;
    const std::string digits = name.substr(std::strlen(kGenPrefix));
    if (digits.empty() || digits.size() > 18 || !std::all_of(digits.begin(), digits.end(), ::isdigit)) continue;
    gens.emplace_back(std::stoll(digits), e.path());
  }
  std::sort(gens.begin(), gens.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  return gens;
}

// fsync of a directory makes the renames inside it durable.
void sync_dir(const fs::path& dir) {
  const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0) return;
  ::fsync(fd);
  ::close(fd);
}

// Puts `src`'s content at `dst` atomically: a hard link under a temporary name renamed into
// place (no copy), or a copy when the filesystem has no hard links.
void publish(const fs::path& src, const fs::path& dst) {
  const std::string tmp = dst.string() + ".tmp." + std::to_string(::getpid());
  std::remove(tmp.c_str());
  if (::link(src.c_str(), tmp.c_str()) == 0) {
    if (std::rename(tmp.c_str(), dst.c_str()) != 0) {
      const int err = errno;
      std::remove(tmp.c_str());
      fail(dst.string(), "", std::string("rename failed: ") + std::strerror(err));
    }
    return;
  }
  io::write_file_atomic(dst.string(), io::read_file(src.string()));
}

bool same_inode(const fs::path& a, const fs::path& b) {
  struct stat sa {}, sb {};
  return ::stat(a.c_str(), &sa) == 0 && ::stat(b.c_str(), &sb) == 0 && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

// Removes leftovers of killed writers ("*.tmp.*") in `dir`.
void remove_temporaries(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return;
  std::vector<fs::path> stray;
  for (const auto& e : fs::directory_iterator(dir, ec))
    if (is_temporary(e.path().filename().string())) stray.push_back(e.path());
  for (const auto& p : stray) fs::remove_all(p, ec);
}

}  // namespace

void save_checkpoint_generation(const std::string& run_dir, const ModelConfig& config, const float* params,
                                AdamW& opt, const TrainerState& st, int64_t keep) {
  const fs::path gdir = generations_dir(run_dir);
  const fs::path gen = gdir / generation_name(st.step);
  const fs::path tmp = gen.string() + ".tmp." + std::to_string(::getpid());
  std::error_code ec;
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp);
  save_checkpoint(tmp.string(), config, params, &opt, &st);
  sync_dir(tmp);
  if (fs::exists(gen)) {
    // Rewriting a step (after resuming past a corrupt newer generation): move the old one
    // aside first; older complete generations cover the moment in between.
    const fs::path old = gen.string() + ".old.tmp." + std::to_string(::getpid());
    fs::remove_all(old, ec);
    fs::rename(gen, old);
  }
  fs::rename(tmp, gen);  // the commit
  sync_dir(gdir);
  for (const char* name : {"config.json", "model.safetensors", "trainer.json"})
    publish(gen / name, fs::path(run_dir) / name);
  sync_dir(run_dir);
  const auto gens = list_generations(run_dir);
  // Pruning renames first: a kill in the middle of remove_all leaves a temporary, never a
  // half-deleted folder that looks like a committed generation.
  for (std::size_t i = 0; keep > 0 && i < gens.size(); ++i)
    if (int64_t(i) >= keep) {
      const fs::path doomed = gens[i].second.string() + ".del.tmp." + std::to_string(::getpid());
      fs::rename(gens[i].second, doomed, ec);
      if (!ec) fs::remove_all(doomed, ec);
    }
  remove_temporaries(gdir);
  remove_temporaries(run_dir);
}

bool run_has_checkpoint(const std::string& run_dir) {
  return !list_generations(run_dir).empty() || fs::exists(fs::path(run_dir) / "trainer.json");
}

std::optional<TrainerState> peek_latest_trainer_state(const std::string& run_dir) {
  for (const auto& [step, dir] : list_generations(run_dir)) {
    try {
      return load_trainer_state((dir / "trainer.json").string());
    } catch (const Error&) {
    }
  }
  const fs::path legacy = fs::path(run_dir) / "trainer.json";
  if (fs::exists(legacy)) return load_trainer_state(legacy.string());
  return std::nullopt;
}

std::string resume_config_path(const std::string& run_dir) {
  const fs::path top = fs::path(run_dir) / "config.json";
  if (fs::exists(top)) return top.string();
  for (const auto& [step, dir] : list_generations(run_dir))
    if (fs::exists(dir / "config.json")) return (dir / "config.json").string();
  return top.string();  // missing: the loader's error names it
}

ResumedCheckpoint load_latest_checkpoint(const std::string& run_dir, const ModelConfig& config, float* params,
                                         AdamW& opt) {
  ResumedCheckpoint r;
  const model::ParamLayout layout(config);
  auto try_dir = [&](const fs::path& dir) {
    const ModelConfig c = ModelConfig::load((dir / "config.json").string());
    if (c.to_json_text() != config.to_json_text())
      fail((dir / "config.json").string(), "", "differs from the run's config.json");
    TrainerState st = load_trainer_state((dir / "trainer.json").string());
    const std::vector<float> w = load_model_weights((dir / "model.safetensors").string(), config);
    load_optimizer((dir / "optimizer.safetensors").string(), layout, opt);
    std::copy(w.begin(), w.end(), params);
    r.dir = dir.string();
    r.state = st;
  };
  const auto gens = list_generations(run_dir);
  for (const auto& [step, dir] : gens) {
    try {
      try_dir(dir);
      if (r.state.step != step)
        fail((dir / "trainer.json").string(), "step",
             std::to_string(r.state.step) + " does not match the generation's folder name");
      // A kill between a commit and its publication (or during a clean-up) is finished here,
      // so a run that resumes at its last step still ends with the right files in place.
      for (const char* name : {"config.json", "model.safetensors", "trainer.json"})
        if (!same_inode(dir / name, fs::path(run_dir) / name)) publish(dir / name, fs::path(run_dir) / name);
      remove_temporaries(generations_dir(run_dir));
      remove_temporaries(run_dir);
      return r;
    } catch (const Error& e) {
      r.skipped.push_back(dir.string() + ": " + e.what());
    }
  }
  if (gens.empty() && fs::exists(fs::path(run_dir) / "trainer.json")) {  // a run written before generations
    try_dir(run_dir);
    return r;
  }
  std::string why;
  for (const auto& s : r.skipped) why += "\n  " + s;
  fail(run_dir, "checkpoints", "no complete checkpoint generation to resume from" + why);
}

void remove_checkpoint_generations(const std::string& run_dir) {
  std::error_code ec;
  // Renamed away first, so a kill half way leaves no generation of the old run to resume.
  const fs::path gdir = generations_dir(run_dir);
  if (fs::exists(gdir)) {
    const fs::path doomed = gdir.string() + ".del.tmp." + std::to_string(::getpid());
    fs::rename(gdir, doomed, ec);
    fs::remove_all(ec ? gdir : doomed, ec);
  }
  for (const char* name : {"trainer.json", "optimizer.safetensors"}) fs::remove(fs::path(run_dir) / name, ec);
  remove_temporaries(run_dir);
}

LoadedModel load_checkpoint_model(const std::string& dir) {
  if (!fs::is_directory(dir)) fail(dir, "", "checkpoint directory not found");
  LoadedModel m;
  m.config = ModelConfig::load((fs::path(dir) / "config.json").string());
  m.params = load_model_weights((fs::path(dir) / "model.safetensors").string(), m.config);
  return m;
}

}  // namespace abacus::train
