#include "sim/systemc/systemc_model.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <systemc>
#include <tlm>
#include <tlm_utils/simple_initiator_socket.h>
#include <tlm_utils/simple_target_socket.h>
#include <vector>

#include "sim/systemc/pe_model.h"
#include "src/util/error.h"

namespace abacus::sim {
namespace {

using sc_core::sc_time;
using sc_core::SC_NS;
using sc_core::SC_ZERO_TIME;

sc_time cycles(int64_t n) { return sc_time(double(n), SC_NS); }
int64_t now_cycles() { return int64_t(sc_core::sc_time_stamp().to_seconds() * 1e9 + 0.5); }

// A 2-D gather/scatter descriptor carried by a TLM transaction: the payload's data length is
// the bytes the channel moves (timing); the segments say where they go (function).
struct Segment {
  uint64_t addr = 0;
  int64_t rows = 1, row_bytes = 0, stride = 0;
  uint8_t* local = nullptr;  // rows * row_bytes, packed
};
struct GatherExtension : tlm::tlm_extension<GatherExtension> {
  std::vector<Segment> segments;
  bool continuing = false;  // issued back to back with the previous transfer (machine.h)
  tlm::tlm_extension_base* clone() const override { return new GatherExtension(*this); }
  void copy_from(const tlm::tlm_extension_base& other) override {
    segments = static_cast<const GatherExtension&>(other).segments;
    continuing = static_cast<const GatherExtension&>(other).continuing;
  }
};

struct Dram : sc_core::sc_module {
  tlm_utils::simple_target_socket<Dram> socket;
  const AccelConfig* cfg = nullptr;
  uint8_t* memory = nullptr;  // the running GEMM's image in functional jobs (null: timing only)
  SimCounters* stats = nullptr;

