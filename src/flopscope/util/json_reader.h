// Typed access to the keys of a JSON object, with errors of the form
// "config.json: hidden_size: expected a positive integer, got string "abc"".
// The first error is kept; callers read every key they need, then check failed().
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "flopscope/util/limits.h"
#include "flopscope/util/result.h"

namespace flopscope {

/// Parses JSON text from a file or a flag. Refuses, with one line naming `origin`, nesting
/// deeper than `max_depth` (the parser and the destructor recurse: 100k nested '[' would
/// overflow the stack), numbers beyond a double's range, invalid UTF-8 and bad syntax.
Result<nlohmann::json> parse_json(std::string_view text, std::string_view origin, int max_depth = limits::kJsonDepth);

/// Largest integer a JsonReader accepts for each key (docs/limits.md); keys not listed
/// get the reader's default limit.
using IntegerLimits = std::map<std::string, int64_t, std::less<>>;

class JsonReader {
 public:
  /// `limits` (optional, must outlive the reader) bounds integer keys; others are bounded
  /// by `default_max`.
  JsonReader(const nlohmann::json& object, std::string origin, const IntegerLimits* limits = nullptr,
             int64_t default_max = std::numeric_limits<int64_t>::max())
      : j_(object), origin_(std::move(origin)), limits_(limits), default_max_(default_max) {}

  bool has(std::string_view key) const;  ///< present and not null
  /// A required integer > 0 (>= 0 when allow_zero), at most the key's limit.
  int64_t positive(std::string_view key, bool allow_zero = false);
  /// The limit on an integer key.
  int64_t limit(std::string_view key) const;
  /// An optional integer >= 0; `fallback` when absent or null.
  int64_t optional_int(std::string_view key, int64_t fallback);
  bool optional_bool(std::string_view key, bool fallback);
  double optional_double(std::string_view key, double fallback);
  std::string optional_string(std::string_view key, std::string fallback);
  /// The first of several keys that is present (aliases such as n_embd / hidden_size).
  std::optional<std::string> first_present(std::initializer_list<std::string_view> keys) const;

  bool failed() const { return error_.has_value(); }
  const Error& error() const { return *error_; }
  /// Records an error about `key` unless one is recorded already.
  void fail(std::string_view key, std::string_view expected, std::string_view got);
  const std::string& origin() const { return origin_; }
  const nlohmann::json& json() const { return j_; }

 private:
  static std::string describe(const nlohmann::json& v);
  const nlohmann::json& j_;
  std::string origin_;
  const IntegerLimits* limits_ = nullptr;
  int64_t default_max_ = 0;
  std::optional<Error> error_;
};

}  // namespace flopscope
