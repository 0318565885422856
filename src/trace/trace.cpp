#include "src/trace/trace.h"

#include <cmath>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "src/model/param_layout.h"
#include "src/util/error.h"

namespace abacus::trace {

const char* const kScaleConvention =
    "x = x_q / x_scale (+ x_offset); W = w_q / w_scale[n / (N / G_w)]; "
    "y = float(acc) / (x_scale[t] * w_scale[g(n)])";

namespace {

using io::DType;
using Json = nlohmann::json;

const char* const kTensorNames[] = {"x_q", "x_scale", "x_offset", "w_q", "w_scale", "acc", "y"};

std::string step_prefix(int64_t step) { return "step" + std::to_string(step) + "."; }

// "step<s>.layers.<i>.<proj>" -> s and "layers.<i>.<proj>".
bool parse_record_name(const std::string& name, int64_t* step, std::string* layer) {
  if (name.rfind("step", 0) != 0) return false;
  const std::size_t dot = name.find('.');
  if (dot == std::string::npos || dot == 4) return false;
  int64_t s = 0;
  for (std::size_t i = 4; i < dot; ++i) {
    if (name[i] < '0' || name[i] > '9' || s > (int64_t(1) << 40)) return false;
    s = s * 10 + (name[i] - '0');
  }
  *step = s;
  *layer = name.substr(dot + 1);
  return true;
}

const std::string& meta_field(const io::SafetensorsFile& f, const std::string& key) {
  auto it = f.metadata().find(key);
  if (it == f.metadata().end()) fail(f.path(), "__metadata__." + key, "missing (is this an abacus trace?)");
  return it->second;
}

Json meta_json(const io::SafetensorsFile& f, const std::string& key) {
  const std::string& text = meta_field(f, key);
  try {
    return Json::parse(text);
  } catch (const std::exception& e) {
    fail(f.path(), "__metadata__." + key, std::string("is not valid JSON: ") + e.what());
  }
}

int64_t json_int(const Json& j, const char* key, const std::string& file, const std::string& field,
                 int64_t lo) {
  if (!j.is_object() || !j.contains(key) || !j.at(key).is_number_integer())
    fail(file, field + "." + key, "missing or not an integer");
  const int64_t v = j.at(key).get<int64_t>();
  if (v < lo) fail(file, field + "." + key, "must be >= " + std::to_string(lo) + " (got " + std::to_string(v) + ")");
  return v;
}

}  // namespace

bool parse_layer_name(const std::string& layer, int64_t* block, std::string* proj) {
  if (layer.rfind("layers.", 0) != 0) return false;
  const std::size_t start = 7, dot = layer.find('.', start);
  if (dot == std::string::npos || dot == start) return false;
  int64_t b = 0;
  for (std::size_t i = start; i < dot; ++i) {
    if (layer[i] < '0' || layer[i] > '9' || b > (int64_t(1) << 40)) return false;
    b = b * 10 + (layer[i] - '0');
  }
  *block = b;
  *proj = layer.substr(dot + 1);
  return !proj->empty();
}

// ---------------------------------------------------------------------------------------------
// Reader

const TraceRecord* TraceFile::find(const std::string& name) const {
  for (const auto& r : records_)
    if (r.name == name) return &r;
  return nullptr;
}

TraceFile TraceFile::open(const std::string& path) {
  TraceFile t(io::SafetensorsFile::open(path));
  const io::SafetensorsFile& f = t.file_;

  // Metadata.
  if (meta_field(f, "format") != kFormatName)
    fail(path, "__metadata__.format", "expected \"" + std::string(kFormatName) + "\", got \"" +
                                          meta_field(f, "format") + "\"");
  if (meta_field(f, "version") != std::to_string(kFormatVersion))
    fail(path, "__metadata__.version", "unsupported version \"" + meta_field(f, "version") + "\" (this reader reads " +
                                           std::to_string(kFormatVersion) + ")");
  t.config_ = ModelConfig::from_json_text(meta_field(f, "config"), path + ": __metadata__.config");
  if (!t.config_.is_bitnet()) fail(path, "__metadata__.config.quant", "an fp model has no BitLinear records");
  if (meta_field(f, "quant") != quant_name(t.config_.quant))
    fail(path, "__metadata__.quant", "\"" + meta_field(f, "quant") + "\" disagrees with the config's \"" +
                                         quant_name(t.config_.quant) + "\"");
  if (meta_field(f, "scale_convention") != kScaleConvention)
    fail(path, "__metadata__.scale_convention", "unknown convention \"" + meta_field(f, "scale_convention") + "\"");

  const Json tokens = meta_json(f, "tokens");
  if (!tokens.is_array()) fail(path, "__metadata__.tokens", "expected a JSON array of token ids");
  for (const Json& v : tokens) {
    if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() >= t.config_.vocab_size)
      fail(path, "__metadata__.tokens", "token id " + v.dump() + " is not in [0, vocab_size)");
    t.tokens_.push_back(int32_t(v.get<int64_t>()));
  }
  const std::string& prompt_text = meta_field(f, "prompt_tokens");
  try {
    std::size_t used = 0;
    t.prompt_tokens_ = std::stoll(prompt_text, &used);
    if (used != prompt_text.size()) throw std::invalid_argument("");
  } catch (const std::exception&) {
    fail(path, "__metadata__.prompt_tokens", "expected an integer, got \"" + prompt_text + "\"");
  }
  if (t.prompt_tokens_ < 1 || t.prompt_tokens_ > int64_t(t.tokens_.size()))
    fail(path, "__metadata__.prompt_tokens", "must be in [1, number of tokens]");