  explicit Dram(sc_core::sc_module_name n) : sc_module(n), socket("socket") {
    socket.register_b_transport(this, &Dram::b_transport);
  }
  void b_transport(tlm::tlm_generic_payload& tr, sc_time& delay) {
    const int64_t bytes = tr.get_data_length();
    if (tr.is_read()) stats->dram_read_bytes += bytes; else stats->dram_write_bytes += bytes;
    stats->dram_transfers += 1;
    GatherExtension* g = nullptr;
    tr.get_extension(g);
    if (g && memory) {
      for (const Segment& s : g->segments) {
        if (!s.local) continue;
        for (int64_t r = 0; r < s.rows; ++r) {
          uint8_t* mem = memory + s.addr + uint64_t(r * s.stride);
          uint8_t* loc = s.local + r * s.row_bytes;
          if (tr.is_read()) std::memcpy(loc, mem, size_t(s.row_bytes)); else std::memcpy(mem, loc, size_t(s.row_bytes));
        }
      }
    }
    delay += cycles(dram_transfer_cycles(*cfg, bytes, g && g->continuing));
    tr.set_response_status(tlm::TLM_OK_RESPONSE);
  }
};

struct Dma : sc_core::sc_module {
  tlm_utils::simple_initiator_socket<Dma> socket;
  explicit Dma(sc_core::sc_module_name n) : sc_module(n), socket("socket") {}
  // Blocking transfer of `bytes` over the channel; returns when the data has arrived.
  void transfer(bool write, int64_t bytes, std::vector<Segment> segments, bool continuing = false) {
    wait(cycles(issue(write, bytes, std::move(segments), continuing)));
  }
  // Starts a transfer without waiting; returns the cycles until its data has arrived (the
  // caller overlaps them with other work and waits at least that long).
  int64_t issue(bool write, int64_t bytes, std::vector<Segment> segments = {}, bool continuing = false) {
    if (bytes <= 0) return 0;
    tlm::tlm_generic_payload tr;
    GatherExtension ext;
    ext.segments = std::move(segments);
    ext.continuing = continuing;
    tr.set_command(write ? tlm::TLM_WRITE_COMMAND : tlm::TLM_READ_COMMAND);
    tr.set_address(0);
    tr.set_data_ptr(nullptr);
    tr.set_data_length(unsigned(bytes));
    tr.set_streaming_width(unsigned(bytes));
    tr.set_extension(&ext);
    sc_time delay = SC_ZERO_TIME;
    socket->b_transport(tr, delay);
    tr.clear_extension(&ext);
    return int64_t(delay.to_seconds() * 1e9 + 0.5);
  }
};

// A functional GEMM's DRAM image, built on the host before the run (so bad operands are
// reported there): activations row-major at 0, then each unit's weights packed contiguously in
// unit order (the layout a compiler for this machine would emit; units of later row blocks that
// find their weights on chip get a copy here that the DMA never moves).
struct GemmImage {
  std::vector<uint8_t> memory;
  std::vector<uint64_t> unit_weight_addr;  // DRAM address of each unit's packed codes
  int32_t* acc = nullptr;
};

GemmImage make_image(const AccelConfig& c, const GemmCommand& g, const GemmOperands& op, bool resident) {
  const GemmPlan p = plan_gemm(c, g, resident);
  if (p.exec != ExecUnit::tile) fail("systemc", g.name, "functional GEMMs run on the tile");
  if (p.wbits != 1 && p.wbits != 2) fail("systemc", g.name, "functional GEMMs need 1- or 2-bit weights");
  GemmImage im;
  im.acc = op.acc;
  im.memory.assign(op.x_q, op.x_q + p.T * p.K);
  for (int64_t j = 0; j < p.units(); ++j) {
    const Unit u = p.unit(c, j);
    const int64_t k0 = u.kt0 * c.k_t, k_len = std::min<int64_t>(u.kt_count * c.k_t, p.K - k0);
    im.unit_weight_addr.push_back(im.memory.size());
    std::vector<uint8_t> packed(size_t(ceil_div(u.n_cols * k_len * p.wbits, 8)), 0);
    for (int64_t col = 0; col < u.n_cols; ++col)
      for (int64_t k = 0; k < k_len; ++k) {
        const int8_t v = op.w_q[(u.n0 + col) * p.K + k0 + k];
        unsigned code;
        if (p.wbits == 1) {
          if (v != 1 && v != -1) fail("systemc", g.name + ".w_q", "binary weights must be -1 or +1");
          code = v < 0 ? 1 : 0;
        } else {
          if (v < -1 || v > 1) fail("systemc", g.name + ".w_q", "ternary weights must be in {-1, 0, 1}");
          code = v == 1 ? 1u : v == -1 ? 3u : 0u;
        }
        const int64_t bit = (col * k_len + k) * p.wbits;
        packed[size_t(bit / 8)] |= uint8_t(code << (bit % 8));
      }
    im.memory.insert(im.memory.end(), packed.begin(), packed.end());
  }
  return im;
}

// What the controller hands the DMA stream and the tile for one GEMM.
struct GemmJob {
  GemmPlan plan;
  bool resident = false;
  std::vector<Unit> units;
  const GemmImage* image = nullptr;  // functional job when set
};

struct Top : sc_core::sc_module {
  Dram dram;
  Dma dma;
  const AccelConfig* cfg = nullptr;
  SimCounters stats;

  // Job hand-off from the host: the commands, the images of the functional GEMMs (by command
  // index; null entries are timing only), and the clocked tile in co-simulation.
  const Workload* workload = nullptr;
  const std::vector<const GemmImage*>* images = nullptr;
  ClockedTile* clocked = nullptr;
  std::vector<ClockedTile*> attached;
  bool busy = false;

  // Buffers: two weight slots (+ streamed activation slices), the resident activation
  // buffer, the output buffer (int32 accumulators in functional jobs).
  std::vector<uint8_t> wslot[2], aslot[2], atile[2];
  GemmJob* cur = nullptr;
  int free_slots = 0;
  sc_core::sc_event stream_start, slot_freed, tile_done;
  sc_core::sc_fifo<int64_t> ready;

