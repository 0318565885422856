// The run folder's progress files shared by the CPU trainer and the device trainer
// (src/device/device_trainer.cpp): metrics.csv, the default tokenizer path, the ETA format.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace abacus::train {

// metrics.csv kept in memory and rewritten atomically, so a crash never leaves half a row.
struct MetricsLog {
  std::string path;
  std::vector<std::string> rows;
  // Keeps the rows of steps <= step (a resumed run continues the file from there).
  void load_until(int64_t step);
  void add(int64_t step, int64_t tokens, double lr, double loss, double val, double tps);
};

// <corpus folder>/tokenizer-<vocab>.model (the corpus's parent folder for a single file).
std::string default_tokenizer_path(const std::string& data, int64_t vocab);

// "1h02m" / "3m07s".
std::string fmt_duration(double s);

}  // namespace abacus::train
