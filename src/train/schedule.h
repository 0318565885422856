// Learning-rate and weight-decay schedules, step s = 0, 1, ..., total-1:
//   warm-up (s < W):  lr = peak * (s + 1) / W
//   after, with f = (s - W) / (total - W) in [0, 1) and end = peak * end_ratio:
//     linear:      lr = end + (peak - end) * (1 - f)
//     polynomial:  lr = end + (peak - end) * (1 - f)^power      (fairseq polynomial_decay)
//     cosine:      lr = end + (peak - end) * (1 + cos(pi f)) / 2
//     two-stage (b1.58): stage 1 (s < M, M = W + (total - W) / 2) is the linear schedule of
//       `peak`; from M on the LR restarts at peak2 and decays linearly to peak2 * end_ratio
//       at total; weight decay is `wd` in stage 1 and `wd2` (0 in the paper) in stage 2.
//   Weight decay is constant `wd` for the one-stage schedules.
#pragma once
#include <cstdint>
#include <string>

namespace abacus::train {

enum class ScheduleKind { linear, polynomial, cosine, two_stage };
ScheduleKind parse_schedule(const std::string& name);  // "linear", "polynomial", "cosine", "two-stage"
const char* schedule_name(ScheduleKind k);

struct Schedule {
  ScheduleKind kind = ScheduleKind::linear;
  double peak = 1e-3, peak2 = 1e-3;  // peak2: two-stage only
  double end_ratio = 0.1;
  double power = 1.0;  // polynomial only
  int64_t warmup = 0, total = 1;
  double wd = 0.1, wd2 = 0.0;

  double lr_at(int64_t step) const;
  double wd_at(int64_t step) const;
  int64_t stage2_start() const { return warmup + (total - warmup) / 2; }
};

}  // namespace abacus::train
