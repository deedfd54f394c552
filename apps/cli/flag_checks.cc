#include "flag_checks.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fmt/format.h>
#include <limits>
#include <map>
#include <string>

#include "flopscope/util/limits.h"

namespace flopscope::cli {

namespace {

// The range of one quantity. Integers: [min, max]. Floats: min is exclusive when
// `min_open` (a quantity that cannot be zero), max inclusive.
struct Range {
  double min;
  double max;
  bool min_open = false;
};

constexpr double kAny = std::numeric_limits<double>::max();

// Integer flags by name (docs/limits.md). Zero is refused wherever it would mean
// "use the default": an explicit value is never swapped for one.
const std::map<std::string, Range>& integer_ranges() {
  using namespace limits;
  static const std::map<std::string, Range> kRanges = {
      {"--batch", {1, static_cast<double>(kBatch)}},
      {"--micro-batch", {1, static_cast<double>(kBatch)}},
      {"--seq", {1, static_cast<double>(kPositions)}},
      {"--context", {1, static_cast<double>(kPositions)}},
      {"--kv-len", {1, static_cast<double>(kPositions)}},
      {"--prompt", {1, static_cast<double>(kPositions)}},
      {"--output", {1, static_cast<double>(kPositions)}},
      {"--requests", {1, static_cast<double>(kRequests)}},
      {"--gpus", {1, static_cast<double>(kDevices)}},
      {"--devices", {1, static_cast<double>(kDevices)}},
      {"--tp", {1, static_cast<double>(kDevices)}},
      {"--m", {1, static_cast<double>(kGemmDim)}},
      {"--n", {1, static_cast<double>(kGemmDim)}},
      {"--k", {1, static_cast<double>(kGemmDim)}},
      {"--heads", {1, static_cast<double>(kHeads)}},
      {"--kv-heads", {1, static_cast<double>(kHeads)}},
      {"--head-dim", {1, static_cast<double>(kHeadDim)}},
      {"--group-size", {1, static_cast<double>(kWidth)}},
      {"--top", {0, 1e6}},
      {"--bootstrap", {0, static_cast<double>(kBootstrap)}},
  };
  return kRanges;
}

// Float flags by name. Every float flag must be finite; these also have a range.
const std::map<std::string, Range>& float_ranges() {
  using namespace limits;
  static const std::map<std::string, Range> kRanges = {
      {"--tokens", {0, kTokensTrained, true}},
      {"--flops", {0, 1e40, true}},
      {"--gpu-hours", {0, 1e12, true}},
      {"--budget-usd", {0, 1e15, true}},
      {"--mfu", {0, 1, true}},
      {"--inference-mfu", {0, 1, true}},
      {"--price", {0, 1e6, true}},
      {"--inference-tokens", {0, 1e20}},
      {"--overhead-gib", {0, 1e6}},
      {"--tokens-per-second", {0, 1e15, true}},
      {"--egress-gb", {0, 1e12}},
      {"--usd-per-gb", {0, 1e6}},
      {"--engineer-hours", {0, 1e9}},
      {"--usd-per-engineer-hour", {0, 1e6}},
      {"--weight-time", {0, 100}},
      {"--weight-cost", {0, 100}},
  };
  return kRanges;
}

std::string quote(const std::string& s) { return "'" + s + "'"; }

std::string show(double v) { return fmt::format("{:.15g}", v); }

std::string describe(const Range& r, bool integer) {
  if (integer) {
    if (r.min == 0) return fmt::format("a non-negative integer at most {} (docs/limits.md)", show(r.max));
    return fmt::format("a positive integer at most {} (docs/limits.md)", show(r.max));
  }
  return fmt::format("a number in {}{}, {}] (docs/limits.md)", r.min_open ? "(" : "[", show(r.min), show(r.max));
}

// Returns an error ("" when fine) and rewrites `s` to plain decimal digits, so that CLI11's
// base-0 strtoll cannot read "010" as octal.
std::string check_integer(std::string& s, const Range* range, bool is_unsigned) {
  std::string digits = s;
  bool negative = !digits.empty() && digits[0] == '-';
  if (negative || (!digits.empty() && digits[0] == '+')) digits.erase(0, 1);
  if (digits.empty() || digits.find_first_not_of("0123456789") != std::string::npos) {
    return "expected an integer, got " + quote(s);
  }
  digits.erase(0, std::min(digits.find_first_not_of('0'), digits.size() - 1));
  // Past 19 digits nothing fits; compare as a double only to say which side.
  uint64_t magnitude = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude);
  (void)end;
  const bool overflow = ec != std::errc() || magnitude > static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (range) {
    if (overflow || negative || static_cast<double>(magnitude) > range->max ||
        static_cast<double>(magnitude) < range->min) {
      if (!overflow && !negative && magnitude == 0 && range->min > 0) {
        return "expected a positive integer, got 0";
      }
      if (negative && !overflow && magnitude != 0) {
        return fmt::format("expected {}, got -{}", range->min > 0 ? "a positive integer" : "a non-negative integer",
                           digits);
      }
      return "expected " + describe(*range, true) + ", got " + s;
    }
  } else if (overflow || (is_unsigned && negative)) {
    return fmt::format("expected an integer in 0..{}, got {}", std::numeric_limits<int64_t>::max(), s);
  }
  s = (negative ? "-" : "") + digits;
  return "";
}

std::string check_float(const std::string& s, const Range* range) {
  if (s.empty()) return "expected a number, got ''";
  const char* begin = s.c_str();
  char* end = nullptr;
  errno = 0;
  double v = std::strtod(begin, &end);
  if (end != begin + s.size() || s.find_first_of("xXpP") != std::string::npos) {
    return "expected a number, got " + quote(s);
  }
  if (!std::isfinite(v) || errno == ERANGE) {
    if (range) return "expected " + describe(*range, false) + ", got " + s;
    return "expected a finite number, got " + s;
  }
  if (range && (v > range->max || v < range->min || (range->min_open && v == range->min))) {
    return "expected " + describe(*range, false) + ", got " + s;
  }
  return "";
}

void add_checks(CLI::Option* opt) {
  const std::string type = opt->get_type_name();
  const bool is_int = type == "INT" || type == "UINT";
  const bool is_float = type == "FLOAT";
  if (!is_int && !is_float) return;
  const Range* range = nullptr;
  for (const auto& name : opt->get_lnames()) {
    const auto& table = is_int ? integer_ranges() : float_ranges();
    auto it = table.find("--" + name);
    if (it != table.end()) range = &it->second;
  }
  const bool is_unsigned = type == "UINT";
  // transform, not check: CLI11 hands check() a copy, and the value must be rewritten.
  opt->transform(CLI::Validator(
      [range, is_int, is_unsigned](std::string& s) {
        return is_int ? check_integer(s, range, is_unsigned) : check_float(s, range);
      },
      "", "flopscope-range"));
}

}  // namespace

void add_flag_checks(CLI::App& app) {
  for (CLI::Option* opt : app.get_options()) add_checks(opt);
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) add_flag_checks(*sub);
}

}  // namespace flopscope::cli
