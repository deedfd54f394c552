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

/// A document given as text (the server's inline portfolio or CSV) must not make the library
/// read a file: each model it names must be a catalog name. "<origin>: <field>: a <what>
/// given as text names catalog models only (...), got '<model>'" otherwise.
Status catalog_model_only(std::string_view origin, std::string_view field, std::string_view what,
                          const std::string& model);

/// "8.03 B (8,030,261,248)" style parameter figure.
std::string format_params(int64_t n);

}  // namespace flopscope::api
