// Flags shared by `simulate`, `capacity` and `autoscale`: the model, its replica (hardware,
// tp, dtypes) and the engine settings, read into api::ServingModel (api/serving.h).
#pragma once

#include <CLI/CLI.hpp>
#include <string>

#include "flopscope/api/serving.h"

namespace flopscope::cli {

/// MODEL, --hardware, --dtype, --profile, --software, --tp, --weights, --kv-dtype,
/// --prompt, --output and the engine settings; --json into `json`. Warnings (a profile of
/// other hardware) go to stderr.
void add_serving_flags(CLI::App& sub, api::ServingModel& m, bool& json);

}  // namespace flopscope::cli
