#include "energy/workload.h"

#include "src/util/error.h"

namespace abacus::energy {

const char* phase_name(Phase p) { return p == Phase::prefill ? "prefill" : "decode"; }

namespace {

Workload layer_products(const ModelShape& s, int64_t m, int64_t attended, Phase phase) {
  if (s.hidden <= 0 || s.layers <= 0 || s.heads <= 0 || s.head_dim <= 0 || s.intermediate <= 0)
    fail("", s.name, "model shape has a non-positive dimension");
  if (m <= 0 || attended <= 0) fail("", "tokens", "must be positive");
  Workload w;
  w.name = s.name;
  w.phase = phase;
  w.tokens = m;
  w.context = attended;
  w.bitnet = s.bitnet;
  const int64_t L = s.layers, d = s.hidden;
  auto lin = [&](const char* name, int64_t n, int64_t p) { w.gemms.push_back({name, GemmKind::linear, m, n, p, L}); };
  lin("attn.q", d, s.q_dim());
  lin("attn.k", d, s.kv_dim());
  lin("attn.v", d, s.kv_dim());
  lin("attn.o", s.q_dim(), d);
  if (s.glu) lin("ffn.gate", d, s.intermediate);
  lin("ffn.up", d, s.intermediate);
  lin("ffn.down", s.intermediate, d);
  w.gemms.push_back({"attn.scores", GemmKind::attention, m, s.head_dim, attended, L * s.heads});
  w.gemms.push_back({"attn.values", GemmKind::attention, m, attended, s.head_dim, L * s.heads});
  return w;
}

}  // namespace

Workload prefill_workload(const ModelShape& s, int64_t tokens) {
  return layer_products(s, tokens, tokens, Phase::prefill);
}

Workload decode_workload(const ModelShape& s, int64_t context) {
  if (context < 0) fail("", "context", "must not be negative");
  return layer_products(s, 1, context + 1, Phase::decode);
}

}  // namespace abacus::energy
