#include "flag_checks.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <fmt/format.h>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <vector>

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

// Products of flags that one computation multiplies together: each factor may be within
// its own range while the product wraps an int64 (tiles of a 2^32-cubed GEMM, the bytes of
// an attention call). Checked on the values given; absent flags count as 1.
struct ProductRule {
  std::vector<const char*> flags;
  double max;
  const char* what;  // "tokens per step"
};

// Multiply-adds of one GEMM or attention call (docs/limits.md): below 2^62, so that every
// partial product of its sizes (tiles, elements, bytes) fits an int64.
constexpr double kMultiplyAdds = 4.6e18;

const std::vector<ProductRule>& product_rules() {
  static const std::vector<ProductRule> kRules = {
      {{"--batch", "--seq"}, limits::kTokensPerStep, "tokens per step"},
      {{"--batch", "--prompt"}, limits::kTokensPerStep, "tokens per step"},
      {{"--batch", "--context"}, limits::kTokensPerStep, "cached tokens per step"},
      {{"--micro-batch", "--seq"}, limits::kTokensPerStep, "tokens per step"},
      {{"--batch", "--m", "--n", "--k"}, kMultiplyAdds, "multiply-adds"},
      {{"--batch", "--heads", "--seq", "--kv-len", "--head-dim"}, kMultiplyAdds, "multiply-adds"},
  };
  return kRules;
}

// The value given for `name` on `app` (1 when absent), as a double: the per-flag checks
// have already made it a plain finite number.
double given(CLI::App& app, const char* name) {
  CLI::Option* opt = app.get_option_no_throw(name);
  // predict attention: the key/value length defaults to the query length.
  if (opt && opt->count() == 0 && std::string_view(name) == "--kv-len") opt = app.get_option_no_throw("--seq");
  if (!opt || opt->count() == 0 || opt->results().empty()) return 1;
  return std::strtod(opt->results().back().c_str(), nullptr);
}

void add_product_checks(CLI::App& app) {
  std::vector<const ProductRule*> rules;
  for (const auto& rule : product_rules()) {
    bool all = true;
    for (const char* f : rule.flags) all = all && app.get_option_no_throw(f) != nullptr;
    if (all) rules.push_back(&rule);
  }
  if (rules.empty()) return;
  app.parse_complete_callback([&app, rules] {
    for (const ProductRule* rule : rules) {
      double product = 1;
      std::string names;
      for (const char* f : rule->flags) {
        product *= given(app, f);
        names += (names.empty() ? "" : " x ") + std::string(f);
      }
      if (product > rule->max) {
        std::string max = fmt::format("{:g}", rule->max);  // 1e+12 -> 1e12, as people write it
        if (auto plus = max.find("e+"); plus != std::string::npos) max.erase(plus + 1, 1);
        throw CLI::ValidationError(names, fmt::format("expected at most {} {}, got {:.3g}", max, rule->what, product));
      }
    }
  });
}

}  // namespace

void add_flag_checks(CLI::App& app) {
  for (CLI::Option* opt : app.get_options()) add_checks(opt);
  if (!app.get_name().empty()) add_product_checks(app);
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) add_flag_checks(*sub);
}

}  // namespace flopscope::cli
