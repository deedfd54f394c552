// The workload flags `transition` and `rank` share: a model and what it is asked to do
// (train / finetune on tokens, or serve requests), into api::WorkloadOptions.
#pragma once

#include <CLI/CLI.hpp>

#include "flopscope/api/transition.h"

namespace flopscope::cli {

/// Adds MODEL, --mode, --tokens, --seq, --micro-batch, --requests, --batch, --prompt, --output, --pue.
void add_workload_flags(CLI::App& sub, api::WorkloadOptions& w);

}  // namespace flopscope::cli
