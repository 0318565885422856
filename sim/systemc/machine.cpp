#include "sim/systemc/machine.h"

#include <cmath>

#include "src/util/error.h"

namespace abacus::sim {

int64_t dram_transfer_cycles(const AccelConfig& c, int64_t bytes) {
  if (bytes <= 0) return 0;
  const int64_t beats = ceil_div(bytes, c.dram_beat_bytes);
  const double latency = std::ceil(c.dram_latency_ns / c.cycle_ns() - 1e-9);
  const double data = std::ceil(double(beats * c.dram_beat_bytes) / c.dram_bytes_per_cycle() - 1e-9);
  return int64_t(latency) + int64_t(data);
}

GemmPlan plan_gemm(const AccelConfig& c, const GemmCommand& g) {
  if (g.T < 1 || g.K < 1 || g.N < 1) fail("workload", g.name, "GEMM dimensions must be >= 1");
  GemmPlan p;
  p.T = g.T;
  p.K = g.K;
  p.N = g.N;
  p.wbits = weight_bits(c, g);
  p.n_tiles = ceil_div(g.N, c.n_t);
  p.k_tiles = ceil_div(g.K, c.k_t);
  p.slots = c.double_buffer ? 2 : 1;
  const double wslot_bits = c.weight_buffer_kib * 1024.0 * 8.0 / double(p.slots);
  const double ktile_bits = double(c.n_t) * c.k_t * p.wbits;
  p.ktiles_per_chunk = std::max<int64_t>(1, std::min<int64_t>(p.k_tiles, int64_t(wslot_bits / ktile_bits)));
  p.chunks = ceil_div(p.k_tiles, p.ktiles_per_chunk);
  const double aslot_bytes = c.act_buffer_kib * 1024.0 / double(p.slots);
  p.act_bytes = g.T * g.K;
  p.acts_resident = double(p.act_bytes) <= aslot_bytes;
  p.out_bytes = g.T * g.N;
  return p;
}

Unit GemmPlan::unit(const AccelConfig& c, int64_t j) const {
  Unit u;
  const int64_t nt = j / chunks, ch = j % chunks;
  u.n0 = nt * c.n_t;
  u.n_cols = std::min<int64_t>(c.n_t, N - u.n0);
  u.kt0 = ch * ktiles_per_chunk;
  u.kt_count = std::min(ktiles_per_chunk, k_tiles - u.kt0);
  const int64_t k0 = u.kt0 * c.k_t, k_len = std::min<int64_t>(u.kt_count * c.k_t, K - k0);
  u.dma_bytes = ceil_div(u.n_cols * k_len * wbits, 8) + (acts_resident ? 0 : T * k_len);
  u.tile_cycles = T * u.kt_count;
  // The PPU rescales this slice's T x n_cols outputs after its last k-chunk.
  u.ppu_cycles = (ch == chunks - 1) ? ceil_div(T * u.n_cols, c.ppu_lanes) : 0;
  u.overhead_cycles = u.kt_count + 2;
  u.step_cycles = std::max(u.tile_cycles + u.overhead_cycles, u.ppu_cycles);
  return u;
}

void count_gemm_traffic(const AccelConfig& c, const GemmPlan& p, SimCounters& s) {
  const int64_t tile_cycles = p.n_tiles * p.T * p.k_tiles;
  s.tile_cycles += tile_cycles;
  s.pipeline_cycles += tile_pipeline_cycles(c);
  s.gemm_ops += p.T * p.K * p.N;
  s.padded_ops += tile_cycles * c.n_t * c.k_t;
  int64_t weight_bytes = 0, stream_act_bytes = 0;
  for (int64_t nt = 0; nt < p.n_tiles; ++nt) {
    const int64_t cols = std::min<int64_t>(c.n_t, p.N - nt * c.n_t);
    for (int64_t ch = 0; ch < p.chunks; ++ch) {
      const int64_t k0 = ch * p.ktiles_per_chunk * c.k_t;
      const int64_t k_len = std::min<int64_t>(p.ktiles_per_chunk * c.k_t, p.K - k0);
      weight_bytes += ceil_div(cols * k_len * p.wbits, 8);
      if (!p.acts_resident) stream_act_bytes += p.T * k_len;
    }
  }
  const int64_t act_bytes = p.acts_resident ? p.act_bytes : stream_act_bytes;
  s.dram_read_bytes += weight_bytes + act_bytes;
  s.dram_write_bytes += p.out_bytes;
  s.dram_transfers += p.units() + (p.acts_resident ? 1 : 0) + 1;
  s.weight_buf_write_bytes += weight_bytes;
  s.weight_buf_read_bytes += ceil_div(tile_cycles * c.n_t * c.k_t * p.wbits, 8);  // a slice per cycle
  s.act_buf_write_bytes += act_bytes;
  s.act_buf_read_bytes += tile_cycles * c.k_t;  // K_T activations broadcast to all columns
  s.out_buf_write_bytes += p.out_bytes;
  s.out_buf_read_bytes += p.out_bytes;
  s.ppu_ops += p.T * p.N;
  s.commands += 1;
}

int64_t vector_command_cycles(const AccelConfig& c, double ops) {
  return int64_t(std::ceil(ops / double(c.vector_lanes) - 1e-9));
}

const std::vector<CounterField>& counter_fields() {
  static const std::vector<CounterField> fields = {
#define ABACUS_COUNTER_FIELD(f) {#f, &SimCounters::f},
      ABACUS_COUNTER_FIELD(cycles) ABACUS_COUNTER_FIELD(tile_cycles) ABACUS_COUNTER_FIELD(tile_overhead_cycles)
      ABACUS_COUNTER_FIELD(pipeline_cycles) ABACUS_COUNTER_FIELD(vector_cycles) ABACUS_COUNTER_FIELD(act_load_cycles)
      ABACUS_COUNTER_FIELD(writeback_cycles) ABACUS_COUNTER_FIELD(stall_tile_wait_dram)
      ABACUS_COUNTER_FIELD(stall_dma_wait_buffer) ABACUS_COUNTER_FIELD(stall_ppu) ABACUS_COUNTER_FIELD(gemm_ops)
      ABACUS_COUNTER_FIELD(padded_ops) ABACUS_COUNTER_FIELD(dram_read_bytes) ABACUS_COUNTER_FIELD(dram_write_bytes)
      ABACUS_COUNTER_FIELD(dram_transfers) ABACUS_COUNTER_FIELD(weight_buf_write_bytes)
      ABACUS_COUNTER_FIELD(weight_buf_read_bytes) ABACUS_COUNTER_FIELD(act_buf_write_bytes)
      ABACUS_COUNTER_FIELD(act_buf_read_bytes) ABACUS_COUNTER_FIELD(out_buf_write_bytes)
      ABACUS_COUNTER_FIELD(out_buf_read_bytes) ABACUS_COUNTER_FIELD(ppu_ops) ABACUS_COUNTER_FIELD(commands)
#undef ABACUS_COUNTER_FIELD
  };
  return fields;
}

SimCounters& SimCounters::operator+=(const SimCounters& o) {
  for (const CounterField& f : counter_fields()) this->*f.member += o.*f.member;
  vector_ops += o.vector_ops;
  return *this;
}

SimCounters SimCounters::scaled(int64_t k) const {
  SimCounters r = *this;
  for (const CounterField& f : counter_fields()) r.*f.member *= k;
  r.vector_ops *= double(k);
  return r;
}

bool SimCounters::operator==(const SimCounters& o) const { return differences(o).empty(); }

std::vector<std::string> SimCounters::differences(const SimCounters& o) const {
  std::vector<std::string> d;
  for (const CounterField& f : counter_fields())
    if (this->*f.member != o.*f.member)
      d.push_back(std::string(f.name) + " " + std::to_string(this->*f.member) + " vs " + std::to_string(o.*f.member));
  if (vector_ops != o.vector_ops)
    d.push_back("vector_ops " + std::to_string(vector_ops) + " vs " + std::to_string(o.vector_ops));
  return d;
}

}  // namespace abacus::sim