  SC_HAS_PROCESS(Top);
  explicit Top(sc_core::sc_module_name n) : sc_module(n), dram("dram"), dma("dma"), ready("ready", 2) {
    dma.socket.bind(dram.socket);
    dram.stats = &stats;
    SC_THREAD(controller);
    SC_THREAD(dma_stream);
    SC_THREAD(tile);
  }

  void controller() {
    while (true) {
      while (!busy) {
        sc_core::sc_pause();
        wait(SC_ZERO_TIME);
      }
      if (clocked) clocked->reset();  // before the job's first cycle: not counted
      const bool resident = weights_fit_on_chip(*cfg, *workload);
      const int64_t t0 = now_cycles();
      for (size_t i = 0; i < workload->commands.size(); ++i) {
        const Command& cmd = workload->commands[i];
        const GemmImage* image = images && i < images->size() ? (*images)[i] : nullptr;
        for (int64_t r = 0; r < cmd.repeat; ++r) {
          if (cmd.kind == Command::Kind::vector) {
            run_vector(cmd.vec);
          } else if (plan_gemm(*cfg, cmd.gemm, resident).exec == ExecUnit::attn_unit) {
            run_attn(plan_gemm(*cfg, cmd.gemm, resident));
          } else {
            GemmJob job;
            job.plan = plan_gemm(*cfg, cmd.gemm, resident);
            job.resident = resident;
            for (int64_t j = 0; j < job.plan.units(); ++j) job.units.push_back(job.plan.unit(*cfg, j));
            job.image = image;
            run_gemm(job);
          }
        }
      }
      stats.cycles = now_cycles() - t0;
      busy = false;
    }
  }

  void run_vector(const VectorCommand& v) {
    const int64_t c = vector_command_cycles(*cfg, v.ops);
    wait(cycles(c));
    stats.vector_cycles += c;
    stats.vector_ops += v.ops;
    stats.commands += 1;
  }

  // Attention unit: the operand streams in while the MAC array runs, then the outputs leave.
  void run_attn(const GemmPlan& p) {
    stats.commands += 1;
    const int64_t t = now_cycles();
    const int64_t w = p.weights_resident ? 0 : p.weight_bytes;
    const int64_t read = dma.issue(false, w + p.act_bytes);
    wait(cycles(std::max(read, p.attn_compute_cycles(*cfg))));
    stats.attn_cycles += now_cycles() - t;
    if (p.kv_operand) stats.dram_kv_read_bytes += w; else stats.dram_weight_bytes += w;
    stats.act_buf_write_bytes += w + p.act_bytes;
    stats.act_buf_read_bytes += w + p.act_bytes;
    if (p.kv_operand && cfg->kv_bits >= 16) stats.attn_fp16_macs += p.macs; else stats.attn_int8_macs += p.macs;
    const int64_t t1 = now_cycles();
    dma.transfer(true, p.out_bytes, {});
    stats.writeback_cycles += now_cycles() - t1;
  }

  void run_gemm(GemmJob& job) {
    const GemmPlan& p = job.plan;
    stats.commands += 1;
    // The image is read-only to the model (outputs leave as timing-only writes), so repeats of a
    // command see the same operands.
    dram.memory = job.image ? const_cast<uint8_t*>(job.image->memory.data()) : nullptr;
    if (job.image) std::fill(job.image->acc, job.image->acc + p.T * p.N, 0);
    cur = &job;
    free_slots = int(p.slots);
    stream_start.notify(SC_ZERO_TIME);
    wait(tile_done);
    if (clocked) {
      stats.pipeline_cycles += clocked->drain();
    } else {
      const int64_t pipe = tile_pipeline_cycles(*cfg);
      wait(cycles(pipe));
      stats.pipeline_cycles += pipe;
    }
    // PPU output (int8, or K/V at kv_bits, or logits) leaves through the output buffer to DRAM.
    const int64_t t = now_cycles();
    stats.out_buf_read_bytes += p.out_bytes;
    if (p.kv_output) stats.dram_kv_write_bytes += p.out_bytes;
    dma.transfer(true, p.out_bytes, {});
    stats.writeback_cycles += now_cycles() - t;
    cur = nullptr;
    dram.memory = nullptr;
  }

