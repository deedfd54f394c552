// Order statistics of samples: the median of repeated timings (probe, timing engine) and
// the percentiles of a bootstrap (scaling/fit). One definition, so that every stage
// summarizes samples the same way.
//
// Percentiles interpolate linearly between the closest ranks: for n sorted values
// v[0..n-1], the p-th percentile sits at rank r = p / 100 * (n - 1) and is
// v[floor(r)] + frac(r) * (v[floor(r) + 1] - v[floor(r)]). This is Hyndman & Fan (1996)
// definition 7, the default of numpy.percentile and of R's quantile(); the 50th percentile
// equals the median.
#pragma once

#include <vector>

namespace flopscope {

/// The median of `values` (mean of the middle two for an even count); 0 when empty.
/// Takes the vector by value and reorders the copy, in O(n).
///
/// **Example**: `median({3, 1, 2}) == 2`, `median({4, 1, 3, 2}) == 2.5`.
double median(std::vector<double> values);

/// The `percent`-th percentile of `values` (`percent` in [0, 100], clamped), interpolated
/// linearly between the closest ranks (definition above); 0 when empty, NaN when `percent`
/// is NaN. O(n).
///
/// **Example**: `percentile({1, 2, 3, 4, 5}, 25) == 2`, `percentile({10, 20}, 97.5) == 19.75`.
double percentile(std::vector<double> values, double percent);

}  // namespace flopscope
