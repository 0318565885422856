// Zero-shot multiple-choice scoring in lm-evaluation-harness conventions. Task file: JSONL,
// one object per line: {"context": str, "choices": [str, ...], "label": int (index of the
// correct choice)}. For each choice the score is the sum of log p(choice tokens | context
// tokens), where the context and the choice are tokenized separately and concatenated
// (the choice text should carry its leading space, e.g. " Paris"); the sequence keeps its
// last max_position_embeddings tokens.
//   acc      = the highest log-likelihood choice is the label
//   acc_norm = the highest log-likelihood divided by the choice's length in characters
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "src/data/tokenizer.h"
#include "src/model/lm.h"

namespace abacus::eval {

struct ChoiceItem {
  std::string context;
  std::vector<std::string> choices;
  int label = 0;
};

std::vector<ChoiceItem> load_choice_task(const std::string& path);  // field-checked, errors name line

struct ChoiceResult {
  int64_t items = 0;
  double acc = 0.0, acc_norm = 0.0;
};

ChoiceResult score_choices(model::LanguageModel<float>& m, const data::Tokenizer& tok,
                           const std::vector<ChoiceItem>& items);

}  // namespace abacus::eval
