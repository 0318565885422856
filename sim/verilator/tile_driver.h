// Cycle-by-cycle driver of one Verilated tile model M: command, weight, activation and output
// streams, exactly as rtl/README.md describes the protocol. Header-only so each Verilated
// configuration instantiates it with its own model class.
#pragma once
#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <unistd.h>

#include <cstdio>
#include <cstring>

#include "sim/verilator/checked_vcd_file.h"
#include "sim/verilator/port_bits.h"
#include "src/util/error.h"
#include "sim/verilator/rtl_tile.h"
#include "verilated.h"
#include "verilated_vcd_c.h"

namespace abacus::rtl::detail {

enum : uint32_t { kOpLoadW = 0, kOpRun = 1, kOpDrain = 2 };

// One weight load + run: N-block nb, K-chunk [k0, k0 + ks * K_T).
struct TileJob {
  int64_t n0 = 0;
  int64_t k0 = 0;
  int ks = 0;
};

template <class M>
class TileDriver {
 public:
  TileDriver(const TileShape& s, const GemmRunOptions& opt) : s_(s), rng_(opt.seed), bp_(opt.backpressure) {
    ctx_ = std::make_unique<VerilatedContext>();
    // --x-initial unique: registers without reset start at 0, or at random values of the seed.
    if (opt.x_seed != 0) {
      ctx_->randReset(2);
      ctx_->randSeed(int(opt.x_seed & 0x7fffffff));
    }
    ctx_->traceEverOn(!opt.wave_path.empty());
    m_ = std::make_unique<M>(ctx_.get(), "tile");
    if (!opt.wave_path.empty()) {
      // Written under a temporary name and renamed by finish_wave(): no partial VCD remains.
      wave_path_ = opt.wave_path;
      wave_tmp_ = wave_path_ + ".tmp." + std::to_string(::getpid());
      vcd_file_ = std::make_unique<CheckedVcdFile>();
      vcd_ = std::make_unique<VerilatedVcdC>(vcd_file_.get());
      m_->trace(vcd_.get(), 99);
      vcd_->open(wave_tmp_.c_str());
      if (!vcd_->isOpen())
        fail(wave_path_, "wave", std::string("cannot write the waveform: ") + std::strerror(vcd_file_->error()));
    }
  }
  ~TileDriver() {
    if (vcd_) {  // not finished (an error on the way): drop the partial file
      vcd_->close();
      std::remove(wave_tmp_.c_str());
    }
    m_->final();
  }

  // Closes the waveform and moves it into place; a failed write is an Error naming the file.
  void finish_wave() {
    if (!vcd_) return;
    vcd_->close();
    vcd_.reset();
    const int err = vcd_file_->error();
    if (err || std::rename(wave_tmp_.c_str(), wave_path_.c_str()) != 0) {
      const int e = err ? err : errno;
      std::remove(wave_tmp_.c_str());
      fail(wave_path_, "wave", std::string("writing the waveform failed: ") + std::strerror(e));
    }
  }

  // Runs the jobs; x [T, K], w [N, K]; adds each job's outputs into acc [T, N] (wrapping).
  void run(const std::vector<TileJob>& jobs, const int8_t* x, const int8_t* w, int64_t T, int64_t K, int64_t N,
           std::vector<int32_t>& acc, GemmRun& r) {
    reset();
    const int wbits = s_.arch == TileArch::mac ? 8 : 2;  // lut: the ternary codes (re-encoded on load)
    size_t job = 0;
    enum Phase { kLoadCmd, kWeights, kRunCmd, kActs, kDrainCmd, kDrainWait, kDone } ph = kLoadCmd;
    int64_t beat = 0;                   // beat within the current phase
    std::vector<int64_t> outs_per_job(jobs.size(), 0);
    size_t out_job = 0;                 // job whose outputs arrive next (outputs come in order)
    while (ph != kDone) {
      const TileJob& j = jobs[std::min(job, jobs.size() - 1)];
      // Drive inputs for this cycle.
      m_->cmd_valid = ph == kLoadCmd || ph == kRunCmd || ph == kDrainCmd;
      m_->cmd_op = ph == kLoadCmd ? kOpLoadW : ph == kRunCmd ? kOpRun : kOpDrain;
      m_->cmd_tokens = uint16_t(T);
      m_->cmd_ksteps = uint16_t(j.ks);
      m_->w_valid = ph == kWeights;
      if (ph == kWeights) set_weights(j, beat, w, K, N, wbits);
      m_->act_valid = ph == kActs;
      if (ph == kActs) set_acts(j, beat, x, K);
      m_->out_ready = !(bp_ > 0 && std::uniform_real_distribution<double>(0, 1)(rng_) < bp_);
      m_->clk = 0;
      m_->eval();
      // Sample handshakes before the edge.
      const bool cmd_fire = m_->cmd_valid && m_->cmd_ready;
      const bool w_fire = m_->w_valid && m_->w_ready;
      const bool act_fire = m_->act_valid && m_->act_ready;
      if (ph == kActs && !act_fire) ++r.act_stall_cycles;
      if (m_->out_valid && m_->out_ready) {
        while (out_job < jobs.size() && outs_per_job[out_job] == T) ++out_job;
        if (out_job >= jobs.size()) fail("", "rtl", "tile produced more output beats than tokens");
        collect(jobs[out_job], outs_per_job[out_job]++, N, acc);
      }
      const bool idle_seen = ph == kDrainWait && m_->cmd_ready;
      if (idle_seen) break;
      edge();
      ++r.cycles;
      // Advance the harness.
      switch (ph) {
        case kLoadCmd: if (cmd_fire) { ph = kWeights; beat = 0; } break;
        case kWeights: if (w_fire && ++beat == j.ks) ph = kRunCmd; break;
        case kRunCmd: if (cmd_fire) { ph = kActs; beat = 0; } break;
        case kActs:
          if (act_fire && ++beat == T * j.ks) ph = ++job < jobs.size() ? kLoadCmd : kDrainCmd;
          break;
        case kDrainCmd: if (cmd_fire) ph = kDrainWait; break;
        default: break;
      }
      if (r.cycles > limit_) fail("", "rtl", "tile did not finish within " + std::to_string(limit_) + " cycles");
    }
    for (size_t i = 0; i < jobs.size(); ++i)
      if (outs_per_job[i] != T) fail("", "rtl", "tile returned " + std::to_string(outs_per_job[i]) + " of " +
                                                    std::to_string(T) + " output beats for a run");
  }

