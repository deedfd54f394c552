// Robust timing: warm-up, many repetitions, the median (design.md "the calibration method").
// The median rather than the mean or the minimum: a preempted run or a frequency dip moves
// the mean, a lucky cache state moves the minimum; the median moves with neither.
#pragma once

#include <functional>
#include <optional>
#include <span>
#include <vector>

#include "flopscope/util/statistics.h"  // median(): what the probes report of time_repeated()

namespace flopscope::probe {

/// How many times to run a measured action.
struct RepeatPolicy {
  int warmup = 2;                 ///< untimed runs first (page faults, caches, clocks)
  int repetitions_min = 5;        ///< timed runs, at least
  int repetitions_max = 50;       ///< timed runs, at most
  double seconds_budget = 0.5;    ///< stop adding runs past repetitions_min once this is spent
};

/// Runs `action` per `policy` and returns the seconds of each timed run (steady_clock).
std::vector<double> time_repeated(const std::function<void()>& action, const RepeatPolicy& policy);

/// One timed copy: bytes moved (read + written) and the seconds one call took.
struct CopyTiming {
  double bytes = 0;
  double seconds = 0;
};

/// The line t = seconds_fixed + bytes / bytes_per_second through copy timings of several
/// sizes: what one kernel costs beyond its traffic, as CUDA events around a single call see
/// it, and the sustained bandwidth. Least squares on the relative error, so a 1 MiB copy of
/// 5 us weighs as much as a 4 GiB copy of 2 ms (validation/h100/fit.py fits the H100's
/// seconds_launch and memory_fraction the same way).
struct CopyLine {
  double seconds_fixed = 0;
  double bytes_per_second = 0;
};

/// The fit above; nullopt for fewer than two distinct sizes, a non-positive or non-finite
/// timing, or a line whose bandwidth or intercept comes out non-positive.
std::optional<CopyLine> fit_copy_line(std::span<const CopyTiming> timings);

}  // namespace flopscope::probe
