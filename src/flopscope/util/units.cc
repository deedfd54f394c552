#include "flopscope/util/units.h"

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

namespace flopscope {

namespace {
// Significant digits -> digits after the point for a mantissa in [1, 1000).
int decimals_for(double mantissa, int digits) {
  double a = std::fabs(mantissa);
  int int_digits = a >= 100 ? 3 : a >= 10 ? 2 : 1;
  return std::max(0, digits - int_digits);
}
}  // namespace

std::string format_si(double value, const std::string& unit, int digits) {
  static const char* kPrefixes[] = {"", "k", "M", "G", "T", "P", "E"};
  if (value == 0 || !std::isfinite(value)) return fmt::format("{} {}", value, unit);
  double a = std::fabs(value);
  int idx = 0;
  while (a >= 999.5 && idx < 6) {
    a /= 1000;
    value /= 1000;
    ++idx;
  }
  if (idx == 0 && std::fabs(value) < 1) return fmt::format("{:.{}g} {}", value, digits, unit);
  std::string s = fmt::format("{:.{}f} {}{}", value, decimals_for(value, digits), kPrefixes[idx], unit);
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

std::string format_count(int64_t value) {
  std::string digits = std::to_string(value < 0 ? -value : value);
  std::string out;
  int n = static_cast<int>(digits.size());
  for (int i = 0; i < n; ++i) {
    out.push_back(digits[i]);
    if ((n - i - 1) % 3 == 0 && i != n - 1) out.push_back(',');
  }
  return value < 0 ? "-" + out : out;
}

std::string format_bytes(double bytes) {
  static const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double a = bytes;
  int idx = 0;
  while (std::fabs(a) >= 1023.5 && idx < 6) {
    a /= 1024;
    ++idx;
  }
  if (idx == 0) return fmt::format("{:.0f} B", a);
  return fmt::format("{:.{}f} {}", a, decimals_for(a, 3), kUnits[idx]);
}

std::string format_seconds(double s) {
  double a = std::fabs(s);
  if (a == 0) return "0 s";
  if (a < 1e-6) return fmt::format("{:.{}f} ns", s * 1e9, decimals_for(s * 1e9, 3));
  if (a < 1e-3) return fmt::format("{:.{}f} us", s * 1e6, decimals_for(s * 1e6, 3));
  if (a < 1) return fmt::format("{:.{}f} ms", s * 1e3, decimals_for(s * 1e3, 3));
  if (a < 120) return fmt::format("{:.{}f} s", s, decimals_for(s, 3));
  if (a < 7200) return fmt::format("{:.1f} min", s / 60);
  if (a < 3 * 86400) return fmt::format("{:.1f} h", s / 3600);
  if (a < 730 * 86400) return fmt::format("{:.1f} days", s / 86400);
  return fmt::format("{:.1f} years", s / (365.25 * 86400));
}

std::string format_usd(double usd) {
  if (!std::isfinite(usd)) return "n/a";
  const double a = std::fabs(usd);
  const char* sign = usd < 0 ? "-" : "";
  if (a >= 1e5) return fmt::format("{}${}", sign, format_count(static_cast<int64_t>(std::llround(a))));
  if (a > 0 && a < 0.995) {
    // Two significant digits, at least two decimals: 0.42 -> 0.42, 0.0042 -> 0.0042.
    int decimals = std::max(2, 1 - static_cast<int>(std::floor(std::log10(a))));
    return fmt::format("{}${:.{}f}", sign, a, decimals);
  }
  int64_t cents_total = std::llround(a * 100);
  return fmt::format("{}${}.{:02d}", sign, format_count(cents_total / 100), static_cast<int>(cents_total % 100));
}

std::string format_percent(double fraction) { return fmt::format("{:.1f}%", fraction * 100); }

}  // namespace flopscope
