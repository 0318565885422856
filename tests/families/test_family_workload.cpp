// The family traces' accelerator and energy workloads: bidirectional attention in one pass
// (no decode), SpMM on the vector unit for the GCN, exact sparse operation counts, and the
// analytic simulator and matmul energy running on them.
#include <catch2/catch.hpp>

#include <filesystem>

#include "energy/matmul_energy.h"
#include "energy/tech_table.h"
#include "sim/accel_config.h"
#include "sim/systemc/analytic_model.h"
#include "src/families/family_energy_workload.h"
#include "src/families/family_sim_workload.h"
#include "tests/families/fake_brown.h"

using namespace abacus;
using namespace abacus::families;
namespace fs = std::filesystem;

namespace {

FamilyWorkload traced(const std::string& json, const std::string& file) {
  const FamilyConfig c = parse_family_config(json, "tiny");
  const FamilyDataset d = build_dataset(c, test::fake_brown_dir());
  const ParamLayout L = family_layout(c, d);
  std::vector<float> p = init_params(L, 3);
  const std::string path = (fs::temp_directory_path() / (file + std::to_string(::getpid()) + ".safetensors")).string();
  write_family_trace(path, c, d, L, p, 2);
  FamilyWorkload w = family_workload(FamilyTrace::open(path));
  fs::remove(path);
  return w;
}

}  // namespace

TEST_CASE("encoder workload: one bidirectional pass, BitLinear GEMMs on the tile, fp head at 8 bits", "[families]") {
  const FamilyWorkload w = traced(
      R"({"family":"encoder","quant":"b1.58","hidden_size":8,"layers":2,"heads":2,"ffn_size":12,"data":{"vocab_size":60,"seq_len":12,"mask_fraction":0.25},"training":{"steps":1,"batch_size":8,"lr":0.01}})",
      "enc");
  const sim::Workload s = family_sim_workload(w);
  int gemms = 0, head = 0;
  double attention_ops = 0;
  for (const auto& c : s.commands) {
    if (c.kind == sim::Command::Kind::gemm) {
      ++gemms;
      if (c.gemm.weight_bits == 8) ++head;
      else CHECK(c.gemm.T == 2 * 12);  // both sequences, every token, in one pass
    } else if (c.vec.name == "attention") {
      attention_ops += c.vec.ops;
    }
  }
  CHECK(gemms == 2 * 6 + 1);
  CHECK(head == 1);
  CHECK(attention_ops == Approx(2.0 * 2 * 2 * 12 * 12 * (2 * 4 + 5)));  // layers x B x H x T^2 x (2 hd + 5)
  const sim::AccelConfig cfg{};
  const sim::SimCounters r = sim::analytic_run(cfg, s);
  CHECK(r.cycles > 0);
  const energy::TechTable tech = energy::TechTable::load("7nm");
  const auto b = energy::matmul_energy(family_energy_workload(w, true), tech);
  const auto f = energy::matmul_energy(family_energy_workload(w, false), tech);
  CHECK(b.linear_paper < f.linear_paper);
  CHECK(b.attention == Approx(f.attention));
}

TEST_CASE("GCN workload: SpMM on the vector unit, energy counts exactly nnz*F multiplications", "[families]") {
  const FamilyWorkload w = traced(
      R"({"family":"gcn","quant":"b1.58-median","hidden_size":8,"data":{"vocab_size":60,"chunk_words":50,"window":8},"training":{"steps":1,"lr":0.02}})",
      "gcn");
  const sim::Workload s = family_sim_workload(w);
  double spmm_ops = 0, expected = 0;
  for (const auto& o : w.ops)
    if (o.kind == "spmm") expected += double(o.nnz) * double(o.F);
  for (const auto& c : s.commands)
    if (c.kind == sim::Command::Kind::vector && c.vec.name == "spmm") spmm_ops += c.vec.ops;
  CHECK(spmm_ops == expected);
  CHECK(spmm_ops > 0);
  energy::Workload e = family_energy_workload(w, true);
  e.gemms.erase(std::remove_if(e.gemms.begin(), e.gemms.end(), [](const energy::Gemm& g) { return g.name.rfind("spmm", 0) != 0; }),
                e.gemms.end());
  double muls = 0;
  for (const auto& g : e.gemms) muls += g.macs();
  CHECK(muls == expected);
}
