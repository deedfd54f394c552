#include "flopscope/probe/stats.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace flopscope::probe
