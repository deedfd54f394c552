#include "flopscope/util/statistics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace flopscope {
namespace {

TEST(Median, OddCountIsMiddleValue) { EXPECT_EQ(median({3, 1, 2}), 2); }
TEST(Median, EvenCountAveragesMiddleTwo) { EXPECT_EQ(median({4, 1, 3, 2}), 2.5); }
TEST(Median, SingleAndEmpty) {
  EXPECT_EQ(median({7}), 7);
  EXPECT_EQ(median({}), 0);
}
TEST(Median, IgnoresOneOutlier) { EXPECT_EQ(median({1.0, 1.1, 0.9, 1.0, 100.0}), 1.0); }
TEST(Median, EvenCountWithDuplicatesAroundTheMiddle) { EXPECT_EQ(median({5, 1, 5, 1}), 3); }

TEST(Percentile, EndsAreMinimumAndMaximum) {
  std::vector<double> v{9, 2, 7, 4};
  EXPECT_EQ(percentile(v, 0), 2);
  EXPECT_EQ(percentile(v, 100), 9);
}

TEST(Percentile, ExactRankNeedsNoInterpolation) { EXPECT_EQ(percentile({5, 1, 4, 2, 3}, 25), 2); }

// numpy.percentile([10, 20], 97.5) == 19.75 and numpy.percentile([1, 2, 3, 4], 2.5)
// == 1.075: linear interpolation between the closest ranks (Hyndman & Fan type 7).
TEST(Percentile, InterpolatesLinearlyBetweenClosestRanksLikeNumpy) {
  EXPECT_DOUBLE_EQ(percentile({20, 10}, 97.5), 19.75);
  EXPECT_DOUBLE_EQ(percentile({4, 3, 2, 1}, 2.5), 1.075);
  EXPECT_DOUBLE_EQ(percentile({4, 3, 2, 1}, 97.5), 3.925);
}

TEST(Percentile, FiftiethIsTheMedian) {
  std::vector<double> odd{0.3, 8, -1, 4.5, 2};
  std::vector<double> even{0.3, 8, -1, 4.5, 2, 6};
  EXPECT_DOUBLE_EQ(percentile(odd, 50), median(odd));
  EXPECT_DOUBLE_EQ(percentile(even, 50), median(even));
}

TEST(Percentile, ClampsOutOfRangePercentAndHandlesEmptyAndNan) {
  EXPECT_EQ(percentile({1, 2, 3}, -10), 1);
  EXPECT_EQ(percentile({1, 2, 3}, 250), 3);
  EXPECT_EQ(percentile({}, 50), 0);
  EXPECT_EQ(percentile({42}, 97.5), 42);
  EXPECT_TRUE(std::isnan(percentile({1, 2}, std::nan(""))));
}

}  // namespace
}  // namespace flopscope