  void dma_stream() {
    while (true) {
      wait(stream_start);
      GemmJob& job = *cur;
      const GemmPlan& p = job.plan;
      for (size_t j = 0; j < job.units.size(); ++j) {
        const Unit& u = job.units[j];
        const int64_t t = now_cycles();
        while (free_slots == 0) wait(slot_freed);
        --free_slots;
        stats.stall_dma_wait_buffer += now_cycles() - t;
        const int64_t k0 = u.kt0 * cfg->k_t, k_len = std::min<int64_t>(u.kt_count * cfg->k_t, p.K - k0);
        std::vector<Segment> seg;
        if (job.image) {
          const size_t s = j % 2;
          if (u.weight_bytes) {
            wslot[s].resize(size_t(u.weight_bytes));
            seg.push_back({job.image->unit_weight_addr[j], 1, u.weight_bytes, u.weight_bytes, wslot[s].data()});
          }
          if (u.act_bytes && p.stream_acts) {
            aslot[s].resize(size_t(u.act_bytes));
            seg.push_back({uint64_t(u.t0 * p.K + k0), u.rows, k_len, p.K, aslot[s].data()});
          } else if (u.act_bytes) {
            std::vector<uint8_t>& tile_buf = atile[size_t(u.act_tile % 2)];
            tile_buf.resize(size_t(u.act_bytes));
            seg.push_back({uint64_t(u.t0 * p.K + u.ka0), u.rows, u.ka_len, p.K, tile_buf.data()});
          }
        }
        dma.transfer(false, u.dma_bytes, seg, j > 0 && now_cycles() == t);
        stats.weight_buf_write_bytes += u.weight_bytes;
        stats.dram_weight_bytes += u.weight_bytes;
        stats.act_buf_write_bytes += u.act_bytes;
        ready.write(int64_t(j));
      }
    }
  }

  void tile() {
    while (true) {
      wait(stream_start);
      GemmJob& job = *cur;
      const GemmPlan& p = job.plan;
      int64_t wbuf_read_bits = 0;
      for (size_t j = 0; j < job.units.size(); ++j) {
        const int64_t t = now_cycles();
        int64_t jj = 0;
        ready.read(jj);
        stats.stall_tile_wait_dram += now_cycles() - t;
        const Unit& u = job.units[size_t(jj)];
        int64_t busy_cycles = 0;  // tile + overhead cycles of this unit
        if (clocked) {
          const TileUnitCycles rc = clocked->run_unit(unit_work(job, u, j));
          stats.tile_cycles += rc.compute;
          stats.tile_overhead_cycles += rc.total - rc.compute;
          busy_cycles = rc.total;
        } else {
          if (job.image) compute(job, u, j);
          busy_cycles = u.tile_cycles + u.overhead_cycles;
          wait(cycles(busy_cycles));
          stats.tile_cycles += u.tile_cycles;
          stats.tile_overhead_cycles += u.overhead_cycles;
        }
        // The PPU rescales the finished slice in step with the tile; a slower PPU stretches the unit.
        const int64_t ppu_stall = std::max<int64_t>(0, u.ppu_cycles - busy_cycles);
        if (ppu_stall) wait(cycles(ppu_stall));
        stats.stall_ppu += ppu_stall;
        const int64_t k0 = u.kt0 * cfg->k_t, k_len = std::min<int64_t>(u.kt_count * cfg->k_t, p.K - k0);
        stats.gemm_ops += u.rows * u.n_cols * k_len * p.planes;
        stats.padded_ops += u.k_steps * cfg->n_t * cfg->k_t;
        wbuf_read_bits += u.k_steps * cfg->n_t * cfg->k_t * std::min(p.wbits, 2);
        stats.act_buf_read_bytes += u.k_steps * cfg->k_t;
        if (u.last_of_slice) stats.ppu_ops += u.rows * u.n_cols;  // slice complete: PPU rescales it
        ++free_slots;
        slot_freed.notify();
      }
      stats.weight_buf_read_bytes += ceil_div(wbuf_read_bits, 8);
      stats.out_buf_write_bytes += p.out_bytes;
      tile_done.notify();
    }
  }

