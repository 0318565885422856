// Runs integer GEMMs through the Verilated RTL tile (rtl/gemm_tile.v). No Verilator types
// appear here: the harness picks one of the configurations Verilated at build time.
//
// A GEMM x_q [T, K] int8 · w_q [N, K] int8 -> acc [T, N] int32 is tiled over N (blocks of
// N_T columns) and K (chunks of at most max_ksteps() * K_T; each chunk is one weight load and
// one run; the host adds the chunks' int32 partial sums, wrapping like the accumulator). Tiles
// with a narrower or saturating accumulator (sim/acc_arith.h) take K <= max_ksteps() * K_T.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "sim/accel_config.h"

namespace abacus::rtl {

enum class TileArch { ternary, binary, mac, lut };

struct TileShape {
  TileArch arch = TileArch::ternary;
  int n_t = 0;
  int k_t = 0;
  int lut_group = 0;       // lut: weights per table lookup
  int acc_bits = 32;       // accumulator width
  bool saturate = false;   // accumulator saturates (else wraps)
};

const char* tile_arch_name(TileArch a);  // "ternary", "binary", "mac", "lut"
// e.g. "ternary-8x16", "lut-4x8-g3", "ternary-4x8-acc16-sat"
std::string tile_name(const TileShape& s);

// The configurations Verilated into this build.
const std::vector<TileShape>& built_tiles();

// Weight k-steps the tile holds per load (the RTL's MAX_KS) and its 16-bit token counter limit.
int max_ksteps();
int64_t max_tokens();

// Cycles from reset to the end of the final drain when the output stream never stalls:
//   sum over N-blocks and K-chunks of (2 + ks * (T + 1))  +  1 + drain_latency(s)
// where ks = k-steps of the chunk (sum over chunks = ceil(K/K_T)): one command cycle each for
// LOAD_W and RUN, ks weight beats, T*ks activation beats; then the DRAIN command and the
// pipeline latency. The compute part is ceil(N/N_T) * T * ceil(K/K_T).
uint64_t predicted_cycles(const TileShape& s, int64_t T, int64_t K, int64_t N);
uint64_t compute_cycles(const TileShape& s, int64_t T, int64_t K, int64_t N);
int drain_latency(const TileShape& s);  // PIPE + 2 (sim/pe_pipeline.h)

struct GemmRunOptions {
  double backpressure = 0.0;   // probability that out_ready is low in a cycle
  uint64_t seed = 1;           // for the backpressure pattern
  std::string wave_path;       // write a VCD of the whole run when non-empty
  // Registers without reset start as Verilator's --x-initial unique values: 0 = all zero,
  // else random from this seed (the result must not depend on it).
  uint64_t x_seed = 0;
};

struct GemmRun {
  std::vector<int32_t> acc;       // [T, N]
  uint64_t cycles = 0;            // clock cycles from reset release to drained
  uint64_t act_stall_cycles = 0;  // cycles the activation stream was held off (backpressure)
  std::string wave_written;       // path of the VCD written, if any
};

class RtlTile {
 public:
  // Selects the Verilated tile for cfg (pe, weights, n_t, k_t, lut_group, acc_bits, acc_overflow); throws
  // abacus::Error naming the built ones when there is none.
  explicit RtlTile(const sim::AccelConfig& cfg);
  explicit RtlTile(const TileShape& shape);
  const TileShape& shape() const { return shape_; }
  // Binary tiles reject zero weights; ternary tiles reject weights outside {-1, 0, 1}.
  GemmRun run(const int8_t* x_q, const int8_t* w_q, int64_t T, int64_t K, int64_t N,
              const GemmRunOptions& opt = {}) const;
  // Resets the tile, optionally loads `preload_ks` k-steps of zero weights, then offers one
  // command (op, tokens, ksteps); reports the tile's cmd_error flag and whether it is idle
  // (cmd_ready) again within a few cycles. An illegal command must set the flag and leave the
  // tile idle; a legal one must not set it.
  struct CommandProbe {
    bool error = false;
    bool idle = false;
  };
  CommandProbe probe_command(unsigned op, unsigned tokens, unsigned ksteps, unsigned preload_ks = 0) const;

 private:
  TileShape shape_;
  int index_ = -1;
};

// run() and compare every accumulator with quant::int8_gemm_ref (sim::acc_gemm_ref for a
// narrower or saturating accumulator). On a mismatch with a
// non-empty mismatch_wave_path (and no wave_path already), the run is repeated with tracing.
struct GemmCheck {
  GemmRun run;
  std::vector<int32_t> expected;
  int64_t mismatches = 0;
  int64_t first_index = -1;  // t * N + n of the first mismatch
  int32_t first_expected = 0;
  int32_t first_got = 0;
};
GemmCheck check_gemm(const RtlTile& tile, const int8_t* x_q, const int8_t* w_q, int64_t T, int64_t K,
                     int64_t N, const GemmRunOptions& opt = {}, const std::string& mismatch_wave_path = "");

}  // namespace abacus::rtl
