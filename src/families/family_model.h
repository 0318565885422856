// The bottom-up paper's four families over Brown data, in fp / b1.58 / b1.58-median:
//   mlp      WideMLP: bag-of-words [V] -> dense(V, H) -> ReLU -> dense(H, classes)
//   sgc      SGC, k = 2: logits = dense(S^2 X) over the TextGCN graph (S = normalised adjacency)
//   gcn      2-layer GCN: logits = S dense(ReLU(S dense(X)))   (Kipf & Welling order S (X W))
//   encoder  BERT-style: token + learned position embeddings, pre-LN blocks (bidirectional
//            multi-head attention, GELU FFN), final LN, fp output head; masked-LM (15 %,
//            80/10/10 [MASK]/random/kept)
//   encdec   T5-style: encoder (bidirectional) and decoder (causal self-attention +
//            cross-attention), relative position bias (T5 buckets, one table per stack shared
//            across its layers, none on cross-attention), ReLU FFN, no biases, pre-LN; span
//            corruption with sentinel tokens
// Every dense layer of the model body is a families::dense (bit_dense.h) in the config's
// quant mode; embeddings, output heads, norms, biases and attention scores stay full precision
// (papers.md 1). Norms are LayerNorm with gain and bias (T5 uses RMSNorm: a stated difference).
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "src/families/brown_data.h"
#include "src/families/family_config.h"
#include "src/families/tape.h"
#include "src/tensor/rng.h"

namespace abacus::families {

struct ParamInfo {
  std::string name;
  int64_t offset = 0, rows = 0, cols = 0;
  bool decay = false;     // weight matrices; not norms, biases, embeddings
  enum class Init { normal, ones, zeros } init = Init::normal;
  float std = 0.02f;
};

struct ParamLayout {
  std::vector<ParamInfo> params;
  int64_t total = 0;
  const ParamInfo& at(const std::string& name) const;
  void add(const std::string& name, int64_t rows, int64_t cols, bool decay, ParamInfo::Init init, float std = 0.02f);
};

// Token ids of the transformer families: 0 [PAD] (also the decoder's start token), 1 [UNK],
// 2 [MASK], then kSentinels sentinels (encdec), then the vocabulary words.
inline constexpr int32_t kPad = 0, kUnk = 1, kMask = 2, kSentinels = 32;

// Everything the model reads from the corpus, built once (deterministic for a corpus + config).
struct FamilyDataset {
  std::vector<TextChunk> chunks;
  Vocab vocab;
  int64_t classes = 0;       // mlp/sgc/gcn
  int64_t input_dim = 0;     // mlp/sgc/gcn: V
  int64_t token_vocab = 0;   // encoder/encdec
  std::vector<int32_t> labels;            // per chunk (mlp/sgc/gcn)
  std::vector<float> features;            // mlp: [chunks, V]; sgc: S^2 X rows of the chunks
  std::shared_ptr<TextGraph> graph;       // gcn (and sgc, for its trace workload)
  std::shared_ptr<Csr> adj_t;             // gcn: S^T
  std::vector<std::vector<int32_t>> train_seqs, test_seqs;  // transformer token ids
  int64_t first_word_id() const;
  std::vector<int64_t> train_rows, test_rows;  // chunk indices of each split
};
FamilyDataset build_dataset(const FamilyConfig& c, const std::string& data_dir);

ParamLayout family_layout(const FamilyConfig& c, const FamilyDataset& d);
// Deterministic initialisation from the seed.
std::vector<float> init_params(const ParamLayout& L, uint64_t seed);

// One batch for any family: which rows (mlp, sgc, gcn: chunk indices; graph families use all
// nodes with targets on these), or which sequences (transformers), with the corruption RNG.
struct Batch {
  std::vector<int64_t> rows;
  bool test = false;
  uint64_t noise_seed = 0;  // MLM / span-corruption sampling
};

// Builds the forward graph of the family on the tape; returns the loss (mean CE) and fills
// `correct`/`counted` (argmax accuracy over the labelled rows or masked tokens).
template <class T>
double family_forward(Tape<T>& tape, const FamilyConfig& c, const FamilyDataset& d, const ParamLayout& L, T* params,
                      T* grads, const Batch& b, int64_t* correct, int64_t* counted);

// Span corruption of one sequence (encdec): encoder input, decoder input, decoder targets.
struct SpanCorruption {
  std::vector<int32_t> input, dec_input, target;
};
SpanCorruption span_corrupt(const std::vector<int32_t>& seq, double fraction, double mean_span, tensor::Rng& rng);
// T5 relative position bucket of (key j - query i).
int32_t relative_bucket(int64_t rel, bool bidirectional, int64_t buckets, int64_t max_distance);

struct EvalResult {
  double loss = 0, accuracy = 0;
  int64_t count = 0;
};

struct TrainLog {
  int64_t step = 0;
  double loss = 0, lr = 0;
};

// Trains in place (AdamW from src/train; linear warm-up then linear decay to 0).
void train_family(const FamilyConfig& c, const FamilyDataset& d, const ParamLayout& L, std::vector<float>& params,
                  uint64_t seed, const std::function<void(const TrainLog&)>& log);
// Test-split loss and accuracy (fixed corruption seed, so every model sees the same masks).
// Transformers: over the first kEvalSequences test sequences.
inline constexpr int64_t kEvalSequences = 384;
EvalResult evaluate_family(const FamilyConfig& c, const FamilyDataset& d, const ParamLayout& L,
                           std::vector<float>& params);

// Checkpoint: safetensors, one f32 tensor per parameter, metadata format "abacus-family",
// config (JSON), vocab (JSON array, checked against the corpus on load).
void save_family_checkpoint(const std::string& path, const FamilyConfig& c, const FamilyDataset& d,
                            const ParamLayout& L, const std::vector<float>& params);
struct FamilyCheckpoint {
  FamilyConfig config;
  std::vector<std::string> vocab;
  std::map<std::string, std::vector<float>> tensors;
};
FamilyCheckpoint load_family_checkpoint(const std::string& path);
// Parameters of `L` from a checkpoint (shape-checked, errors name the file and tensor).
std::vector<float> checkpoint_params(const FamilyCheckpoint& ck, const FamilyDataset& d, const ParamLayout& L,
                                     const std::string& path);

}  // namespace abacus::families
