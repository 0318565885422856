// One AdamW step and every schedule against values worked out by hand.
#include <catch2/catch.hpp>
#include <cmath>

#include "src/train/adamw.h"
#include "src/train/schedule.h"
#include "src/util/error.h"

using namespace abacus::train;

TEST_CASE("one AdamW step matches the hand-worked update", "[adamw]") {
  // Two parameters, one decayed segment and one not.
  AdamWConfig cfg;
  cfg.beta1 = 0.9;
  cfg.beta2 = 0.95;
  cfg.eps = 1e-8;
  AdamW opt(2, cfg, {{0, 1, true}, {1, 1, false}});
  float p[2] = {1.0f, -2.0f};
  const float g[2] = {0.5f, -0.25f};
  opt.step(p, g, /*lr=*/0.1, /*wd=*/0.1);
  // Step 1: m = 0.1 g, v = 0.05 g^2; mhat = g, vhat = g^2, so the update is lr * sign(g)
  // (up to eps). p0: decay 1 - 0.1*0.1 = 0.99, then 0.99 - 0.1 = 0.89. p1: -2 + 0.1 = -1.9.
  CHECK(p[0] == Approx(0.89f).epsilon(1e-6));
  CHECK(p[1] == Approx(-1.9f).epsilon(1e-6));
  CHECK(opt.m()[0] == Approx(0.05f));
  CHECK(opt.v()[0] == Approx(0.05f * 0.25f));
  // Step 2 with g = 0 on p1: m = 0.9*0.1*(-0.25) = -0.0225, v = 0.95*0.05*0.0625;
  // mhat = -0.0225/0.19, vhat = 0.00296875/0.0975; update = lr * mhat / sqrt(vhat).
  const float g2[2] = {0.f, 0.f};
  opt.step(p, g2, 0.1, 0.0);
  const double mhat = -0.0225 / (1 - 0.81), vhat = (0.95 * 0.05 * 0.0625) / (1 - 0.9025);
  CHECK(p[1] == Approx(-1.9 - 0.1 * mhat / (std::sqrt(vhat) + 1e-8)).epsilon(1e-6));
  CHECK(opt.t() == 2);
}

TEST_CASE("AdamW rejects segments that do not cover the parameters", "[adamw]") {
  CHECK_THROWS_AS(AdamW(3, AdamWConfig{}, {{0, 2, true}}), abacus::Error);
}

TEST_CASE("gradient clipping scales to the max norm", "[adamw]") {
  float g[2] = {3.f, 4.f};
  CHECK(clip_grad_norm(g, 2, 1.0) == Approx(5.0));
  CHECK(std::sqrt(g[0] * g[0] + g[1] * g[1]) == Approx(1.0).epsilon(1e-5));
  float h[2] = {0.3f, 0.4f};
  clip_grad_norm(h, 2, 1.0);
  CHECK(h[0] == 0.3f);
}

TEST_CASE("schedules: warm-up then linear, polynomial, cosine decay", "[schedule]") {
  Schedule s;
  s.peak = 1.0;
  s.end_ratio = 0.1;
  s.warmup = 10;
  s.total = 110;
  s.kind = ScheduleKind::linear;
  CHECK(s.lr_at(0) == Approx(0.1));   // (0+1)/10
  CHECK(s.lr_at(9) == Approx(1.0));
  CHECK(s.lr_at(10) == Approx(1.0));  // f = 0
  CHECK(s.lr_at(60) == Approx(0.55)); // f = 0.5: 0.1 + 0.9 * 0.5
  CHECK(s.lr_at(110) == Approx(0.1));
  s.kind = ScheduleKind::polynomial;
  s.power = 2.0;
  CHECK(s.lr_at(60) == Approx(0.1 + 0.9 * 0.25));
  CHECK(s.lr_at(85) == Approx(0.1 + 0.9 * 0.0625));  // f = 0.75
  s.kind = ScheduleKind::cosine;
  CHECK(s.lr_at(60) == Approx(0.55));                 // cos(pi/2) = 0
  CHECK(s.lr_at(35) == Approx(0.1 + 0.9 * 0.5 * (1 + std::cos(M_PI * 0.25))));
  CHECK(s.wd_at(100) == Approx(0.1));
}

TEST_CASE("two-stage schedule: LR and weight decay drop at mid-training", "[schedule]") {
  Schedule s;
  s.kind = ScheduleKind::two_stage;
  s.peak = 1.5e-3;
  s.peak2 = 1e-3;
  s.end_ratio = 0.1;
  s.warmup = 0;
  s.total = 100;
  s.wd = 0.1;
  s.wd2 = 0.0;
  CHECK(s.stage2_start() == 50);
  CHECK(s.lr_at(0) == Approx(1.5e-3));
  CHECK(s.lr_at(49) == Approx(1.5e-4 + 1.35e-3 * (1 - 0.49)));
  CHECK(s.lr_at(50) == Approx(1e-3));                       // restart at the lower peak
  CHECK(s.lr_at(75) == Approx(1e-4 + 0.9e-3 * 0.5));
  CHECK(s.wd_at(49) == Approx(0.1));
  CHECK(s.wd_at(50) == 0.0);
  CHECK_THROWS_AS(parse_schedule("exponential"), abacus::Error);
}
