// The Verilated RTL tile (Verilator --sc output, class M) as a clocked tile of the SystemC model:
// an sc_module that owns the RTL instance and its port signals, and drives the tile's command,
// weight and activation streams cycle by cycle with the protocol of rtl/README.md, collecting
// the output stream into each unit's accumulators.
//
// Timing: the model's threads call in at whole nanoseconds (one cycle = 1 ns). A cycle writes
// the inputs and a falling clock, waits half a cycle (the RTL's combinational outputs settle),
// samples every handshake as the rising edge will see it, raises the clock and waits the other
// half. The clock only runs while the model uses the tile, so a run without co-simulation
// never evaluates the RTL.
#pragma once
#include <cstdint>
#include <deque>
#include <string>
#include <systemc>
#include <type_traits>
#include <utility>
#include <vector>

#include "sim/systemc/clocked_tile.h"
#include "sim/verilator/rtl_tile.h"
#include "src/util/error.h"

namespace abacus::cosim {

template <class M>
class RtlTileModule final : public sc_core::sc_module, public sim::ClockedTile {
  template <class Port>
  using data_t = typename std::remove_reference_t<Port>::data_type;
  using OpBits = data_t<decltype(std::declval<M&>().cmd_op)>;
  using CountBits = data_t<decltype(std::declval<M&>().cmd_tokens)>;
  using WeightBits = data_t<decltype(std::declval<M&>().w_data)>;
  using ActBits = data_t<decltype(std::declval<M&>().act_data)>;
  using OutBits = data_t<decltype(std::declval<M&>().out_data)>;

 public:
  RtlTileModule(sc_core::sc_module_name name, rtl::TileShape shape, int max_ksteps)
      : sc_core::sc_module(name), shape_(shape), max_ksteps_(max_ksteps), rtl_("rtl") {
    rtl_.clk(clk_);
    rtl_.rst_n(rst_n_);
    rtl_.cmd_valid(cmd_valid_);
    rtl_.cmd_ready(cmd_ready_);
    rtl_.cmd_error(cmd_error_);
    rtl_.cmd_op(cmd_op_);
    rtl_.cmd_tokens(cmd_tokens_);
    rtl_.cmd_ksteps(cmd_ksteps_);
    rtl_.w_valid(w_valid_);
    rtl_.w_ready(w_ready_);
    rtl_.w_data(w_data_);
    rtl_.act_valid(act_valid_);
    rtl_.act_ready(act_ready_);
    rtl_.act_data(act_data_);
    rtl_.out_valid(out_valid_);
    rtl_.out_ready(out_ready_);
    rtl_.out_data(out_data_);
    out_ready_.write(true);  // the output buffer always has room for one token's results
  }

  std::string name() const override { return "rtl " + rtl::tile_name(shape_); }

  // Adds every port signal to a SystemC trace file (a VCD the co-simulation writes).
  void trace(sc_core::sc_trace_file* tf) const {
    const std::string p = std::string(basename()) + ".";
    sc_core::sc_trace(tf, clk_, p + "clk");
    sc_core::sc_trace(tf, rst_n_, p + "rst_n");
    sc_core::sc_trace(tf, cmd_valid_, p + "cmd_valid");
    sc_core::sc_trace(tf, cmd_ready_, p + "cmd_ready");
    sc_core::sc_trace(tf, cmd_error_, p + "cmd_error");
    sc_core::sc_trace(tf, cmd_op_, p + "cmd_op");
    sc_core::sc_trace(tf, cmd_tokens_, p + "cmd_tokens");
    sc_core::sc_trace(tf, cmd_ksteps_, p + "cmd_ksteps");
    sc_core::sc_trace(tf, w_valid_, p + "w_valid");
    sc_core::sc_trace(tf, w_ready_, p + "w_ready");
    sc_core::sc_trace(tf, w_data_, p + "w_data");
    sc_core::sc_trace(tf, act_valid_, p + "act_valid");
    sc_core::sc_trace(tf, act_ready_, p + "act_ready");
    sc_core::sc_trace(tf, act_data_, p + "act_data");
    sc_core::sc_trace(tf, out_valid_, p + "out_valid");
    sc_core::sc_trace(tf, out_ready_, p + "out_ready");
    sc_core::sc_trace(tf, out_data_, p + "out_data");
  }