  // Where unit j's packed codes are: the slot the DMA filled, or (weights on chip) the image.
  const uint8_t* unit_codes(const GemmJob& job, const Unit& u, size_t j) {
    return u.weight_bytes ? wslot[j % 2].data() : job.image->memory.data() + job.image->unit_weight_addr[j];
  }
  // Unit j's activations: row t of the unit at acts + t * stride.
  const int8_t* unit_acts(const GemmJob& job, const Unit& u, size_t j, int64_t* stride) {
    const GemmPlan& p = job.plan;
    const int64_t k0 = u.kt0 * cfg->k_t;
    if (p.stream_acts) {
      *stride = std::min<int64_t>(u.kt_count * cfg->k_t, p.K - k0);
      return reinterpret_cast<const int8_t*>(aslot[j % 2].data());
    }
    *stride = u.ka_len;
    return reinterpret_cast<const int8_t*>(atile[size_t(u.act_tile % 2)].data()) + (k0 - u.ka0);
  }

  // The unit as the clocked tile sees it: the same buffer bytes the model's own tile reads.
  // Bit-serial units (more than 2 weight bits: timing only) run one pass per bit plane.
  TileUnitWork unit_work(const GemmJob& job, const Unit& u, size_t j) {
    const GemmPlan& p = job.plan;
    const int64_t k0 = u.kt0 * cfg->k_t;
    TileUnitWork w;
    w.T = u.rows * p.planes;
    w.k_steps = u.kt_count;
    w.k_len = std::min<int64_t>(u.kt_count * cfg->k_t, p.K - k0);
    w.n_cols = u.n_cols;
    w.wbits = std::min(p.wbits, 2);
    if (job.image) {
      w.codes = unit_codes(job, u, j);
      w.acts = unit_acts(job, u, j, &w.act_stride);
      w.acc = job.image->acc + u.t0 * p.N + u.n0;
      w.acc_stride = p.N;
    }
    return w;
  }