  const Json steps = meta_json(f, "steps");
  if (!steps.is_array() || steps.empty()) fail(path, "__metadata__.steps", "expected a non-empty JSON array");
  int64_t next_pos = 0;
  for (std::size_t i = 0; i < steps.size(); ++i) {
    const std::string field = "__metadata__.steps[" + std::to_string(i) + "]";
    TraceStep s;
    s.step = json_int(steps[i], "step", path, field, 0);
    s.pos = json_int(steps[i], "pos", path, field, 0);
    s.tokens = json_int(steps[i], "tokens", path, field, 1);
    if (s.step != int64_t(i)) fail(path, field + ".step", "steps must be numbered 0, 1, 2, ... in order");
    if (s.pos != next_pos) fail(path, field + ".pos", "expected " + std::to_string(next_pos) + " (steps are contiguous)");
    next_pos = s.pos + s.tokens;
    t.steps_.push_back(s);
  }
  if (next_pos != int64_t(t.tokens_.size()))
    fail(path, "__metadata__.steps", "cover " + std::to_string(next_pos) + " tokens but tokens lists " +
                                         std::to_string(t.tokens_.size()));
  if (next_pos > t.config_.max_position_embeddings)
    fail(path, "__metadata__.steps", "run past max_position_embeddings");

  // Records.
  const Json names = meta_json(f, "records");
  if (!names.is_array() || names.empty()) fail(path, "__metadata__.records", "expected a non-empty JSON array");
  std::map<std::string, model::ProjSpec> projs;
  for (const auto& p : model::block_projections(t.config_)) projs[p.name] = p;
  const bool binary = t.config_.quant == Quant::b1;
  std::set<std::string> seen, owned_tensors;
  std::map<int64_t, std::set<std::string>> per_step;