  bool matches(const sim::AccelConfig& c) const override {
    const rtl::TileArch arch = c.pe == sim::PeStyle::lut                 ? rtl::TileArch::lut
                               : c.weights == sim::WeightMode::binary ? rtl::TileArch::binary
                                                                      : rtl::TileArch::ternary;
    if (c.pe == sim::PeStyle::lut && (c.weights == sim::WeightMode::binary || c.lut_group != shape_.lut_group))
      return false;
    // The model's unit results meet in its accumulators; only a 32-bit wrapping sum splits that way.
    return c.pe != sim::PeStyle::mac && c.acc_bits == 32 && c.acc_overflow == sim::AccOverflow::wrap &&
           shape_.acc_bits == 32 && !shape_.saturate && arch == shape_.arch && c.n_t == shape_.n_t &&
           c.k_t == shape_.k_t;
  }

  std::string unsupported(const sim::GemmPlan& p) const override {
    if (p.ktiles_per_chunk > max_ksteps_)
      return "a weight-buffer slot holds " + std::to_string(p.ktiles_per_chunk) + " k-steps, the RTL tile " +
             std::to_string(max_ksteps_) + " (its MAX_KS); use a smaller weight_buffer_kib";
    if (p.T > rtl::max_tokens())
      return "T = " + std::to_string(p.T) + " exceeds the tile's 16-bit token count";
    return "";
  }

  void reset() override {
    rst_n_.write(false);
    cmd_valid_.write(false);
    w_valid_.write(false);
    act_valid_.write(false);
    for (int i = 0; i < 2; ++i) cycle();
    rst_n_.write(true);
    pending_.clear();
  }

  sim::TileUnitCycles run_unit(const sim::TileUnitWork& u) override {
    sim::TileUnitCycles r;
    const int64_t start = cycles_;
    pending_.push_back({u.acc, u.acc_stride, u.n_cols, u.T, 0});
    command(kOpLoadW, u.T, u.k_steps);
    for (int64_t s = 0; s < u.k_steps; ++s) {
      put_weights(u, s);
      w_valid_.write(true);
      until_fired(w_fire_, "weight beat");
    }
    w_valid_.write(false);
    command(kOpRun, u.T, u.k_steps);
    for (int64_t t = 0; t < u.T; ++t)
      for (int64_t s = 0; s < u.k_steps; ++s) {
        put_acts(u, t, s);
        act_valid_.write(true);
        until_fired(act_fire_, "activation beat");
        ++r.compute;
      }
    act_valid_.write(false);
    r.total = cycles_ - start;
    return r;
  }

  int64_t drain() override {
    const int64_t start = cycles_;
    command(kOpDrain, 0, 0);
    // Idle again once every result has left; read at the cycle boundary, like the harness's
    // driver, which stops at the first cycle that samples cmd_ready.
    for (int64_t n = 0; !cmd_ready_.read(); ++n) {
      if (n > kStallLimit) fail("co-simulation", name(), "the tile did not drain");
      cycle();
    }
    if (!pending_.empty()) fail("co-simulation", name(), "drained with results still missing");
    return cycles_ - start;
  }

 private:
  enum : unsigned { kOpLoadW = 0, kOpRun = 1, kOpDrain = 2 };
  static constexpr int64_t kStallLimit = 1 << 20;

  struct Destination {  // where the results of one unit go, in issue order
    int32_t* acc;
    int64_t stride, n_cols, T, received;
  };

  void cycle() {
    clk_.write(false);
    sc_core::wait(half_);
    cmd_fire_ = cmd_valid_.read() && cmd_ready_.read();
    w_fire_ = w_valid_.read() && w_ready_.read();
    act_fire_ = act_valid_.read() && act_ready_.read();
    if (out_valid_.read() && out_ready_.read()) collect();
    clk_.write(true);
    sc_core::wait(half_);
    ++cycles_;
  }

  void until_fired(const bool& fired, const char* what) {
    for (int64_t n = 0;; ++n) {
      if (n > kStallLimit) fail("co-simulation", name(), std::string("the tile never accepted a ") + what);
      cycle();
      if (fired) return;
    }
  }

