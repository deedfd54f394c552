// Robust timing: warm-up, many repetitions, the median (design.md "the calibration method").
// The median rather than the mean or the minimum: a preempted run or a frequency dip moves
// the mean, a lucky cache state moves the minimum; the median moves with neither.
#pragma once

#include <functional>
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

}  // namespace flopscope::probe
