// The text formats the serving simulator and the autoscaler read from users: request traces
// (CSV or JSONL), load curves (CSV) and length distributions ("512", "uniform:128:1024",
// "exp:512"). Kept apart from the simulator, with nothing but util beneath them, so that
// the fuzz target (tests/fuzz/fuzz_serving_input.cc) builds them alone. Every size and
// number is range-checked here; errors name the file, the line and the field.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "flopscope/util/result.h"

namespace flopscope {

/// Most rows of a trace file (CSV or JSONL): the CSV reader's limit (docs/limits.md).
inline constexpr int64_t kServingMaxTraceRows = 100'000;
/// Largest arrival time in a trace (seconds, about 31.7 years).
inline constexpr double kServingMaxArrivalSeconds = 1e9;
/// Largest prompt or output length of one request (tokens).
inline constexpr int64_t kServingMaxTokens = int64_t{1} << 24;

/// Most rows of a load curve.
inline constexpr int64_t kAutoscaleMaxLoadRows = 100'000;
/// Latest time in a load curve (seconds, about 3.2 years).
inline constexpr double kAutoscaleMaxSeconds = 1e8;
/// Highest rate in a load curve (requests per second).
inline constexpr double kAutoscaleMaxRps = 1e7;

/// One request: when it arrives and its lengths.
struct ServingRequest {
  double seconds_arrival = 0;
  int64_t prompt = 0;
  int64_t output = 0;
};

/// A length: fixed, uniform over [lo, hi], or exponential around a mean (at least 1).
struct LengthDistribution {
  enum class Kind { kFixed, kUniform, kExponential };
  Kind kind = Kind::kFixed;
  int64_t value = 0;  ///< fixed; the mean of exponential
  int64_t lo = 0, hi = 0;
};

/// "512", "uniform:128:1024" or "exp:512" (`field` names the flag in errors).
Result<LengthDistribution> parse_length_distribution(std::string_view text, std::string_view field);

/// Parses a trace: CSV with a header `arrival_s,prompt,output`, or JSONL (one object per
/// line with those keys) when the first non-blank character is '{'. Arrival times >= 0 and
/// finite, lengths integers in [1, kServingMaxTokens], at most kServingMaxTraceRows rows;
/// the result is sorted by arrival. Errors: "trace.csv:7: prompt: expected an integer from
/// 1 to 16777216, got '-3'".
Result<std::vector<ServingRequest>> parse_serving_trace(std::string_view text, std::string_view origin);

/// One row of a load curve.
struct LoadPoint {
  double seconds = 0;  ///< time_s
  double rps = 0;      ///< requests per second from here to the next row
};

/// Parses `time_s,rps` CSV (header required; blank lines and '#' comments skipped). Times
/// strictly increase from >= 0 up to kAutoscaleMaxSeconds; rates are in [0, kAutoscaleMaxRps];
/// 2 to kAutoscaleMaxLoadRows rows. Errors name the file, line and column:
/// "day.csv:7: column 'rps': expected a rate from 0 to 1e+07 requests per second, got '-3'".
Result<std::vector<LoadPoint>> parse_load_curve(std::string_view text, std::string_view origin);

/// The rate at time t (piecewise constant; 0 outside the curve).
double load_rate_at(const std::vector<LoadPoint>& load, double seconds);
/// When the curve ends: the last row's time plus the interval before it.
double load_end_seconds(const std::vector<LoadPoint>& load);

}  // namespace flopscope
