#include "flopscope/probe/stats.h"

#include <algorithm>
#include <chrono>

namespace flopscope::probe {

std::vector<double> time_repeated(const std::function<void()>& action, const RepeatPolicy& policy) {
  using Clock = std::chrono::steady_clock;
  for (int i = 0; i < policy.warmup; ++i) action();
  std::vector<double> seconds;
  double spent = 0;
  int reps_max = std::max(policy.repetitions_max, policy.repetitions_min);
  for (int i = 0; i < reps_max; ++i) {
    if (i >= policy.repetitions_min && spent >= policy.seconds_budget) break;
    auto start = Clock::now();
    action();
    double s = std::chrono::duration<double>(Clock::now() - start).count();
    seconds.push_back(s);
    spent += s;
  }
  return seconds;
}

}  // namespace flopscope::probe
