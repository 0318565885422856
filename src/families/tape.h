// A small reverse-mode tape over the explicit layer functions: each op runs a layer's forward
// (src/nn, bit_dense.h, attention_full.h, csr.h) and records a closure that calls the same
// layer's backward. Models are written once as forward code; the tape replays the backward
// calls in reverse order. Values are row-major [rows, cols]; gradients accumulate (+=).
// Leaves: parameters (views into the caller's flat arrays) and constant inputs (no gradient).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "src/families/attention_full.h"
#include "src/families/bit_dense.h"
#include "src/families/csr.h"
#include "src/nn/activations.h"
#include "src/nn/cross_entropy.h"
#include "src/nn/layernorm.h"
#include "src/util/error.h"

namespace abacus::families {

// Called with each quantized dense layer's integer record when the tape runs in inference
// (trace) mode.
using DenseObserver = std::function<void(const std::string& name, const DenseSpec& spec, const DenseRecord& rec)>;

// One op of a forward pass, as the accelerator/energy workload sees it (family_trace.h):
// kind "bitlinear" (T, K, N), "dense_fp" (a full-precision dense, e.g. the MLM head),
// "layernorm" / "act" / "add" (elements), "attention" (attn shape), "spmm" (rows, nnz, F and
// the row-degree histogram).
struct FamilyOp {
  std::string kind, name;
  int64_t elements = 0;
  int64_t T = 0, K = 0, N = 0;
  AttnShape attn;
  int64_t rows = 0, nnz = 0, F = 0;
  std::vector<std::pair<int64_t, int64_t>> degree_hist;  // (degree, rows with it)
};

template <class T>
class Tape {
 public:
  // Integer inference mode (float only): quantized dense layers run dense_int_forward and
  // report to the observer; no backward is possible.
  void set_inference(const DenseObserver* observer) { inference_ = true, observer_ = observer; }
  // Appends every op of the forward to `log` (null: off).
  void set_op_log(std::vector<FamilyOp>* log) { log_ = log; }

  int param(T* v, T* g, int64_t rows, int64_t cols) { return push_view(v, g, rows, cols); }
  int input(std::vector<T> v, int64_t rows, int64_t cols) {
    if (int64_t(v.size()) != rows * cols) fail("", "tape", "input size mismatch");
    Node n;
    n.rows = rows, n.cols = cols, n.own = std::move(v), n.v = n.own.data();
    nodes_.push_back(std::move(n));
    return int(nodes_.size()) - 1;
  }
  const T* val(int id) const { return nodes_[size_t(id)].v; }
  T* grad(int id) const { return nodes_[size_t(id)].g; }
  int64_t rows(int id) const { return nodes_[size_t(id)].rows; }
  int64_t cols(int id) const { return nodes_[size_t(id)].cols; }

  // y = dense(x) with weight W [out, in] and bias b [out] (b = -1: none).
  int dense(const DenseSpec& spec, int x, int W, int b, const std::string& name = "") {
    check_cols(x, spec.in, "dense input");
    const int64_t R = rows(x);
    const int y = make(R, spec.out, needs(x) || needs(W) || (b >= 0 && needs(b)));
    DenseSpec s = spec;
    s.bias = b >= 0;
    if (log_) {
      FamilyOp o;
      o.kind = s.quantized() ? "bitlinear" : "dense_fp", o.name = name, o.T = R, o.K = s.in, o.N = s.out;
      log_->push_back(o);
    }
    if (inference_ && s.quantized()) {
      if constexpr (std::is_same_v<T, float>) {
        DenseRecord rec;
        dense_int_forward(s, nodes_[size_t(y)].v, val(x), val(W), b >= 0 ? val(b) : nullptr, R, &rec);
        if (observer_ && *observer_) (*observer_)(name, s, rec);
        return y;
      }
    }
    auto saved = std::make_shared<DenseSaved<T>>();
    dense_forward(s, nodes_[size_t(y)].v, val(x), val(W), b >= 0 ? val(b) : nullptr, R, *saved);
    backs_.push_back([=, this] {
      dense_backward(s, grad(x), grad(W), b >= 0 ? grad(b) : nullptr, grad(y), val(x), val(W), R, *saved);
    });
    return y;
  }

  // LayerNorm over cols with gain g and bias b (param ids, -1 for none).
  int layernorm(int x, int g, int b, double eps = 1e-5) {
    const int64_t R = rows(x), C = cols(x);
    const int y = make(R, C, needs(x) || g >= 0 || b >= 0);
    note("layernorm", R * C);
    auto mean = std::make_shared<std::vector<T>>(size_t(R)), rstd = std::make_shared<std::vector<T>>(static_cast<size_t>(R));
    nn::layernorm_forward<T>(nodes_[size_t(y)].v, mean->data(), rstd->data(), val(x), g >= 0 ? val(g) : nullptr,
                             b >= 0 ? val(b) : nullptr, R, C, eps);
    backs_.push_back([=, this] {
      nn::layernorm_backward<T>(grad(x), g >= 0 ? grad(g) : nullptr, b >= 0 ? grad(b) : nullptr, grad(y), val(x),
                                g >= 0 ? val(g) : nullptr, mean->data(), rstd->data(), R, C);
    });
    return y;
  }

