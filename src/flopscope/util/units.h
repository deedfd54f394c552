// Human formatting of quantities (design.md: k, M, G, T; KiB, MiB, GiB; ms, s, h, days).
// Machine output never uses these: JSON carries raw doubles in SI base units.
#pragma once

#include <cstdint>
#include <string>

namespace flopscope {

/// 1234567 -> "1.23 M" (decimal SI prefixes k, M, G, T, P, E); `unit` is appended.
std::string format_si(double value, const std::string& unit = "", int digits = 3);

/// Exact integer with thousands separators: 8030261248 -> "8,030,261,248".
std::string format_count(int64_t value);

/// Bytes with binary prefixes: 1536 -> "1.50 KiB".
std::string format_bytes(double bytes);

/// Seconds in the most readable unit: 0.0042 -> "4.20 ms", 90000 -> "1.04 days".
std::string format_seconds(double seconds);

/// US dollars, one format for every amount: comma-grouped, never an SI suffix, so that a
/// column of costs reads alike. Cents from $1 ("$1,234.50"); whole dollars from $100,000
/// ("$996,794", "$1,070,123"); under $1, two significant digits ("$0.42", "$0.0042"), so
/// that a few seconds of a GPU is not "$0.00".
std::string format_usd(double usd);

/// A fraction as a percentage: 0.4567 -> "45.7%".
std::string format_percent(double fraction);

}  // namespace flopscope
