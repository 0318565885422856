// Trace of a BitNet model's integer inference (design.md 5.2): one safetensors file with, for
// every BitLinear call, what the model really computed.
//
// Record naming: a record is one BitLinear call, its tensors under the prefix
//   step<s>.layers.<i>.<proj>.   s = 0 for the prefill, 1, 2, ... for the decode steps;
//                                proj one of attn.q attn.k attn.v attn.o ffn.gate ffn.up ffn.down
// with tensors (R = the record's stored token rows, R = T unless sampled with max_tokens)
//   x_q int8 [R, K]   x_scale f32 [R] (or [R, G])   x_offset f32, same shape (b1 shifted form only)
//   acc int32 [R, N] = x_q . w_q^T exactly              y f32 [R, N]
// Weights: version 2 stores each layer's weights once, 2-bit packed (src/quant/packing.h, the
// RTL's code: 00 = 0, 01 = +1, 11 = -1, rows padded to 128 weights):
//   weights.layers.<i>.<proj>.w_packed uint8 [N, row_bytes]   weights.layers.<i>.<proj>.w_scale f32 [G_w]
// version 1 stored w_q int8 [N, K] and w_scale [G_w] in every record (still read).
// Scale convention (abacus everywhere): x ~= x_q / x_scale (+ x_offset), W ~= w_q / w_scale,
// row n of W in weight group n / (N / G_w); y = float(acc) / (x_scale[t] * w_scale[g(n)]).
//
// __metadata__ (all strings): format "abacus-trace", version "2" (or "1"), config (the model
// config JSON), quant ("b1", "b1.58", "b1.58-median"), tokens (JSON array of every token id fed
// to the model, prompt first, then each decoded token), prompt_tokens (count), steps (JSON
// array of {"step", "pos", "tokens"}), records (JSON array of record prefixes in call order),
// scale_convention (the sentence above); version 2 adds sampling ({"layers": [i, ...] or "all",
// "max_tokens": M or 0 = all}): only the listed layers are recorded, and of every record only
// its first min(T, M) token rows.
#pragma once
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "src/io/safetensors.h"
#include "src/model/config.h"
#include "src/nn/bitlinear.h"

namespace abacus::trace {

inline constexpr const char* kFormatName = "abacus-trace";
inline constexpr int kFormatVersion = 2;  // written; 1 is still read
extern const char* const kScaleConvention;

// One step of the run: the prefill (step 0) or one decode step.
struct TraceStep {
  int64_t step = 0;
  int64_t pos = 0;     // position of the step's first token
  int64_t tokens = 0;  // T of every record in the step
};

// One BitLinear call; pointers into the (memory-mapped) trace file, valid while it is open.
struct TraceRecord {
  std::string name;   // "step0.layers.3.attn.q" (tensors are name + ".x_q", ...)
  std::string layer;  // "layers.3.attn.q"
  std::string proj;   // "attn.q"
  int64_t step = 0, block = 0;  // step index, layer (block) index i
  int64_t T = 0, K = 0, N = 0;  // T: the stored token rows (x_q, acc, y have T rows)
  int64_t step_tokens = 0;      // tokens of the step (> T when sampled with max_tokens)
  int64_t G = 1;    // activation scale groups per token (x_scale is [T] when 1, else [T, G])
  int64_t G_w = 1;  // weight scale groups along N
  const int8_t* x_q = nullptr;
  const float* x_scale = nullptr;
  const float* x_offset = nullptr;  // null unless the shifted (b1) input form was used
  const int8_t* w_q = nullptr;
  const float* w_scale = nullptr;
  const int32_t* acc = nullptr;
  const float* y = nullptr;

  int64_t macs() const { return T * K * N; }
  // The weight group of output row n.
  int64_t weight_group(int64_t n) const { return n / (N / G_w); }
};

class TraceFile {
 public:
  // Opens and validates a trace: metadata (format, version, config, quant, tokens, steps,
  // records), then for every record all tensors present with the right dtype and shape
  // (K, N from the config's projection, T from its step), w_q values in the quant mode's set,
  // scales finite and positive, and no tensor that belongs to no record. Any problem is an
  // Error naming the file and the record (and tensor).
  static TraceFile open(const std::string& path);