  void set_limit(uint64_t c) { limit_ = c; }

  // (cmd_error, idle) after one command: see RtlTile::probe_command.
  std::pair<bool, bool> probe_command(unsigned op, unsigned tokens, unsigned ksteps, unsigned preload) {
    reset();
    auto offer = [&](unsigned o, unsigned t, unsigned k) {
      m_->cmd_op = o;
      m_->cmd_tokens = uint16_t(t);
      m_->cmd_ksteps = uint16_t(k);
      m_->cmd_valid = 1;
      for (int i = 0; i < 8; ++i) {
        m_->clk = 0;
        m_->eval();
        const bool fired = m_->cmd_ready;
        edge();
        if (fired) break;
      }
      m_->cmd_valid = 0;
    };
    if (preload > 0) {
      offer(kOpLoadW, 0, preload);
      clear_port(m_->w_data);
      m_->w_valid = 1;
      for (unsigned i = 0; i < preload; ++i) {
        m_->clk = 0;
        m_->eval();
        edge();
      }
      m_->w_valid = 0;
    }
    offer(op, tokens, ksteps);
    bool idle = false;
    for (int i = 0; i < 4 && !idle; ++i) {
      m_->clk = 0;
      m_->eval();
      idle = m_->cmd_ready;
      if (!idle) edge();
    }
    return {bool(m_->cmd_error), idle};
  }

 private:
  void edge() {
    if (vcd_) vcd_->dump(ctx_->time());
    ctx_->timeInc(1);
    m_->clk = 1;
    m_->eval();
    if (vcd_) vcd_->dump(ctx_->time());
    ctx_->timeInc(1);
  }
  void reset() {
    m_->rst_n = 0;
    m_->cmd_valid = 0;
    m_->w_valid = 0;
    m_->act_valid = 0;
    m_->out_ready = 1;
    for (int i = 0; i < 2; ++i) {
      m_->clk = 0;
      m_->eval();
      edge();
    }
    m_->rst_n = 1;
  }
  void set_weights(const TileJob& j, int64_t kstep, const int8_t* w, int64_t K, int64_t N, int wbits) {
    clear_port(m_->w_data);
    for (int n = 0; n < s_.n_t; ++n) {
      const int64_t gn = j.n0 + n;
      for (int k = 0; k < s_.k_t; ++k) {
        const int64_t gk = j.k0 + kstep * s_.k_t + k;
        int v = gn < N && gk < K ? w[gn * K + gk] : 0;
        // Padding lanes see zero activations; a b1 tile has no zero code, so pad with +1.
        if (v == 0 && s_.arch == TileArch::binary) v = 1;
        const uint32_t field = wbits == 8 ? uint32_t(uint8_t(int8_t(v))) : v == 1 ? 1u : v == -1 ? 3u : 0u;
        put_field(m_->w_data, (n * s_.k_t + k) * wbits, wbits, field);
      }
    }
  }
  void set_acts(const TileJob& j, int64_t beat, const int8_t* x, int64_t K) {
    const int64_t t = beat / j.ks, kstep = beat % j.ks;
    clear_port(m_->act_data);
    for (int k = 0; k < s_.k_t; ++k) {
      const int64_t gk = j.k0 + kstep * s_.k_t + k;
      const int8_t v = gk < K ? x[t * K + gk] : int8_t(0);
      put_field(m_->act_data, k * 8, 8, uint8_t(v));
    }
  }
  void collect(const TileJob& j, int64_t t, int64_t N, std::vector<int32_t>& acc) {
    for (int n = 0; n < s_.n_t; ++n) {
      const int64_t gn = j.n0 + n;
      if (gn >= N) continue;
      // The tile's ACC_W-bit accumulator, sign-extended (a 32-bit one wraps across K-chunks).
      const int w = s_.acc_bits;
      uint32_t v = get_field(m_->out_data, n * w, w);
      if (w < 32 && (v >> (w - 1))) v |= ~uint32_t(0) << w;
      int32_t& a = acc[size_t(t * N + gn)];
      a = int32_t(uint32_t(a) + v);
    }
  }

  TileShape s_;
  std::mt19937_64 rng_;
  double bp_;
  uint64_t limit_ = ~uint64_t(0);
  std::unique_ptr<VerilatedContext> ctx_;
  std::unique_ptr<M> m_;
  std::unique_ptr<CheckedVcdFile> vcd_file_;  // outlives vcd_ (declared first)
  std::unique_ptr<VerilatedVcdC> vcd_;
  std::string wave_path_, wave_tmp_;
};

}  // namespace abacus::rtl::detail
