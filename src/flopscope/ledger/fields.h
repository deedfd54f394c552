// Parsing one field of an imported row: numbers with range checks and UTC timestamps.
// Each returns the reason as "expected ..., got '...'"; importers prefix the file, line and
// column.
#pragma once

#include <string>
#include <string_view>

#include "flopscope/util/result.h"

namespace flopscope {

/// Bounds every ledger number sits in: a dollar amount of one row, a count of tokens.
inline constexpr double kLedgerMaxUsd = 1e12;
inline constexpr double kLedgerMaxTokens = 1e16;
inline constexpr double kLedgerMaxSeconds = 1e9;        ///< one interval (~31 years)
inline constexpr double kLedgerMinUnixSeconds = 0;      ///< 1970
inline constexpr double kLedgerMaxUnixSeconds = 7.3e9;  ///< ~2200

/// A finite decimal number (no NaN, no infinity, no hex) in [lo, hi]; surrounding spaces
/// are ignored. Error: "expected a number in [lo, hi], got 'TEXT'".
Result<double> parse_bounded(std::string_view text, double lo, double hi);

/// A UTC instant as seconds since 1970: ISO 8601 "2024-09-01T12:00:00Z" (also with a space
/// for T, fractional seconds, "+hh:mm"/"-hh:mm" offsets, or no zone, taken as UTC), a date
/// "2024-09-01", or nvidia-smi's "2024/09/01 12:00:00.123". Error: "expected an ISO 8601
/// date and time, got 'TEXT'".
Result<double> parse_utc_time(std::string_view text);

/// "2024-09-01" of a UTC instant.
std::string utc_day(double unix_seconds);

/// Days since 1970-01-01 of a civil date (proleptic Gregorian; H. Hinnant's algorithm).
int64_t days_from_civil(int64_t y, unsigned m, unsigned d);

/// Where `text` stops being text a ledger can hold: the offset of its first NUL byte or byte
/// that is not part of valid UTF-8 (PostgreSQL stores neither), or npos when there is none.
size_t first_non_text_byte(std::string_view text);

/// `text` without leading and trailing spaces and tabs.
std::string_view trim(std::string_view text);

}  // namespace flopscope