  const std::string& path() const { return file_.path(); }
  const ModelConfig& config() const { return config_; }
  Quant quant() const { return config_.quant; }
  const std::vector<int32_t>& tokens() const { return tokens_; }
  int64_t prompt_tokens() const { return prompt_tokens_; }
  const std::vector<TraceStep>& steps() const { return steps_; }
  const std::vector<TraceRecord>& records() const { return records_; }  // in call order
  const TraceRecord* find(const std::string& name) const;
  const io::SafetensorsFile& file() const { return file_; }
  int version() const { return version_; }
  // Sampling (version 2): the recorded layers (all of them when not sampled) and max_tokens
  // (0 = every token row). sampled() is true when either left something out.
  const std::vector<int64_t>& layers() const { return layers_; }
  int64_t max_tokens() const { return max_tokens_; }
  bool sampled() const;

 private:
  explicit TraceFile(io::SafetensorsFile f) : file_(std::move(f)) {}
  io::SafetensorsFile file_;
  int version_ = 0;
  std::vector<int64_t> layers_;
  int64_t max_tokens_ = 0;
  // Version 2: each layer's w_q unpacked once (records point into it). A shared_ptr so that
  // TraceFile stays movable without invalidating the records' pointers.
  std::shared_ptr<std::map<std::string, std::vector<int8_t>>> unpacked_;
  ModelConfig config_;
  std::vector<int32_t> tokens_;
  int64_t prompt_tokens_ = 0;
  std::vector<TraceStep> steps_;
  std::vector<TraceRecord> records_;
};

// What a writer records: which layers (empty = all) and how many token rows per record
// (0 = all).
struct TraceSampling {
  std::vector<int64_t> layers;
  int64_t max_tokens = 0;
};

// Parses "0,5,10-12" into sorted distinct layer indices; Error naming `field` otherwise.
std::vector<int64_t> parse_layer_list(const std::string& text, const std::string& field);

// Collects BitLinear records during inference and writes them as a version 2 trace. Records
// stream to a temporary file as they arrive (memory: the header entries, not the tensors);
// each layer's weights are packed and stored the first time the layer is seen.
// Use: begin_step(pos, n) before each InferenceModel::forward, pass observer() to it.
class TraceWriter {
 public:
  TraceWriter(const ModelConfig& config, std::vector<int32_t> prompt, TraceSampling sampling = {});
  ~TraceWriter();
  TraceWriter(const TraceWriter&) = delete;  // the observer points at this object
  TraceWriter& operator=(const TraceWriter&) = delete;

  // Starts step (0 = prefill, then 1, 2, ...) covering `tokens` tokens at `pos`.
  void begin_step(int64_t pos, const std::vector<int32_t>& step_tokens);
  // Stores one record of the current step (the observer calls this); skipped when its layer
  // is not sampled.
  void add(const nn::BitLinearRecord& r);
  // An observer that adds to this writer; valid while the writer lives.
  const nn::BitLinearObserver& observer() const { return observer_; }

  int64_t record_count() const { return int64_t(record_names_.size()); }
  std::size_t size_estimate() const { return std::size_t(data_bytes_) + 4096; }
  // Writes atomically; the writer may be written only after at least one record.
  void write(const std::string& path);

 private:
  struct Entry {
    std::string name;
    io::DType dtype;
    std::vector<int64_t> shape;
    uint64_t begin = 0, end = 0;
  };
  void put(const std::string& name, io::DType dtype, std::vector<int64_t> shape, const void* data, std::size_t n);

  ModelConfig config_;
  TraceSampling sampling_;
  std::vector<int32_t> tokens_;
  int64_t prompt_tokens_ = 0;
  std::vector<TraceStep> steps_;
  std::vector<std::string> record_names_;
  std::vector<Entry> entries_;
  std::set<std::string> weights_stored_;
  std::FILE* data_ = nullptr;  // anonymous temporary file of the tensor bytes
  uint64_t data_bytes_ = 0;
  nn::BitLinearObserver observer_;
};

// Splits "layers.3.attn.q" into block 3 and proj "attn.q"; false if it is not of that form.
bool parse_layer_name(const std::string& layer, int64_t* block, std::string* proj);

}  // namespace abacus::trace
