#include "src/trace/trace.h"

#include <algorithm>
#include <cmath>
#include <cerrno>
#include <cstring>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "src/model/param_layout.h"
#include "src/quant/packing.h"
#include "src/io/atomic_file.h"
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
  const std::string& version = meta_field(f, "version");
  if (version != "1" && version != "2")
    fail(path, "__metadata__.version", "unsupported version \"" + version + "\" (this reader reads 1 and 2)");
  t.version_ = version == "1" ? 1 : 2;
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

  // Sampling (version 2).
  for (int64_t l = 0; l < t.config_.num_hidden_layers; ++l) t.layers_.push_back(l);
  if (t.version_ >= 2) {
    const Json smp = meta_json(f, "sampling");
    if (!smp.is_object() || !smp.contains("layers") || !smp.contains("max_tokens"))
      fail(path, "__metadata__.sampling", "expected {\"layers\": [...] or \"all\", \"max_tokens\": M}");
    t.max_tokens_ = json_int(smp, "max_tokens", path, "__metadata__.sampling", 0);
    const Json& ls = smp.at("layers");
    if (!(ls.is_string() && ls.get<std::string>() == "all")) {
      if (!ls.is_array() || ls.empty()) fail(path, "__metadata__.sampling.layers", "expected \"all\" or a non-empty array");
      t.layers_.clear();
      for (const Json& v : ls) {
        if (!v.is_number_integer() || v.get<int64_t>() < 0 || v.get<int64_t>() >= t.config_.num_hidden_layers ||
            (!t.layers_.empty() && v.get<int64_t>() <= t.layers_.back()))
          fail(path, "__metadata__.sampling.layers", "entry " + v.dump() + " is not an increasing layer index < num_hidden_layers");
        t.layers_.push_back(v.get<int64_t>());
      }
    }
  }
  const std::set<int64_t> sampled_layers(t.layers_.begin(), t.layers_.end());
  t.unpacked_ = std::make_shared<std::map<std::string, std::vector<int8_t>>>();

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
    if (!sampled_layers.count(r.block)) fail(path, "record " + r.name, "its layer is not among __metadata__.sampling.layers");
    auto pit = projs.find(r.proj);
    if (pit == projs.end()) fail(path, "record " + r.name, "unknown projection \"" + r.proj + "\" for this model");
    per_step[r.step].insert(r.layer);
    r.step_tokens = t.steps_[std::size_t(r.step)].tokens;
    r.T = t.max_tokens_ > 0 ? std::min(r.step_tokens, t.max_tokens_) : r.step_tokens;
    r.K = pit->second.in;
    r.N = pit->second.out;
    const std::string pre = r.name + ".";
    for (const char* tn : kTensorNames) owned_tensors.insert(pre + tn);
    // Weights: in the record (v1) or once per layer (v2).
    const std::string wpre = t.version_ == 1 ? pre : "weights." + r.layer + ".";
    if (t.version_ >= 2) {
      owned_tensors.insert(wpre + "w_packed");
      owned_tensors.insert(wpre + "w_scale");
    }

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
    const io::TensorInfo& ws = f.at(wpre + "w_scale");
    if (ws.dtype != DType::F32 || ws.shape.size() != 1 || ws.shape[0] < 1 || r.N % ws.shape[0] != 0)
      fail(path, wpre + "w_scale", "must be F32 [G_w] with G_w dividing N = " + std::to_string(r.N));
    r.G_w = ws.shape[0];
    const io::TensorInfo& acc = f.expect(pre + "acc", DType::I32, {r.T, r.N});
    const io::TensorInfo& y = f.expect(pre + "y", DType::F32, {r.T, r.N});
    r.x_q = f.data_as<int8_t>(xq);
    r.x_scale = f.data_as<float>(xs);
    r.w_scale = f.data_as<float>(ws);
    const bool fresh_weights = t.version_ == 1 || !t.unpacked_->count(r.layer);
    if (t.version_ == 1) {
      r.w_q = f.data_as<int8_t>(f.expect(pre + "w_q", DType::I8, {r.N, r.K}));
    } else {
      auto it = t.unpacked_->find(r.layer);
      if (it == t.unpacked_->end()) {
        const io::TensorInfo& wp = f.expect(wpre + "w_packed", DType::U8, {r.N, quant::ternary_row_bytes(r.K)});
        quant::PackedTernary pk;
        pk.N = r.N;
        pk.K = r.K;
        pk.row_bytes = quant::ternary_row_bytes(r.K);
        pk.bytes.assign(f.data(wp), f.data(wp) + wp.nbytes());
        std::vector<int8_t> w(std::size_t(r.N * r.K));
        try {
          quant::unpack_ternary(pk, w.data());
        } catch (const Error& e) {
          fail(path, wpre + "w_packed", e.what());
        }
        it = t.unpacked_->emplace(r.layer, std::move(w)).first;
      }
      r.w_q = it->second.data();
    }
    r.acc = f.data_as<int32_t>(acc);
    r.y = f.data_as<float>(y);
    if (const io::TensorInfo* xo = f.find(pre + "x_offset")) {
      if (xo->dtype != DType::F32 || xo->shape != xs.shape)
        fail(path, pre + "x_offset", "must be F32 with the shape of x_scale");
      r.x_offset = f.data_as<float>(*xo);
    }

    // Values.
    for (int64_t i = 0; fresh_weights && i < r.N * r.K; ++i) {
      const int8_t w = r.w_q[i];
      if (w < -1 || w > 1 || (binary && w == 0))
        fail(path, wpre + (t.version_ == 1 ? "w_q" : "w_packed"), "value " + std::to_string(int(w)) + " at [" + std::to_string(i / r.K) + ", " +
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
  const std::size_t per_step_expected = t.layers_.size() * projs.size();
  for (const auto& s : t.steps_) {
    const auto& got = per_step[s.step];
    if (got.size() != per_step_expected) {
      for (int64_t l : t.layers_)
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

bool TraceFile::sampled() const {
  return max_tokens_ > 0 || int64_t(layers_.size()) != config_.num_hidden_layers;
}

std::vector<int64_t> parse_layer_list(const std::string& text, const std::string& field) {
  std::set<int64_t> out;
  std::size_t i = 0;
  auto number = [&]() -> int64_t {
    if (i >= text.size() || text[i] < '0' || text[i] > '9') fail("", field, "expected layer indices like 0,5,10-12, got \"" + text + "\"");
    int64_t v = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9' && v < (int64_t(1) << 40)) v = v * 10 + (text[i++] - '0');
    return v;
  };
  while (i < text.size()) {
    const int64_t a = number();
    int64_t b = a;
    if (i < text.size() && text[i] == '-') {
      ++i;
      b = number();
      if (b < a) fail("", field, "range " + std::to_string(a) + "-" + std::to_string(b) + " runs backwards");
    }
    for (int64_t v = a; v <= b; ++v) out.insert(v);
    if (i < text.size() && text[i] != ',') fail("", field, "expected layer indices like 0,5,10-12, got \"" + text + "\"");
    if (i < text.size()) ++i;
  }
  if (out.empty()) fail("", field, "lists no layers");
  return std::vector<int64_t>(out.begin(), out.end());
}

// ---------------------------------------------------------------------------------------------
// Writer

TraceWriter::TraceWriter(const ModelConfig& config, std::vector<int32_t> prompt, TraceSampling sampling)
    : config_(config), sampling_(std::move(sampling)), tokens_(), prompt_tokens_(int64_t(prompt.size())) {
  if (!config_.is_bitnet()) fail("", "quant", "tracing needs a BitNet model (b1, b1.58, b1.58-median), not fp");
  if (prompt.empty()) fail("", "prompt", "tracing needs at least one prompt token");
  if (sampling_.max_tokens < 0) fail("", "max_tokens", "must be >= 0");
  for (int64_t l : sampling_.layers)
    if (l < 0 || l >= config_.num_hidden_layers)
      fail("", "layers", "layer " + std::to_string(l) + " is not in [0, num_hidden_layers = " +
                             std::to_string(config_.num_hidden_layers) + ")");
  std::sort(sampling_.layers.begin(), sampling_.layers.end());
  sampling_.layers.erase(std::unique(sampling_.layers.begin(), sampling_.layers.end()), sampling_.layers.end());
  if (int64_t(sampling_.layers.size()) == config_.num_hidden_layers) sampling_.layers.clear();  // all of them
  data_ = std::tmpfile();
  if (!data_) fail("", "trace", std::string("cannot create a temporary file: ") + std::strerror(errno));
  observer_ = [this](const nn::BitLinearRecord& r) { add(r); };
}

TraceWriter::~TraceWriter() {
  if (data_) std::fclose(data_);
}

void TraceWriter::put(const std::string& name, DType dtype, std::vector<int64_t> shape, const void* data, std::size_t n) {
  // 8-byte aligned tensors, so a memory-mapped reader sees aligned f32/i32 arrays.
  static const char zeros[8] = {};
  const std::size_t pad = (8 - data_bytes_ % 8) % 8;
  if ((pad && std::fwrite(zeros, 1, pad, data_) != pad) || (n && std::fwrite(data, 1, n, data_) != n))
    fail("", "trace", std::string("tensor data write failed (temporary file): ") + std::strerror(errno));
  data_bytes_ += pad;
  entries_.push_back({name, dtype, std::move(shape), data_bytes_, data_bytes_ + n});
  data_bytes_ += n;
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
  int64_t block = 0;
  std::string proj;
  if (!parse_layer_name(r.name, &block, &proj)) fail("", "trace record " + r.name, "not a layers.<i>.<proj> name");
  if (!sampling_.layers.empty() && !std::binary_search(sampling_.layers.begin(), sampling_.layers.end(), block)) return;
  if (weights_stored_.insert(r.name).second) {
    const quant::PackedTernary pk = quant::pack_ternary(r.w_q, r.N, r.K);
    put("weights." + r.name + ".w_packed", DType::U8, {r.N, pk.row_bytes}, pk.bytes.data(), pk.bytes.size());
    put("weights." + r.name + ".w_scale", DType::F32, {r.G_w}, r.w_scale, std::size_t(r.G_w) * 4);
  }
  const int64_t R = sampling_.max_tokens > 0 ? std::min(r.T, sampling_.max_tokens) : r.T;
  const std::string pre = step_prefix(s.step) + r.name + ".";
  const int64_t G = r.G < 1 ? 1 : r.G;
  const std::vector<int64_t> scale_shape = G == 1 ? std::vector<int64_t>{R} : std::vector<int64_t>{R, G};
  put(pre + "x_q", DType::I8, {R, r.K}, r.x_q, std::size_t(R * r.K));
  put(pre + "x_scale", DType::F32, scale_shape, r.x_scale, std::size_t(R * G) * 4);
  if (r.x_offset) put(pre + "x_offset", DType::F32, scale_shape, r.x_offset, std::size_t(R * G) * 4);
  put(pre + "acc", DType::I32, {R, r.N}, r.acc, std::size_t(R * r.N) * 4);
  put(pre + "y", DType::F32, {R, r.N}, r.y, std::size_t(R * r.N) * 4);
  record_names_.push_back(step_prefix(s.step) + r.name);
}

void TraceWriter::write(const std::string& path) {
  if (record_names_.empty()) fail(path, "", "no BitLinear records were captured");
  Json steps = Json::array();
  for (const auto& s : steps_) steps.push_back({{"step", s.step}, {"pos", s.pos}, {"tokens", s.tokens}});
  Json sampling = {{"layers", sampling_.layers.empty() ? Json("all") : Json(sampling_.layers)},
                   {"max_tokens", sampling_.max_tokens}};
  nlohmann::ordered_json h;
  h["__metadata__"] = {{"format", kFormatName},
                       {"version", std::to_string(kFormatVersion)},
                       {"config", config_.to_json_text()},
                       {"quant", quant_name(config_.quant)},
                       {"tokens", Json(tokens_).dump()},
                       {"prompt_tokens", std::to_string(prompt_tokens_)},
                       {"steps", steps.dump()},
                       {"records", Json(record_names_).dump()},
                       {"sampling", sampling.dump()},
                       {"scale_convention", kScaleConvention}};
  for (const Entry& e : entries_)
    h[e.name] = {{"dtype", io::dtype_name(e.dtype)}, {"shape", e.shape}, {"data_offsets", {e.begin, e.end}}};
  std::string header = h.dump();
  header.append((8 - (8 + header.size()) % 8) % 8, ' ');
  uint8_t len[8];
  for (int i = 0; i < 8; ++i) len[i] = uint8_t(uint64_t(header.size()) >> (8 * i));
  io::AtomicFile out(path);
  out.write(len, 8);
  out.write(header);
  // Copy the streamed tensor bytes in chunks (bounded memory).
  if (std::fflush(data_) != 0 || std::fseek(data_, 0, SEEK_SET) != 0)
    fail(path, "", std::string("rereading the temporary tensor data failed: ") + std::strerror(errno));
  std::vector<char> buf(std::size_t(1) << 20);
  uint64_t left = data_bytes_;
  while (left > 0) {
    const std::size_t n = std::fread(buf.data(), 1, std::size_t(std::min<uint64_t>(left, buf.size())), data_);
    if (n == 0) fail(path, "", "the temporary tensor data ended early");
    out.write(buf.data(), n);
    left -= n;
  }
  std::fseek(data_, 0, SEEK_END);
  out.commit();
}

}  // namespace abacus::trace
