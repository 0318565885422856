#include "src/train/run_log.h"

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>

#include "src/io/atomic_file.h"

namespace abacus::train {

namespace fs = std::filesystem;

void MetricsLog::load_until(int64_t step) {
  rows.clear();
  if (!fs::exists(path)) return;
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (std::stoll(line.substr(0, line.find(','))) <= step) rows.push_back(line);
  }
}

void MetricsLog::add(int64_t step, int64_t tokens, double lr, double loss, double val, double tps) {
  char buf[256];
  char vbuf[32] = "";
  if (!std::isnan(val)) std::snprintf(vbuf, sizeof vbuf, "%.6f", val);
  std::snprintf(buf, sizeof buf, "%lld,%lld,%.6e,%.6f,%s,%.1f", (long long)step, (long long)tokens, lr, loss, vbuf,
                tps);
  rows.push_back(buf);
  std::string text = "step,tokens,lr,train_loss,val_loss,tokens_per_s\n";
  for (const std::string& r : rows) text += r + "\n";
  io::write_file_atomic(path, text);
}

std::string default_tokenizer_path(const std::string& data, int64_t vocab) {
  const fs::path p(data);
  const fs::path dir = fs::is_directory(p) ? p : p.parent_path();
  return (dir / ("tokenizer-" + std::to_string(vocab) + ".model")).string();
}

std::string fmt_duration(double s) {
  char buf[32];
  const long t = long(s + 0.5);
  if (t >= 3600) std::snprintf(buf, sizeof buf, "%ldh%02ldm", t / 3600, (t / 60) % 60);
  else std::snprintf(buf, sizeof buf, "%ldm%02lds", t / 60, t % 60);
  return buf;
}

}  // namespace abacus::train
