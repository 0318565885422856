// Paper mode: the papers' energy tables recomputed by the operation-counting model, cell by
// cell beside the printed value (papers.md section 5).
//   2310.11453 Table 1: 6.7B / 13B / 30B, 32-bit and 16-bit Transformer and 1-bit BitNet,
//     MUL and ADD joules at 7nm and 45nm for a 512-token input.
//   2402.17764 Figure 3: 71.4x less matmul arithmetic energy at 7nm (FP16 MAC / INT8 add).
//   2504.12285 Table 1: 7nm joules of BitNet b1.58 2B and five 1-2B FP16 models, 512 tokens.
// Accounting: all linear projections (no LM head) plus the full L x L attention products;
// full-precision models pay one ADD and one MUL of their precision per multiply-accumulate
// (Eq. 16: m(n-1)p adds, mnp muls); BitNet pays INT8 ADD on its linear layers, FP16 ADD and
// MUL on attention, and FP16 MUL for the rescales (Eq. 18).
#pragma once
#include <string>
#include <vector>

#include "energy/tech_table.h"

namespace abacus::energy {

struct PaperCell {
  std::string table;  // "2310.11453-T1", "2402.17764-F3", "2504.12285-T1"
  std::string model;  // "Transformer", "BitNet", "LLaMA-3.2 1B", ...
  std::string size;   // "6.7B", ...
  std::string bits;   // "32", "16", "1", "1.58"
  std::string node;   // "7nm", "45nm"
  std::string op;     // "MUL", "ADD", "MUL+ADD", or "saving_x" for the 71.4x ratio
  double value = 0;   // computed (joules, or the ratio)
  double paper = 0;   // printed
  int decimals = 2;   // printed precision
  // |value - paper| within half a unit of the printed last digit.
  bool within_rounding() const;
  double difference() const { return value - paper; }
};

// Shapes come from energy/reference_models.
std::vector<PaperCell> paper_cells(const TechTable& t7nm, const TechTable& t45nm, int tokens = 512);

}  // namespace abacus::energy
