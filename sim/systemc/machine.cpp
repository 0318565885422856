#include "sim/systemc/machine.h"

#include <cmath>

#include "src/util/error.h"

namespace abacus::sim {

int64_t dram_transfer_cycles(const AccelConfig& c, int64_t bytes, bool continuing) {
  if (bytes <= 0) return 0;
  const int64_t beat = c.dram_beat_bytes;
  const double bpc = c.dram_bytes_per_cycle();
  const double lat = std::ceil(c.dram_latency_ns / c.cycle_ns() - 1e-9);
  if (c.dram_burst_bytes <= 0)  // one request: latency + its beats
    return int64_t(lat) + int64_t(std::ceil(double(ceil_div(bytes, beat) * beat) / bpc - 1e-9));
  // Requests of `burst` bytes, up to n in flight: request i is issued when request i-n has
  // returned, and its data follows the previous request's on the channel:
  //   end_i = max(end_{i-n} + latency, end_{i-1}) + d.
  // With equal requests this is bandwidth-bound ((n-1) d >= latency: end_i = latency + (i+1) d)
  // or latency-bound (groups of n every latency + d); the last request may be shorter.
  const int64_t burst = c.dram_burst_bytes, n = c.dram_max_outstanding;
  const int64_t requests = ceil_div(bytes, burst);
  const double d = double(burst) / bpc;
  const double d_last = double(ceil_div(bytes - (requests - 1) * burst, beat) * beat) / bpc;
  const bool bw_bound = double(n - 1) * d >= lat;
  auto end_full = [&](int64_t i) {
    return bw_bound ? lat + double(i + 1) * d : double(i / n) * (lat + d) + lat + double(i % n + 1) * d;
  };
  const int64_t k = requests - 1;
  const double issue = k >= n ? end_full(k - n) : 0.0;
  const double prev = k >= 1 ? end_full(k - 1) : 0.0;
  // Continuing a busy stream, the first requests went out while the previous transfer's last
  // n-1 were in flight: the whole timeline moves earlier by that lead (at most the latency).
  const double lead = continuing ? std::min(lat, double(n - 1) * d) : 0.0;
  return int64_t(std::ceil(std::max(issue + lat, prev) + d_last - lead - 1e-9));
}

const char* exec_unit_name(ExecUnit u) { return u == ExecUnit::tile ? "tile" : "attn-unit"; }

int weight_bits(const AccelConfig& c, const GemmCommand& g) {
  if (g.role == GemmRole::attn_scores || g.role == GemmRole::attn_values) return c.kv_bits;
  return g.weight_bits > 0 ? g.weight_bits : (c.weights == WeightMode::binary ? 1 : 2);
}

namespace {

int64_t packed_bytes(int64_t elems, int bits) { return ceil_div(elems * bits, 8); }

bool has_weights(const GemmCommand& g) {
  return g.role != GemmRole::attn_scores && g.role != GemmRole::attn_values;
}

// Tile cut of a GEMM: row blocks of `rows` and activation chunks of `act_kt` k-tiles.
void cut(const AccelConfig& c, GemmPlan& p, int64_t rows, int64_t act_kt) {
  p.rows_per_block = rows;
  p.row_blocks = ceil_div(p.T, rows);
  p.act_ktiles = std::min(act_kt, p.k_tiles);
  if (p.act_ktiles < p.k_tiles) {
    // Weight chunks never straddle an activation chunk.
    p.ktiles_per_chunk = std::min(p.ktiles_per_chunk, p.act_ktiles);
    p.act_ktiles = p.act_ktiles / p.ktiles_per_chunk * p.ktiles_per_chunk;
  }
  p.act_chunks = ceil_div(p.k_tiles, p.act_ktiles);
  p.chunks = ceil_div(p.k_tiles, p.ktiles_per_chunk);
  (void)c;
}

// DRAM reads of a tile plan: weights once per row block (once when resident or reused) plus
// the activations once (streamed: once per column slice).
int64_t tile_reads(const GemmPlan& p) {
  const int64_t w = p.weights_resident ? 0 : p.weights_reused ? p.weight_bytes : p.weight_bytes * p.row_blocks;
  return w + (p.stream_acts ? p.act_bytes * p.n_tiles : p.act_bytes);
}

}  // namespace

int64_t workload_weight_bytes(const AccelConfig& c, const Workload& w) {
  int64_t total = 0;
  for (const Command& cmd : w.commands)
    if (cmd.kind == Command::Kind::gemm && has_weights(cmd.gemm))
      total += cmd.gemm.batch * packed_bytes(cmd.gemm.K * cmd.gemm.N, weight_bits(c, cmd.gemm)) * cmd.repeat;
  return total;
}

bool weights_fit_on_chip(const AccelConfig& c, const Workload& w) {
  return double(workload_weight_bytes(c, w)) <= c.weight_buffer_kib * 1024.0;
}

GemmPlan plan_gemm(const AccelConfig& c, const GemmCommand& g, bool resident) {
  if (g.T < 1 || g.K < 1 || g.N < 1) fail("workload", g.name, "GEMM dimensions must be >= 1");
  GemmPlan p;
  p.T = g.T;
  p.K = g.K;
  p.N = g.N;
  p.wbits = weight_bits(c, g);
  if (g.batch < 1) fail("workload", g.name, "batch must be >= 1");
  p.macs = g.macs > 0 ? g.macs : g.batch * g.T * g.K * g.N;
  p.weights_resident = resident && has_weights(g);
  switch (g.role) {
    case GemmRole::projection: break;
    case GemmRole::kv_projection: p.out_bits = c.kv_bits; p.kv_output = true; break;
    case GemmRole::attn_scores:  // scores stay in the unit for the softmax
      p.exec = ExecUnit::attn_unit; p.out_bits = 0; p.kv_operand = true; break;
    case GemmRole::attn_values:  // probabilities come from the softmax on chip
      p.exec = ExecUnit::attn_unit; p.in_bits = 0; p.out_bits = 16; p.kv_operand = true; break;
    case GemmRole::lm_head:
      p.out_bits = 16;  // logits
      if (c.lm_head_unit == "attn-unit") p.exec = ExecUnit::attn_unit;
      break;
  }
  p.weight_bytes = g.batch * packed_bytes(g.K * g.N, p.wbits);
  p.act_bytes = g.batch * packed_bytes(g.T * g.K, p.in_bits);
  p.out_bytes = g.batch * packed_bytes(g.T * g.N, p.out_bits);
  if (p.exec == ExecUnit::attn_unit) {
    p.mapping = "attn-unit, operand streamed";
    return p;
  }
  if (p.in_bits != 8 || g.batch != 1) fail("workload", g.name, "tile GEMMs take int8 activations, one GEMM per command");
  p.planes = p.wbits > 2 ? p.wbits : 1;
  p.n_tiles = ceil_div(g.N, c.n_t);
  p.k_tiles = ceil_div(g.K, c.k_t);
  p.slots = c.double_buffer ? 2 : 1;
  const double wslot_bits = c.weight_buffer_kib * 1024.0 * 8.0 / double(p.slots);
  const double ktile_bits = double(c.n_t) * c.k_t * std::min(p.wbits, 2);  // a bit plane at a time on chip
  const int64_t kpc = std::max<int64_t>(1, std::min<int64_t>(p.k_tiles, int64_t(wslot_bits / ktile_bits)));
  p.weights_reused = !p.weights_resident && double(p.weight_bytes) <= c.weight_buffer_kib * 1024.0;
  const double aslot = c.act_buffer_kib * 1024.0 / double(p.slots);
  const double out_cap = c.out_buffer_kib * 1024.0;

  // Candidate mappings; the least DRAM traffic wins (ties: the earlier, simpler one).
  std::vector<GemmPlan> cands;
  auto add = [&](const std::string& name, int64_t rows, int64_t act_kt, bool stream) {
    GemmPlan q = p;
    q.ktiles_per_chunk = kpc;
    q.stream_acts = stream;
    cut(c, q, rows, act_kt);
    q.mapping = name;
    if (q.row_blocks > 1) q.mapping += ", " + std::to_string(q.row_blocks) + " row blocks of " + std::to_string(rows);
    if (q.act_chunks > 1) q.mapping += ", " + std::to_string(q.act_chunks) + " K-chunks";
    cands.push_back(q);
  };
  if (double(p.act_bytes) <= aslot) {
    add("weight-stationary", p.T, p.k_tiles, false);
  } else {
    add("weight-stationary, streamed activations", p.T, p.k_tiles, true);
    // Row blocks whose whole K fits the activation slot.
    const int64_t rows_k = int64_t(aslot / double(g.K));
    if (rows_k >= 1) add("row-blocked", rows_k, p.k_tiles, false);
    // Activation-resident K-chunks with int32 partial sums of a row block in the output buffer.
    const int64_t rows_o = std::min<int64_t>(g.T, int64_t(out_cap / (4.0 * double(g.N))));
    if (rows_o >= 1) {
      const int64_t act_kt = int64_t(aslot / (double(rows_o) * c.k_t));
      if (act_kt >= 1) add("activation-resident K-chunks", rows_o, act_kt, false);
    }
  }
  size_t best = 0;
  for (size_t i = 1; i < cands.size(); ++i)
    if (tile_reads(cands[i]) < tile_reads(cands[best])) best = i;
  GemmPlan q = cands[best];
  if (q.weights_resident) q.mapping += ", weights resident";
  else if (q.weights_reused && q.row_blocks > 1) q.mapping += ", weights kept";
  return q;
}

int64_t GemmPlan::units() const {
  if (exec != ExecUnit::tile) return 0;
  // Weight chunks per slice within one activation chunk (the last chunk may be shorter).
  const int64_t per_full = act_ktiles / ktiles_per_chunk;
  const int64_t last_kt = k_tiles - (act_chunks - 1) * act_ktiles;
  const int64_t per_last = ceil_div(last_kt, ktiles_per_chunk);
  return row_blocks * n_tiles * ((act_chunks - 1) * per_full + per_last);
}

Unit GemmPlan::unit_at(const AccelConfig& c, int64_t j) const {
  Unit u;
  const int64_t per_full = act_ktiles / ktiles_per_chunk;
  const int64_t last_kt = k_tiles - (act_chunks - 1) * act_ktiles;
  const int64_t per_last = ceil_div(last_kt, ktiles_per_chunk);
  const int64_t per_block = n_tiles * ((act_chunks - 1) * per_full + per_last);
  const int64_t b = j / per_block;
  int64_t r = j % per_block;
  const int64_t full = (act_chunks - 1) * n_tiles * per_full;
  int64_t a, nt, wc, wchunks;
  if (r < full) {
    a = r / (n_tiles * per_full);
    r %= n_tiles * per_full;
    wchunks = per_full;
  } else {
    a = act_chunks - 1;
    r -= full;
    wchunks = per_last;
  }
  nt = r / wchunks;
  wc = r % wchunks;
  u.t0 = b * rows_per_block;
  u.rows = std::min(rows_per_block, T - u.t0);
  u.n0 = nt * c.n_t;
  u.n_cols = std::min<int64_t>(c.n_t, N - u.n0);
  const int64_t akt0 = a * act_ktiles, akt_end = std::min(k_tiles, akt0 + act_ktiles);
  u.kt0 = akt0 + wc * ktiles_per_chunk;
  u.kt_count = std::min(ktiles_per_chunk, akt_end - u.kt0);
  const int64_t k0 = u.kt0 * c.k_t, k_len = std::min<int64_t>(u.kt_count * c.k_t, K - k0);
  u.ka0 = akt0 * c.k_t;
  u.ka_len = std::min<int64_t>(akt_end * c.k_t, K) - u.ka0;
  const bool weights_on_chip = weights_resident || (weights_reused && b > 0);
  u.weight_bytes = weights_on_chip ? 0 : packed_bytes(u.n_cols * k_len, wbits);
  if (stream_acts) {
    u.act_tile = j;
    u.ka0 = k0;
    u.ka_len = k_len;
    u.act_bytes = u.rows * k_len;
  } else {
    u.act_tile = b * act_chunks + a;
    u.act_bytes = (nt == 0 && wc == 0) ? u.rows * u.ka_len : 0;  // first unit of the tile brings it
  }
  u.dma_bytes = u.weight_bytes + u.act_bytes;
  u.last_of_slice = a == act_chunks - 1 && wc == wchunks - 1;
  u.k_steps = u.rows * u.kt_count * planes;
  const TileUnitTiming timing = tile_unit_timing(c, u.k_steps, u.kt_count);
  u.tile_cycles = timing.compute;
  u.overhead_cycles = timing.overhead;
  u.ppu_cycles = u.last_of_slice ? ceil_div(u.rows * u.n_cols, c.ppu_lanes) : 0;
  u.step_cycles = std::max(u.tile_cycles + u.overhead_cycles, u.ppu_cycles);
  return u;
}

int64_t GemmPlan::identical_units_after(const AccelConfig& c, int64_t j) const {
  const int64_t per_full = act_ktiles / ktiles_per_chunk;
  const int64_t last_kt = k_tiles - (act_chunks - 1) * act_ktiles;
  const int64_t per_last = ceil_div(last_kt, ktiles_per_chunk);
  const int64_t per_block = n_tiles * ((act_chunks - 1) * per_full + per_last);
  int64_t r = j % per_block;
  const int64_t full = (act_chunks - 1) * n_tiles * per_full;
  int64_t wchunks;
  if (r < full) {
    r %= n_tiles * per_full;
    wchunks = per_full;
  } else {
    r -= full;
    wchunks = per_last;
  }
  if (wchunks != 1) return 0;
  const int64_t nt = r;  // one chunk per slice: the unit index within the tile is the slice
  if (nt < 1) return 0;  // the tile's first unit brings the activations
  const int64_t last_full = N % c.n_t == 0 ? n_tiles - 1 : n_tiles - 2;
  return std::max<int64_t>(0, last_full - nt);
}

int64_t GemmPlan::dram_read_bytes() const {
  if (exec == ExecUnit::attn_unit) return (weights_resident ? 0 : weight_bytes) + act_bytes;
  return tile_reads(*this);
}

void count_gemm_traffic(const AccelConfig& c, const GemmPlan& p, int64_t weight_bytes, int64_t act_bytes,
                        int64_t transfers, SimCounters& s) {
  const int64_t tile_cycles = p.n_tiles * p.T * p.k_tiles * p.planes;  // k-steps issued
  s.pipeline_cycles += tile_pipeline_cycles(c);
  s.gemm_ops += p.T * p.K * p.N * p.planes;  // bit-serial: one accumulation per bit plane
  s.padded_ops += tile_cycles * c.n_t * c.k_t;  // lanes x k-steps, padding included
  s.dram_read_bytes += weight_bytes + act_bytes;
  s.dram_weight_bytes += weight_bytes;
  s.dram_write_bytes += p.out_bytes;
  if (p.kv_output) s.dram_kv_write_bytes += p.out_bytes;
  s.dram_transfers += transfers + (p.out_bytes > 0 ? 1 : 0);
  s.weight_buf_write_bytes += weight_bytes;
  s.weight_buf_read_bytes += ceil_div(tile_cycles * c.n_t * c.k_t * std::min(p.wbits, 2), 8);  // a slice per cycle
  s.act_buf_write_bytes += act_bytes;
  s.act_buf_read_bytes += tile_cycles * c.k_t;  // K_T activations broadcast to all columns
  s.out_buf_write_bytes += p.out_bytes;
  s.out_buf_read_bytes += p.out_bytes;
  s.ppu_ops += p.T * p.N;
  s.commands += 1;
}

void count_attn_traffic(const AccelConfig& c, const GemmPlan& p, SimCounters& s) {
  const int64_t w = p.weights_resident ? 0 : p.weight_bytes;
  s.dram_read_bytes += w + p.act_bytes;
  if (p.kv_operand) s.dram_kv_read_bytes += w; else s.dram_weight_bytes += w;
  s.dram_write_bytes += p.out_bytes;
  s.dram_transfers += (w + p.act_bytes > 0 ? 1 : 0) + (p.out_bytes > 0 ? 1 : 0);
  // Operands are staged through the activation buffer on their way into the MAC array.
  s.act_buf_write_bytes += w + p.act_bytes;
  s.act_buf_read_bytes += w + p.act_bytes;
  if (p.kv_operand && c.kv_bits >= 16) s.attn_fp16_macs += p.macs; else s.attn_int8_macs += p.macs;
  s.commands += 1;
}

AttnTiming attn_timing(const AccelConfig& c, const GemmPlan& p) {
  AttnTiming t;
  t.read = dram_transfer_cycles(c, (p.weights_resident ? 0 : p.weight_bytes) + p.act_bytes);
  t.compute = p.attn_compute_cycles(c);
  t.write = dram_transfer_cycles(c, p.out_bytes);
  t.total = std::max(t.read, t.compute) + t.write;
  return t;
}

int64_t vector_command_cycles(const AccelConfig& c, double ops) {
  return int64_t(std::ceil(ops / double(c.vector_lanes) - 1e-9));
}

const std::vector<CounterField>& counter_fields() {
  static const std::vector<CounterField> fields = {
#define ABACUS_COUNTER_FIELD(f) {#f, &SimCounters::f},
      ABACUS_COUNTER_FIELD(cycles) ABACUS_COUNTER_FIELD(tile_cycles) ABACUS_COUNTER_FIELD(tile_overhead_cycles)
      ABACUS_COUNTER_FIELD(pipeline_cycles) ABACUS_COUNTER_FIELD(vector_cycles) ABACUS_COUNTER_FIELD(attn_cycles)
      ABACUS_COUNTER_FIELD(writeback_cycles) ABACUS_COUNTER_FIELD(stall_tile_wait_dram)
      ABACUS_COUNTER_FIELD(stall_dma_wait_buffer) ABACUS_COUNTER_FIELD(stall_ppu) ABACUS_COUNTER_FIELD(gemm_ops)
      ABACUS_COUNTER_FIELD(padded_ops) ABACUS_COUNTER_FIELD(dram_read_bytes) ABACUS_COUNTER_FIELD(dram_write_bytes)
      ABACUS_COUNTER_FIELD(dram_transfers) ABACUS_COUNTER_FIELD(dram_weight_bytes) ABACUS_COUNTER_FIELD(dram_kv_read_bytes)
      ABACUS_COUNTER_FIELD(dram_kv_write_bytes) ABACUS_COUNTER_FIELD(attn_fp16_macs) ABACUS_COUNTER_FIELD(attn_int8_macs)
      ABACUS_COUNTER_FIELD(weight_buf_write_bytes)
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