  // Adder-only accumulation of one unit: weight code 01 adds, 11 subtracts, 00 skips (b1.58);
  // binary: bit 0 adds, 1 subtracts. Each K_T-wide k-tile's exact sum goes into the output's
  // acc_bits accumulator (wrap or saturate, sim/acc_arith.h), as the PE does.
  void compute(GemmJob& job, const Unit& u, size_t j) {
    const GemmPlan& p = job.plan;
    const int64_t k0 = u.kt0 * cfg->k_t, k_len = std::min<int64_t>(u.kt_count * cfg->k_t, p.K - k0);
    const uint8_t* codes = unit_codes(job, u, j);
    int64_t stride = 0;
    const int8_t* acts = unit_acts(job, u, j, &stride);
    for (int64_t t = 0; t < u.rows; ++t) {
      const int8_t* a = acts + t * stride;
      for (int64_t c = 0; c < u.n_cols; ++c) {
        int32_t& out = job.image->acc[(u.t0 + t) * p.N + u.n0 + c];
        int64_t acc = out;
        for (int64_t kc = 0; kc < k_len; kc += cfg->k_t) {
          int64_t sum = 0;
          for (int64_t k = kc; k < std::min<int64_t>(k_len, kc + cfg->k_t); ++k) {
            const int64_t bit = (c * k_len + k) * p.wbits;
            const unsigned code = (codes[bit / 8] >> (bit % 8)) & ((1u << p.wbits) - 1);
            if (p.wbits == 1) sum += code ? -a[k] : a[k];
            else if (code == 1) sum += a[k];
            else if (code == 3) sum -= a[k];
          }
          acc = acc_add(acc, sum, cfg->acc_bits, cfg->acc_overflow);
        }
        out = int32_t(acc);
      }
    }
  }
};

bool g_started = false;  // the kernel has run: no more modules can be elaborated

Top& top() {
  static Top* t = [] {
    setenv("SC_COPYRIGHT_MESSAGE", "DISABLE", 1);
    return new Top("abacus_accel");
  }();
  return *t;
}

SimCounters run_job(const AccelConfig& c, const Workload& w, const std::vector<const GemmImage*>* images,
                     TileImpl impl) {
  check_acc_width(c, w);
  Top& t = top();
  t.cfg = &c;
  t.dram.cfg = &c;
  t.stats = SimCounters{};
  t.workload = &w;
  t.images = images;
  t.clocked = impl == TileImpl::rtl ? &clocked_tile_for(c) : nullptr;
  if (t.clocked)
    for (const Command& cmd : w.commands)
      if (cmd.kind == Command::Kind::gemm) {
        const GemmPlan p = plan_gemm(c, cmd.gemm, weights_fit_on_chip(c, w));
        if (p.exec != ExecUnit::tile) continue;
        const std::string why = t.clocked->unsupported(p);
        if (!why.empty()) fail("co-simulation", cmd.gemm.name, t.clocked->name() + ": " + why);
      }
  t.busy = true;
  g_started = true;
  sc_core::sc_start();
  if (t.busy) fail("systemc", "simulation", "the job did not finish (deadlock in the model)");
  return t.stats;
}

}  // namespace

void attach_clocked_tiles(const std::vector<ClockedTile*>& tiles) {
  if (g_started || sc_core::sc_get_status() != sc_core::SC_ELABORATION)
    fail("co-simulation", "elaboration",
         "clocked tiles must be attached before the first SystemC run of the process");
  Top& t = top();
  t.attached.insert(t.attached.end(), tiles.begin(), tiles.end());
}

ClockedTile& clocked_tile_for(const AccelConfig& c) {
  std::string names;
  for (ClockedTile* tile : top().attached) {
    if (tile->matches(c)) return *tile;
    names += (names.empty() ? "" : ", ") + tile->name();
  }
  const std::string pe = c.pe == PeStyle::mac ? "mac" : c.pe == PeStyle::lut ? "lut" : "adder-tree";
  const std::string weights = c.weights == WeightMode::binary ? "binary" : "ternary";
  fail("co-simulation", "accel",
       "no clocked tile for this configuration (" + pe + " " + weights + " " + std::to_string(c.n_t) + "x" +
           std::to_string(c.k_t) + ", acc_bits " + std::to_string(c.acc_bits) +
           "); attached: " + (names.empty() ? "none" : names));
}

SimCounters systemc_run(const AccelConfig& c, const Workload& w) { return systemc_run(c, w, {}, TileImpl::model); }

SimCounters systemc_run(const AccelConfig& c, const Workload& w, const std::vector<GemmOperands>& operands,
                        TileImpl tile) {
  if (operands.size() > w.commands.size()) fail("systemc", "operands", "more operand sets than commands");
  std::vector<GemmImage> images;
  images.reserve(operands.size());
  std::vector<const GemmImage*> by_command(operands.size(), nullptr);
  const bool resident = weights_fit_on_chip(c, w);
  for (size_t i = 0; i < operands.size(); ++i) {
    const GemmOperands& op = operands[i];
    if (!op.x_q && !op.w_q && !op.acc) continue;
    const Command& cmd = w.commands[i];
    if (cmd.kind != Command::Kind::gemm) fail("systemc", "operands", "command " + std::to_string(i) + " is not a GEMM");
    if (!op.x_q || !op.w_q || !op.acc) fail("systemc", cmd.gemm.name, "operands need x_q, w_q and acc");
    images.push_back(make_image(c, cmd.gemm, op, resident));
    by_command[i] = &images.back();
  }
  return run_job(c, w, &by_command, tile);
}

SimCounters systemc_gemm(const AccelConfig& c, const GemmCommand& g, const int8_t* x_q, const int8_t* w_q,
                         int32_t* acc, TileImpl tile) {
  Workload w;
  w.name = g.name;
  w.phase = "job";
  w.commands.push_back(Command{});
  w.commands.back().gemm = g;
  return systemc_run(c, w, {GemmOperands{x_q, w_q, acc}}, tile);
}

}  // namespace abacus::sim
