// Pieces every model command's result shares: the conventions block, parameter and FLOP
// breakdown fields, size checks with the CLI's flag names.
#pragma once

#include <string>

#include "flopscope/api/api.h"
#include "flopscope/cost/flops.h"
#include "flopscope/cost/params.h"
#include "flopscope/util/result.h"

namespace flopscope::api {

/// Checks that a size option is positive: "--batch: expected a positive integer, got 0".
Status check_positive(const char* flag, int64_t value);

/// The conventions every count output states.
Json conventions_json();

/// Parameter fields (params, params_active, ...).
Json params_json(const ParamCounts& c);

/// Forward FLOP breakdown by component (FLOPs, whole workload).
Json breakdown_json(const FlopBreakdown& b);

/// "8.03 B (8,030,261,248)" style parameter figure.
std::string format_params(int64_t n);

}  // namespace flopscope::api