  for (const Json& jn : names) {
    if (!jn.is_string()) fail(path, "__metadata__.records", "entry " + jn.dump() + " is not a string");
    TraceRecord r;
    r.name = jn.get<std::string>();
    const std::string where = path + ": record " + r.name;
    if (!seen.insert(r.name).second) fail(path, "record " + r.name, "listed twice");
    if (!parse_record_name(r.name, &r.step, &r.layer) || !parse_layer_name(r.layer, &r.block, &r.proj))
      fail(path, "record " + r.name, "name is not of the form step<s>.layers.<i>.<proj>");
    if (r.step >= int64_t(t.steps_.size())) fail(path, "record " + r.name, "step is not listed in steps");
    if (r.block >= t.config_.num_hidden_layers)
      fail(path, "record " + r.name, "layer index past num_hidden_layers = " + std::to_string(t.config_.num_hidden_layers));
    auto pit = projs.find(r.proj);
    if (pit == projs.end()) fail(path, "record " + r.name, "unknown projection \"" + r.proj + "\" for this model");
    per_step[r.step].insert(r.layer);
    r.T = t.steps_[std::size_t(r.step)].tokens;
    r.K = pit->second.in;
    r.N = pit->second.out;
    const std::string pre = r.name + ".";
    for (const char* tn : kTensorNames) owned_tensors.insert(pre + tn);

    // x_scale decides G; everything else is checked against T, K, N.
    const io::TensorInfo& xs = f.at(pre + "x_scale");
    if (xs.dtype != DType::F32) fail(path, pre + "x_scale", std::string("dtype must be F32, got ") + io::dtype_name(xs.dtype));
    if (xs.shape.size() == 1 && xs.shape[0] == r.T) {
      r.G = 1;
    } else if (xs.shape.size() == 2 && xs.shape[0] == r.T && xs.shape[1] >= 1 && r.K % xs.shape[1] == 0) {
      r.G = xs.shape[1];
    } else {
      fail(path, pre + "x_scale", "shape must be [T] or [T, G] with T = " + std::to_string(r.T) +
                                      " and G dividing K = " + std::to_string(r.K));
    }
    const io::TensorInfo& xq = f.expect(pre + "x_q", DType::I8, {r.T, r.K});
    const io::TensorInfo& wq = f.expect(pre + "w_q", DType::I8, {r.N, r.K});
    const io::TensorInfo& ws = f.at(pre + "w_scale");
    if (ws.dtype != DType::F32 || ws.shape.size() != 1 || ws.shape[0] < 1 || r.N % ws.shape[0] != 0)
      fail(path, pre + "w_scale", "must be F32 [G_w] with G_w dividing N = " + std::to_string(r.N));
    r.G_w = ws.shape[0];
    const io::TensorInfo& acc = f.expect(pre + "acc", DType::I32, {r.T, r.N});
    const io::TensorInfo& y = f.expect(pre + "y", DType::F32, {r.T, r.N});
    r.x_q = f.data_as<int8_t>(xq);
    r.x_scale = f.data_as<float>(xs);
    r.w_q = f.data_as<int8_t>(wq);
    r.w_scale = f.data_as<float>(ws);
    r.acc = f.data_as<int32_t>(acc);
    r.y = f.data_as<float>(y);
    if (const io::TensorInfo* xo = f.find(pre + "x_offset")) {
      if (xo->dtype != DType::F32 || xo->shape != xs.shape)
        fail(path, pre + "x_offset", "must be F32 with the shape of x_scale");
      r.x_offset = f.data_as<float>(*xo);
    }

    // Values.
    for (int64_t i = 0; i < r.N * r.K; ++i) {
      const int8_t w = r.w_q[i];
      if (w < -1 || w > 1 || (binary && w == 0))
        fail(path, pre + "w_q", "value " + std::to_string(int(w)) + " at [" + std::to_string(i / r.K) + ", " +
                                    std::to_string(i % r.K) + "] is outside " + (binary ? "{-1, 1} (b1)" : "{-1, 0, 1}"));
    }
    if (r.x_offset) {  // the shifted form is unsigned: [0, 127]
      for (int64_t i = 0; i < r.T * r.K; ++i)
        if (r.x_q[i] < 0)
          fail(path, pre + "x_q", "negative value at [" + std::to_string(i / r.K) + ", " + std::to_string(i % r.K) +
                                      "] in the shifted [0, 127] form");
    }
    for (int64_t i = 0; i < r.T * r.G; ++i)
      if (!(std::isfinite(r.x_scale[i]) && r.x_scale[i] > 0))
        fail(path, pre + "x_scale", "entry " + std::to_string(i) + " is not finite and positive");
    for (int64_t i = 0; i < r.G_w; ++i)
      if (!(std::isfinite(r.w_scale[i]) && r.w_scale[i] > 0))
        fail(path, pre + "w_scale", "entry " + std::to_string(i) + " is not finite and positive");
    for (int64_t i = 0; i < r.T * r.N; ++i)
      if (!std::isfinite(r.y[i]))
        fail(path, pre + "y", "entry [" + std::to_string(i / r.N) + ", " + std::to_string(i % r.N) + "] is not finite");
    t.records_.push_back(std::move(r));
  }