  int add(int a, int b) {
    if (rows(a) != rows(b) || cols(a) != cols(b)) fail("", "tape", "add: shape mismatch");
    const int y = make(rows(a), cols(a), needs(a) || needs(b));
    note("add", rows(a) * cols(a));
    const int64_t n = rows(a) * cols(a);
    for (int64_t i = 0; i < n; ++i) nodes_[size_t(y)].v[i] = val(a)[i] + val(b)[i];
    backs_.push_back([=, this] {
      for (int64_t i = 0; i < n; ++i) {
        if (grad(a)) grad(a)[i] += grad(y)[i];
        if (grad(b)) grad(b)[i] += grad(y)[i];
      }
    });
    return y;
  }

  // x [B*Tn, C] + pos[t % Tn] with pos a [>= Tn, C] table.
  int add_positions(int x, int pos, int64_t Tn) {
    const int64_t R = rows(x), C = cols(x);
    check_cols(pos, C, "positions");
    if (rows(pos) < Tn) fail("", "max_positions", "sequence longer than the position table");
    const int y = make(R, C, true);
    for (int64_t r = 0; r < R; ++r)
      for (int64_t c = 0; c < C; ++c) nodes_[size_t(y)].v[r * C + c] = val(x)[r * C + c] + val(pos)[(r % Tn) * C + c];
    backs_.push_back([=, this] {
      for (int64_t r = 0; r < R; ++r)
        for (int64_t c = 0; c < C; ++c) {
          const T g = grad(y)[r * C + c];
          if (grad(x)) grad(x)[r * C + c] += g;
          if (grad(pos)) grad(pos)[(r % Tn) * C + c] += g;
        }
    });
    return y;
  }

  int relu(int x) {
    const int64_t n = rows(x) * cols(x);
    const int y = make(rows(x), cols(x), needs(x));
    note("act", n);
    for (int64_t i = 0; i < n; ++i) nodes_[size_t(y)].v[i] = std::max(val(x)[i], T(0));
    backs_.push_back([=, this] {
      if (grad(x))
        for (int64_t i = 0; i < n; ++i)
          if (val(x)[i] > T(0)) grad(x)[i] += grad(y)[i];
    });
    return y;
  }

  int gelu(int x) {
    const int64_t n = rows(x) * cols(x);
    const int y = make(rows(x), cols(x), needs(x));
    note("act", n);
    nn::gelu_forward<T>(nodes_[size_t(y)].v, val(x), n);
    backs_.push_back([=, this] {
      if (grad(x)) nn::gelu_backward<T>(grad(x), grad(y), val(x), n);
    });
    return y;
  }

  // Rows ids of a [V, C] table.
  int embed(const std::vector<int32_t>& ids, int table) {
    const int64_t R = int64_t(ids.size()), C = cols(table), V = rows(table);
    const int y = make(R, C, needs(table));
    for (int64_t r = 0; r < R; ++r) {
      if (ids[size_t(r)] < 0 || ids[size_t(r)] >= V) fail("", "tokens", "token id out of range");
      std::copy(val(table) + ids[size_t(r)] * C, val(table) + (ids[size_t(r)] + 1) * C, nodes_[size_t(y)].v + r * C);
    }
    backs_.push_back([=, this] {
      if (grad(table))
        for (int64_t r = 0; r < R; ++r)
          for (int64_t c = 0; c < C; ++c) grad(table)[ids[size_t(r)] * C + c] += grad(y)[r * C + c];
    });
    return y;
  }

  // The rows idx of x (gather), e.g. the masked positions whose tokens the MLM head predicts.
  int gather_rows(int x, const std::vector<int64_t>& idx) {
    const int64_t C = cols(x);
    const int y = make(int64_t(idx.size()), C, needs(x));
    for (size_t r = 0; r < idx.size(); ++r) std::copy(val(x) + idx[r] * C, val(x) + (idx[r] + 1) * C, nodes_[size_t(y)].v + int64_t(r) * C);
    backs_.push_back([=, this] {
      if (grad(x))
        for (size_t r = 0; r < idx.size(); ++r)
          for (int64_t c = 0; c < C; ++c) grad(x)[idx[r] * C + c] += grad(y)[int64_t(r) * C + c];
    });
    return y;
  }

  // Relative position bias [H, Tq*Tk] from a [buckets, H] table and a bucket index per (i, j).
  int position_bias(int table, const std::vector<int32_t>& bucket, int64_t H) {
    const int64_t P = int64_t(bucket.size());
    check_cols(table, H, "relative bias table");
    const int y = make(H, P, needs(table));
    for (int64_t h = 0; h < H; ++h)
      for (int64_t p = 0; p < P; ++p) nodes_[size_t(y)].v[h * P + p] = val(table)[bucket[size_t(p)] * H + h];
    backs_.push_back([=, this] {
      if (grad(table))
        for (int64_t h = 0; h < H; ++h)
          for (int64_t p = 0; p < P; ++p) grad(table)[bucket[size_t(p)] * H + h] += grad(y)[h * P + p];
    });
    return y;
  }

