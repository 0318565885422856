#include "src/eval/multiple_choice.h"

#include <cmath>
#include <limits>
#include <sstream>

#include "src/io/atomic_file.h"
#include "src/io/json_fields.h"
#include "src/util/error.h"

namespace abacus::eval {

std::vector<ChoiceItem> load_choice_task(const std::string& path) {
  std::istringstream in(io::read_file(path));
  std::vector<ChoiceItem> items;
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    const std::string where = path + ":" + std::to_string(lineno);
    const io::Json j = io::parse_json(line, where);
    io::JsonFields f(j, where);
    ChoiceItem it;
    it.context = f.get<std::string>("context");
    const io::Json& ch = f.raw("choices");
    if (!ch.is_array() || ch.size() < 2) f.error("choices", "must be an array of at least 2 strings");
    for (const auto& c : ch) {
      if (!c.is_string()) f.error("choices", "must hold strings");
      it.choices.push_back(c.get<std::string>());
    }
    it.label = int(f.get_int("label", 0, int64_t(it.choices.size()) - 1));
    f.finish();
    items.push_back(std::move(it));
  }
  if (items.empty()) fail(path, "", "no items in the task file");
  return items;
}

ChoiceResult score_choices(model::LanguageModel<float>& m, const data::Tokenizer& tok,
                           const std::vector<ChoiceItem>& items) {
  const int64_t max_len = m.config().max_position_embeddings, V = m.config().vocab_size;
  ChoiceResult r;
  int64_t correct = 0, correct_norm = 0;
  for (const ChoiceItem& it : items) {
    const std::vector<int32_t> ctx = tok.encode(it.context);
    double best = -std::numeric_limits<double>::infinity(), best_norm = best;
    int arg = -1, arg_norm = -1;
    for (size_t c = 0; c < it.choices.size(); ++c) {
      const std::vector<int32_t> cont = tok.encode(it.choices[c]);
      if (cont.empty()) fail("", "choices", "a choice encodes to no tokens");
      std::vector<int32_t> seq = ctx;
      seq.insert(seq.end(), cont.begin(), cont.end());
      if (int64_t(seq.size()) > max_len + 1) seq.erase(seq.begin(), seq.end() - (max_len + 1));
      const int64_t T = int64_t(seq.size()) - 1;
      std::vector<int32_t> in(seq.begin(), seq.end() - 1), tg(seq.begin() + 1, seq.end());
      const int64_t first_scored = T - int64_t(cont.size());
      for (int64_t t = 0; t < first_scored && t < T; ++t) tg[size_t(t)] = -1;  // score the choice only
      m.forward(in.data(), tg.data(), 1, T);
      double ll = 0.0;
      for (int64_t t = std::max<int64_t>(0, first_scored); t < T; ++t) ll -= double(m.losses()[t]);
      (void)V;
      const double norm = ll / double(std::max<size_t>(1, it.choices[c].size()));
      if (ll > best) { best = ll; arg = int(c); }
      if (norm > best_norm) { best_norm = norm; arg_norm = int(c); }
    }
    correct += arg == it.label ? 1 : 0;
    correct_norm += arg_norm == it.label ? 1 : 0;
  }
  r.items = int64_t(items.size());
  r.acc = double(correct) / double(r.items);
  r.acc_norm = double(correct_norm) / double(r.items);
  return r;
}

}  // namespace abacus::eval