  // Every step holds every projection of every layer once; no stray tensors.
  const std::size_t per_step_expected = std::size_t(t.config_.num_hidden_layers) * projs.size();
  for (const auto& s : t.steps_) {
    const auto& got = per_step[s.step];
    if (got.size() != per_step_expected) {
      for (int64_t l = 0; l < t.config_.num_hidden_layers; ++l)
        for (const auto& p : projs) {
          const std::string layer = "layers." + std::to_string(l) + "." + p.first;
          if (!got.count(layer)) fail(path, "record " + step_prefix(s.step) + layer, "missing from the trace");
        }
    }
  }
  for (const auto& ti : f.tensors())
    if (!owned_tensors.count(ti.name))
      fail(path, ti.name, "tensor belongs to no record listed in __metadata__.records");
  return t;
}

// ---------------------------------------------------------------------------------------------
// Writer

TraceWriter::TraceWriter(const ModelConfig& config, std::vector<int32_t> prompt)
    : config_(config), tokens_(), prompt_tokens_(int64_t(prompt.size())) {
  if (!config_.is_bitnet()) fail("", "quant", "tracing needs a BitNet model (b1, b1.58, b1.58-median), not fp");
  if (prompt.empty()) fail("", "prompt", "tracing needs at least one prompt token");
  observer_ = [this](const nn::BitLinearRecord& r) { add(r); };
}

void TraceWriter::begin_step(int64_t pos, const std::vector<int32_t>& step_tokens) {
  TraceStep s;
  s.step = int64_t(steps_.size());
  s.pos = pos;
  s.tokens = int64_t(step_tokens.size());
  const int64_t expected_pos = steps_.empty() ? 0 : steps_.back().pos + steps_.back().tokens;
  if (pos != expected_pos || s.tokens < 1)
    fail("", "trace step " + std::to_string(s.step), "steps must be contiguous and non-empty");
  if (s.step == 0 && s.tokens != prompt_tokens_)
    fail("", "trace step 0", "the prefill must cover the prompt");
  tokens_.insert(tokens_.end(), step_tokens.begin(), step_tokens.end());
  steps_.push_back(s);
}

void TraceWriter::add(const nn::BitLinearRecord& r) {
  if (steps_.empty()) fail("", "trace record " + r.name, "begin_step() was not called");
  const TraceStep& s = steps_.back();
  if (r.T != s.tokens) fail("", "trace record " + r.name, "T differs from the step's token count");
  const std::string pre = step_prefix(s.step) + r.name + ".";
  const int64_t G = r.G < 1 ? 1 : r.G;
  const std::vector<int64_t> scale_shape = G == 1 ? std::vector<int64_t>{r.T} : std::vector<int64_t>{r.T, G};
  tensors_.add(pre + "x_q", DType::I8, {r.T, r.K}, r.x_q, std::size_t(r.T * r.K));
  tensors_.add(pre + "x_scale", DType::F32, scale_shape, r.x_scale, std::size_t(r.T * G) * 4);
  if (r.x_offset) tensors_.add(pre + "x_offset", DType::F32, scale_shape, r.x_offset, std::size_t(r.T * G) * 4);
  tensors_.add(pre + "w_q", DType::I8, {r.N, r.K}, r.w_q, std::size_t(r.N * r.K));
  tensors_.add(pre + "w_scale", DType::F32, {r.G_w}, r.w_scale, std::size_t(r.G_w) * 4);
  tensors_.add(pre + "acc", DType::I32, {r.T, r.N}, r.acc, std::size_t(r.T * r.N) * 4);
  tensors_.add(pre + "y", DType::F32, {r.T, r.N}, r.y, std::size_t(r.T * r.N) * 4);
  record_names_.push_back(step_prefix(s.step) + r.name);
}

void TraceWriter::write(const std::string& path) {
  if (record_names_.empty()) fail(path, "", "no BitLinear records were captured");
  Json steps = Json::array();
  for (const auto& s : steps_) steps.push_back({{"step", s.step}, {"pos", s.pos}, {"tokens", s.tokens}});
  tensors_.set_metadata("format", kFormatName);
  tensors_.set_metadata("version", std::to_string(kFormatVersion));
  tensors_.set_metadata("config", config_.to_json_text());
  tensors_.set_metadata("quant", quant_name(config_.quant));
  tensors_.set_metadata("tokens", Json(tokens_).dump());
  tensors_.set_metadata("prompt_tokens", std::to_string(prompt_tokens_));
  tensors_.set_metadata("steps", steps.dump());
  tensors_.set_metadata("records", Json(record_names_).dump());
  tensors_.set_metadata("scale_convention", kScaleConvention);
  tensors_.write(path);
}

}  // namespace abacus::trace