  void command(unsigned op, int64_t tokens, int64_t ksteps) {
    OpBits o;
    o = op;
    CountBits t, k;
    t = unsigned(tokens);
    k = unsigned(ksteps);
    cmd_op_.write(o);
    cmd_tokens_.write(t);
    cmd_ksteps_.write(k);
    cmd_valid_.write(true);
    until_fired(cmd_fire_, "command");
    cmd_valid_.write(false);
    if (cmd_error_.read()) fail("co-simulation", name(), "the tile flagged an illegal command (cmd_error)");
  }

  // k-step s of every column: the slot's codes in the tile's 2-bit weight format (rtl/README.md);
  // padding lanes get 0 (ternary) or +1 (binary, which has no zero; their activations are 0).
  void put_weights(const sim::TileUnitWork& u, int64_t s) {
    const uint32_t pad = shape_.arch == rtl::TileArch::binary ? 1u : 0u;
    words_.assign(size_t((shape_.n_t * shape_.k_t * 2 + 31) / 32), 0);
    for (int n = 0; n < shape_.n_t; ++n)
      for (int k = 0; k < shape_.k_t; ++k) {
        const int64_t gk = s * shape_.k_t + k;
        uint32_t code = pad;
        if (u.codes && n < u.n_cols && gk < u.k_len) {
          const int64_t bit = (n * u.k_len + gk) * u.wbits;
          const uint32_t c = (u.codes[bit / 8] >> (bit % 8)) & ((1u << u.wbits) - 1);
          code = u.wbits == 1 ? (c ? 3u : 1u) : c;
        }
        const int lsb = (n * shape_.k_t + k) * 2;
        words_[size_t(lsb / 32)] |= code << (lsb % 32);
      }
    WeightBits v;
    for (size_t i = 0; i < words_.size(); ++i) v.set_word(int(i), words_[i]);
    w_data_.write(v);
  }

  void put_acts(const sim::TileUnitWork& u, int64_t t, int64_t s) {
    words_.assign(size_t((shape_.k_t * 8 + 31) / 32), 0);
    for (int k = 0; k < shape_.k_t; ++k) {
      const int64_t gk = s * shape_.k_t + k;
      const uint8_t a = u.acts && gk < u.k_len ? uint8_t(u.acts[t * u.act_stride + gk]) : uint8_t(0);
      words_[size_t(k / 4)] |= uint32_t(a) << (8 * (k % 4));
    }
    ActBits v;
    for (size_t i = 0; i < words_.size(); ++i) v.set_word(int(i), words_[i]);
    act_data_.write(v);
  }

  void collect() {
    if (pending_.empty()) fail("co-simulation", name(), "the tile produced a result nobody asked for");
    Destination& d = pending_.front();
    if (d.acc) {
      const OutBits& o = out_data_.read();
      for (int64_t c = 0; c < d.n_cols; ++c) {
        int32_t& a = d.acc[d.received * d.stride + c];
        a = int32_t(uint32_t(a) + uint32_t(o.get_word(int(c))));
      }
    }
    if (++d.received == d.T) pending_.pop_front();
  }

  rtl::TileShape shape_;
  int64_t max_ksteps_;
  sc_core::sc_time half_{0.5, sc_core::SC_NS};
  int64_t cycles_ = 0;
  bool cmd_fire_ = false, w_fire_ = false, act_fire_ = false;
  std::deque<Destination> pending_;
  std::vector<uint32_t> words_;

  // The model's controller (reset, drain) and tile (units) threads both drive the inputs, one
  // at a time, hence many writers.
  template <class T>
  using Signal = sc_core::sc_signal<T, sc_core::SC_MANY_WRITERS>;
  Signal<bool> clk_{"clk"}, rst_n_{"rst_n"}, cmd_valid_{"cmd_valid"}, cmd_ready_{"cmd_ready"}, cmd_error_{"cmd_error"};
  Signal<OpBits> cmd_op_{"cmd_op"};
  Signal<CountBits> cmd_tokens_{"cmd_tokens"}, cmd_ksteps_{"cmd_ksteps"};
  Signal<bool> w_valid_{"w_valid"}, w_ready_{"w_ready"};
  Signal<WeightBits> w_data_{"w_data"};
  Signal<bool> act_valid_{"act_valid"}, act_ready_{"act_ready"};
  Signal<ActBits> act_data_{"act_data"};
  Signal<bool> out_valid_{"out_valid"}, out_ready_{"out_ready"};
  Signal<OutBits> out_data_{"out_data"};
  M rtl_;
};

}  // namespace abacus::cosim