  // Multi-head attention; q [B*Tq, H*hd], k, v [B*Tk, H*hd]; bias id or -1.
  int attention(int q, int k, int v, int bias, const AttnShape& s) {
    const int y = make(s.B * s.Tq, s.H * s.hd, true);
    if (log_) {
      FamilyOp o;
      o.kind = "attention", o.attn = s;
      log_->push_back(o);
    }
    auto att = std::make_shared<std::vector<T>>(size_t(s.B * s.H * s.Tq * s.Tk));
    attn_forward<T>(nodes_[size_t(y)].v, att->data(), val(q), val(k), val(v), bias >= 0 ? val(bias) : nullptr, s);
    backs_.push_back([=, this] {
      attn_backward<T>(grad(q), grad(k), grad(v), bias >= 0 ? grad(bias) : nullptr, grad(y), att->data(), val(q),
                       val(k), val(v), s);
    });
    return y;
  }

  // y = A x (CSR), At = A^T for the backward.
  int spmm(const Csr* A, const Csr* At, int x) {
    if (A->cols != rows(x)) fail("", "tape", "spmm: shape mismatch");
    const int64_t F = cols(x);
    const int y = make(A->rows, F, needs(x));
    if (log_) {
      FamilyOp o;
      o.kind = "spmm", o.rows = A->rows, o.nnz = A->nnz(), o.F = F;
      std::map<int64_t, int64_t> hist;
      for (int64_t i = 0; i < A->rows; ++i) ++hist[A->row_ptr[size_t(i + 1)] - A->row_ptr[size_t(i)]];
      o.degree_hist.assign(hist.begin(), hist.end());
      log_->push_back(o);
    }
    families::spmm<T>(*A, val(x), nodes_[size_t(y)].v, F);
    backs_.push_back([=, this] {
      if (grad(x)) spmm_backward<T>(*At, grad(y), grad(x), F);
    });
    return y;
  }

  // Mean softmax cross-entropy over the rows whose target is >= 0; the tape's loss.
  double cross_entropy(int logits, const std::vector<int32_t>& targets) {
    const int64_t R = rows(logits), V = cols(logits);
    if (int64_t(targets.size()) != R) fail("", "tape", "targets size mismatch");
    int64_t counted = 0;
    for (int32_t t : targets) counted += t >= 0;
    if (counted == 0) fail("", "targets", "no labelled row in the batch");
    const T scale = T(1) / T(counted);
    std::vector<T> losses(static_cast<size_t>(R));
    const double sum = nn::softmax_cross_entropy<T>(losses.data(), nullptr, val(logits), targets.data(), R, V, scale);
    backs_.push_back([=, this] {
      if (!grad(logits)) return;
      std::vector<T> d(size_t(R * V));
      nn::softmax_cross_entropy<T>(nullptr, d.data(), val(logits), targets.data(), R, V, scale);
      for (int64_t i = 0; i < R * V; ++i) grad(logits)[i] += d[size_t(i)];
    });
    loss_set_ = true;
    return sum / double(counted);
  }

  // Runs every recorded backward in reverse (after cross_entropy).
  void backward() {
    if (inference_) fail("", "tape", "no backward in inference mode");
    if (!loss_set_) fail("", "tape", "backward before a loss");
    for (auto it = backs_.rbegin(); it != backs_.rend(); ++it) (*it)();
  }

 private:
  struct Node {
    int64_t rows = 0, cols = 0;
    std::vector<T> own, own_g;
    T* v = nullptr;
    T* g = nullptr;
  };
  int push_view(T* v, T* g, int64_t rows, int64_t cols) {
    Node n;
    n.rows = rows, n.cols = cols, n.v = v, n.g = g;
    nodes_.push_back(std::move(n));
    return int(nodes_.size()) - 1;
  }
  int make(int64_t rows, int64_t cols, bool with_grad) {
    Node n;
    n.rows = rows, n.cols = cols;
    n.own.assign(size_t(rows * cols), T(0));
    n.v = n.own.data();
    if (with_grad && !inference_) {
      n.own_g.assign(size_t(rows * cols), T(0));
      n.g = n.own_g.data();
    }
    nodes_.push_back(std::move(n));
    return int(nodes_.size()) - 1;
  }
  void note(const char* kind, int64_t elements) {
    if (!log_) return;
    FamilyOp o;
    o.kind = kind, o.elements = elements;
    log_->push_back(o);
  }
  bool needs(int id) const { return nodes_[size_t(id)].g != nullptr; }
  void check_cols(int id, int64_t c, const char* what) const {
    if (cols(id) != c) fail("", what, "expected " + std::to_string(c) + " columns, got " + std::to_string(cols(id)));
  }

  std::vector<Node> nodes_;
  std::vector<std::function<void()>> backs_;
  bool inference_ = false, loss_set_ = false;
  const DenseObserver* observer_ = nullptr;
  std::vector<FamilyOp>* log_ = nullptr;
};

}  // namespace abacus::families
