#include "src/families/bit_dense.h"

#include <algorithm>

#include "src/families/act_quant_q.h"
#include "src/nn/layernorm.h"
#include "src/quant/int_gemm.h"
#include "src/quant/weight_quant.h"
#include "src/tensor/matmul.h"
#include "src/util/error.h"

namespace abacus::families {
namespace {

void check(const DenseSpec& s) {
  if (s.in < 1 || s.out < 1) fail("", "dense", "in and out must be >= 1");
  if (s.quant == Quant::b1) fail("", "quant", "b1 is not a setting of the bottom-up families (fp, b1.58, b1.58-median)");
  if (s.act_q != 127.f && s.act_q != 128.f) fail("", "act_scale", "must be 127 or 128");
}

template <class T>
void ternary_weights(const DenseSpec& s, const T* W, std::vector<int8_t>& w_q, float* w_scale) {
  w_q.resize(size_t(s.out * s.in));
  quant::quantize_weights(quant::weight_quant_for(s.quant), W, s.out, s.in, 1, w_q.data(), w_scale);
}

}  // namespace

template <class T>
void dense_forward(const DenseSpec& s, T* y, const T* x, const T* W, const T* b, int64_t rows, DenseSaved<T>& saved) {
  check(s);
  const T* bias = s.bias ? b : nullptr;
  if (!s.quantized()) {
    tensor::matmul_forward(y, x, W, bias, rows, s.in, s.out);
    return;
  }
  saved.mean.resize(static_cast<size_t>(rows));
  saved.rstd.resize(static_cast<size_t>(rows));
  saved.x_tilde.resize(size_t(rows * s.in));
  saved.w_tilde.resize(size_t(s.out * s.in));
  nn::layernorm_forward<T>(saved.x_tilde.data(), saved.mean.data(), saved.rstd.data(), x, nullptr, nullptr, rows,
                           s.in, s.ln_eps);
  std::vector<int8_t> x_q(size_t(rows * s.in));
  std::vector<float> x_scale(static_cast<size_t>(rows));
  quantize_rows_absmax(saved.x_tilde.data(), rows, s.in, s.act_q, x_q.data(), x_scale.data());
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < s.in; ++c) saved.x_tilde[size_t(r * s.in + c)] = T(x_q[size_t(r * s.in + c)]) / T(x_scale[size_t(r)]);
  std::vector<int8_t> w_q;
  float w_scale = 0;
  ternary_weights(s, W, w_q, &w_scale);
  quant::dequantize_weights(w_q.data(), &w_scale, s.out, s.in, 1, saved.w_tilde.data());
  tensor::matmul_forward(y, saved.x_tilde.data(), saved.w_tilde.data(), bias, rows, s.in, s.out);
}

template <class T>
void dense_backward(const DenseSpec& s, T* dx, T* dW, T* db, const T* dy, const T* x, const T* W, int64_t rows,
                    const DenseSaved<T>& saved) {
  T* dbias = s.bias ? db : nullptr;
  if (!s.quantized()) {
    tensor::matmul_backward(dx, dW, dbias, dy, x, W, rows, s.in, s.out);
    return;
  }
  // STE: the gradient reaches the LayerNorm output and W unchanged.
  std::vector<T> dxn(dx ? size_t(rows * s.in) : 0, T(0));
  tensor::matmul_backward(dx ? dxn.data() : nullptr, dW, dbias, dy, saved.x_tilde.data(), saved.w_tilde.data(), rows,
                          s.in, s.out);
  if (dx)
    nn::layernorm_backward<T>(dx, nullptr, nullptr, dxn.data(), x, nullptr, saved.mean.data(), saved.rstd.data(), rows,
                              s.in);
}

void dense_int_forward(const DenseSpec& s, float* y, const float* x, const float* W, const float* b, int64_t rows,
                       DenseRecord* rec) {
  check(s);
  if (!s.quantized()) fail("", "quant", "the integer inference path needs a quantized layer (b1.58 or b1.58-median)");
  DenseRecord local;
  DenseRecord& r = rec ? *rec : local;
  r.T = rows, r.K = s.in, r.N = s.out;
  std::vector<float> xn(static_cast<size_t>(rows * s.in)), mean(static_cast<size_t>(rows)), rstd(static_cast<size_t>(rows));
  nn::layernorm_forward<float>(xn.data(), mean.data(), rstd.data(), x, nullptr, nullptr, rows, s.in, s.ln_eps);
  r.x_q.resize(size_t(rows * s.in));
  r.x_scale.resize(static_cast<size_t>(rows));
  quantize_rows_absmax(xn.data(), rows, s.in, s.act_q, r.x_q.data(), r.x_scale.data());
  r.w_scale.assign(1, 0.f);
  ternary_weights(s, W, r.w_q, r.w_scale.data());
  r.acc.resize(size_t(rows * s.out));
  quant::int8_gemm_ref(r.x_q.data(), r.w_q.data(), r.acc.data(), rows, s.in, s.out);
  r.y.resize(size_t(rows * s.out));
  for (int64_t t = 0; t < rows; ++t)
    for (int64_t n = 0; n < s.out; ++n) {
      const float v = float(r.acc[size_t(t * s.out + n)]) / (r.x_scale[size_t(t)] * r.w_scale[0]);
      r.y[size_t(t * s.out + n)] = v;
      y[t * s.out + n] = v + (s.bias && b ? b[n] : 0.f);
    }
}

template void dense_forward<float>(const DenseSpec&, float*, const float*, const float*, const float*, int64_t,
                                   DenseSaved<float>&);
template void dense_forward<double>(const DenseSpec&, double*, const double*, const double*, const double*, int64_t,
                                    DenseSaved<double>&);
template void dense_backward<float>(const DenseSpec&, float*, float*, float*, const float*, const float*, const float*,
                                    int64_t, const DenseSaved<float>&);
template void dense_backward<double>(const DenseSpec&, double*, double*, double*, const double*, const double*,
                                     const double*, int64_t, const DenseSaved<double>&);

}  // namespace abacus::families
