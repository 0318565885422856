#include "src/train/schedule.h"

#include <algorithm>
#include <cmath>

#include "src/util/error.h"

namespace abacus::train {

ScheduleKind parse_schedule(const std::string& name) {
  if (name == "linear") return ScheduleKind::linear;
  if (name == "polynomial") return ScheduleKind::polynomial;
  if (name == "cosine") return ScheduleKind::cosine;
  if (name == "two-stage") return ScheduleKind::two_stage;
  fail("", "schedule", "expected linear, polynomial, cosine or two-stage, got '" + name + "'");
}

const char* schedule_name(ScheduleKind k) {
  switch (k) {
    case ScheduleKind::linear: return "linear";
    case ScheduleKind::polynomial: return "polynomial";
    case ScheduleKind::cosine: return "cosine";
    case ScheduleKind::two_stage: return "two-stage";
  }
  return "?";
}

namespace {
double frac(int64_t s, int64_t from, int64_t to) {
  if (to <= from) return 0.0;
  return std::clamp(double(s - from) / double(to - from), 0.0, 1.0);
}
}  // namespace

double Schedule::lr_at(int64_t s) const {
  if (s < warmup) return peak * double(s + 1) / double(warmup);
  const double end = peak * end_ratio;
  const double f = frac(s, warmup, total);
  switch (kind) {
    case ScheduleKind::linear: return end + (peak - end) * (1.0 - f);
    case ScheduleKind::polynomial: return end + (peak - end) * std::pow(1.0 - f, power);
    case ScheduleKind::cosine: return end + (peak - end) * 0.5 * (1.0 + std::cos(M_PI * f));
    case ScheduleKind::two_stage: {
      const int64_t m = stage2_start();
      if (s < m) return end + (peak - end) * (1.0 - f);
      const double end2 = peak2 * end_ratio;
      return end2 + (peak2 - end2) * (1.0 - frac(s, m, total));
    }
  }
  return peak;
}

double Schedule::wd_at(int64_t s) const {
  if (kind == ScheduleKind::two_stage && s >= stage2_start()) return wd2;
  return wd;
}

}  // namespace abacus::train
