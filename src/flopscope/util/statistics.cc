#include "flopscope/util/statistics.h"

#include <algorithm>
#include <cmath>
#include <cstddef>

namespace flopscope {

double median(std::vector<double> values) {
  if (values.empty()) return 0;
  size_t mid = values.size() / 2;
  auto mid_it = values.begin() + static_cast<std::ptrdiff_t>(mid);
  std::nth_element(values.begin(), mid_it, values.end());
  double upper = *mid_it;
  if (values.size() % 2 == 1) return upper;
  // nth_element leaves every smaller value before `mid`: the largest of them is the lower
  // middle value.
  double lower = *std::max_element(values.begin(), mid_it);
  return (lower + upper) / 2;
}

double percentile(std::vector<double> values, double percent) {
  if (values.empty()) return 0;
  if (std::isnan(percent)) return std::nan("");
  double fraction = std::clamp(percent, 0.0, 100.0) / 100;
  double rank = fraction * static_cast<double>(values.size() - 1);
  size_t below = static_cast<size_t>(std::floor(rank));
  auto below_it = values.begin() + static_cast<std::ptrdiff_t>(below);
  std::nth_element(values.begin(), below_it, values.end());
  double lower = *below_it;
  if (below + 1 >= values.size()) return lower;
  // Everything after `below` is >= lower: its minimum is the next value in sorted order.
  double upper = *std::min_element(below_it + 1, values.end());
  return lower + (rank - static_cast<double>(below)) * (upper - lower);
}

}  // namespace flopscope
