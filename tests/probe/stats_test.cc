#include "flopscope/probe/stats.h"

#include <gtest/gtest.h>

#include <cmath>
#include <utility>
#include <vector>

namespace flopscope::probe {
namespace {

TEST(TimeRepeated, RunsWarmupThenAtLeastMinimumRepetitions) {
  int calls = 0;
  auto seconds = time_repeated([&] { ++calls; }, RepeatPolicy{2, 5, 50, 0.0});
  EXPECT_EQ(seconds.size(), 5u);
  EXPECT_EQ(calls, 7);
  for (double s : seconds) EXPECT_GE(s, 0);
}

TEST(TimeRepeated, KeepsGoingUpToMaximumWhileBudgetLasts) {
  int calls = 0;
  auto seconds = time_repeated([&] { ++calls; }, RepeatPolicy{0, 1, 20, 1e9});
  EXPECT_EQ(seconds.size(), 20u);
  EXPECT_EQ(calls, 20);
}

TEST(FitCopyLine, RecoversAnExactLine) {
  std::vector<CopyTiming> t;
  for (double mib : {1.0, 8.0, 64.0, 512.0, 4096.0}) {
    double bytes = 2 * mib * (1 << 20);
    t.push_back({bytes, 5e-6 + bytes / 4e12});
  }
  auto line = fit_copy_line(t);
  ASSERT_TRUE(line.has_value());
  EXPECT_NEAR(line->seconds_fixed, 5e-6, 1e-12);
  EXPECT_NEAR(line->bytes_per_second / 4e12, 1.0, 1e-9);
}

// The seven H100 SXM copy timings of validation/h100/h100-calibration.json (bandwidth.cases,
// do_bench medians, MiB per buffer): the fit must give the constants validation/h100/fit.py
// wrote into data/hardware/efficiency.toml from them (seconds_launch 5.49243e-06,
// memory_fraction 0.904227 of 3.35 TB/s).
TEST(FitCopyLine, GivesTheHopperConstantsFromTheH100CopyTimings) {
  const std::pair<double, double> mib_ms[] = {{1, 0.006175999995321035},   {8, 0.011071999557316303},
                                              {32, 0.027567999437451363},  {128, 0.09398400038480759},
                                              {512, 0.36185601353645325},  {2048, 1.4211839437484741},
                                              {4096, 2.8363040685653687}};
  std::vector<CopyTiming> t;
  for (auto [mib, ms] : mib_ms) t.push_back({2 * mib * (1 << 20), ms * 1e-3});
  auto line = fit_copy_line(t);
  ASSERT_TRUE(line.has_value());
  EXPECT_NEAR(line->seconds_fixed, 5.49243e-06, 1e-10);
  EXPECT_NEAR(line->bytes_per_second / 3.35e12, 0.904227, 1e-6);
}

TEST(FitCopyLine, RefusesWhatCannotMakeALine) {
  EXPECT_FALSE(fit_copy_line({}).has_value());
  std::vector<CopyTiming> one_size = {{1e6, 1e-5}, {1e6, 1.1e-5}};
  EXPECT_FALSE(fit_copy_line(one_size).has_value());
  std::vector<CopyTiming> bad = {{1e6, 1e-5}, {1e9, -1}};
  EXPECT_FALSE(fit_copy_line(bad).has_value());
  std::vector<CopyTiming> nan = {{1e6, 1e-5}, {NAN, 1e-3}};
  EXPECT_FALSE(fit_copy_line(nan).has_value());
  // Bigger copies that take less time: no positive bandwidth fits.
  std::vector<CopyTiming> backwards = {{1e6, 1e-3}, {1e9, 1e-5}};
  EXPECT_FALSE(fit_copy_line(backwards).has_value());
}

}  // namespace
}  // namespace flopscope::probe
