// Typed fields of TOML documents (calibration profiles, environment files, the hardware and
// price catalogs), with errors as values. Every message names the file and the dotted path
// of the field, and shows the offending value as the user wrote it:
//
//   prof.toml: memory.bytes_per_second_read: expected a non-negative number, got 'fast'
//   envs.toml: env.x.devices: expected a positive integer, got -1
//   envs.toml: env.x: unknown field 'devcies', did you mean 'devices'?
//
// Numbers are finite; integers are accepted where a number is expected (`watts = 700`).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <toml++/toml.h>
#include <vector>

#include "flopscope/util/result.h"

namespace flopscope {

/// Which numbers a field accepts.
enum class Sign { kNonNegative, kPositive };

/// The value as the user wrote it, for "got ...": `-4`, `2.5`, `'abc'`, `true`, `a table`,
/// `an array`, `a date or time`.
std::string describe_toml(const toml::node& node);

/// Reads the fields of one TOML table, at the dotted path `where` of a document read from
/// `origin`. Optional fields leave their output untouched when absent.
///
/// **Example**:
///
///     TomlReader device(origin, "device");
///     if (auto e = device.check_keys(table, {"name", "compute_units"})) return *e;
///     if (auto e = device.read(table, "name", p.device_name)) return *e;
///     if (auto e = device.read(table, "compute_units", Sign::kNonNegative, p.compute_units)) return *e;
class TomlReader {
 public:
  /// `origin` (the path as the user gave it) starts every message; `where` ("" for the
  /// document's root, "env.h100", "gemm[3]") is the table's dotted path.
  explicit TomlReader(std::string_view origin, std::string where = "");

  /// The reader of the table at `where.key`.
  TomlReader nested(std::string_view key) const;
  /// "where.key", or `key` at the root; `where` for an empty key.
  std::string field(std::string_view key) const;

  /// "ORIGIN: FIELD", the start of at()'s messages, for parsers that take such a prefix
  /// (parse_dtype).
  std::string prefix(std::string_view key) const;
  /// "ORIGIN: FIELD: WHAT", or "ORIGIN: WHAT" for the root and an empty key.
  Error at(std::string_view key, std::string_view what) const;
  /// at(key, "expected WHAT, got <the value>").
  Error expected(std::string_view key, std::string_view what, const toml::node& got) const;
  /// "ORIGIN: WHERE: unknown field 'KEY', did you mean 'K'?" for a key not in `known`.
  Error unknown_field(std::string_view key, const std::vector<std::string>& known) const;
  /// The first key of `table` that is not in `known`:
  /// "ORIGIN: WHERE: unknown field 'KEY', did you mean 'K'?". A typo must not be ignored.
  std::optional<Error> check_keys(const toml::table& table, const std::vector<std::string>& known) const;

  // One value: the node at `key` of this table.
  Result<std::string> string(const toml::node& node, std::string_view key) const;
  Result<double> number(const toml::node& node, std::string_view key, Sign sign) const;
  Result<int64_t> integer(const toml::node& node, std::string_view key, Sign sign) const;
  Result<bool> boolean(const toml::node& node, std::string_view key) const;

  // Optional fields of `table`: an absent key leaves `out` as it is.
  std::optional<Error> read(const toml::table& table, std::string_view key, std::string& out) const;
  std::optional<Error> read(const toml::table& table, std::string_view key, Sign sign, double& out) const;
  std::optional<Error> read(const toml::table& table, std::string_view key, Sign sign,
                            std::optional<double>& out) const;
  std::optional<Error> read(const toml::table& table, std::string_view key, Sign sign, int64_t& out) const;
  std::optional<Error> read(const toml::table& table, std::string_view key, bool& out) const;
  /// A required integer: absent is "missing, expected a positive integer".
  std::optional<Error> require(const toml::table& table, std::string_view key, Sign sign, int64_t& out) const;
  /// The [key] table of `table`, or nullptr when absent; another type is an error.
  std::optional<Error> sub_table(const toml::table& table, std::string_view key, const toml::table*& out) const;

 private:
  std::string_view origin_;
  std::string where_;
};

}  // namespace flopscope
