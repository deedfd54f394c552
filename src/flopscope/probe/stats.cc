#include "flopscope/probe/stats.h"

#include <algorithm>
#include <chrono>
#include <cmath>

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

// Minimises sum(((a + x b) / t - 1)^2), linear in (a, b = 1 / bandwidth): the normal
// equations of the weighted problem with weights 1 / t^2.
std::optional<CopyLine> fit_copy_line(std::span<const CopyTiming> timings) {
  double s11 = 0, s12 = 0, s22 = 0, r1 = 0, r2 = 0;
  double x_min = INFINITY, x_max = -INFINITY;
  for (const CopyTiming& c : timings) {
    if (!std::isfinite(c.bytes) || !std::isfinite(c.seconds) || c.bytes <= 0 || c.seconds <= 0) return std::nullopt;
    double w = 1 / (c.seconds * c.seconds);
    s11 += w;
    s12 += c.bytes * w;
    s22 += c.bytes * c.bytes * w;
    r1 += 1 / c.seconds;
    r2 += c.bytes / c.seconds;
    x_min = std::min(x_min, c.bytes);
    x_max = std::max(x_max, c.bytes);
  }
  if (timings.size() < 2 || !(x_max > x_min)) return std::nullopt;
  double det = s11 * s22 - s12 * s12;
  if (!(det > 0)) return std::nullopt;
  double a = (r1 * s22 - r2 * s12) / det;
  double b = (s11 * r2 - s12 * r1) / det;
  if (!(a > 0) || !(b > 0) || !std::isfinite(a) || !std::isfinite(b)) return std::nullopt;
  return CopyLine{a, 1 / b};
}

}  // namespace flopscope::probe
