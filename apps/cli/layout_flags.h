// The many-device flags (--gpus, --tp, --sp, --pp, --virtual-stages, --ep, --cp, --zero,
// --global-batch, --system) that `predict train` and `plan train` share, and the system
// they run on (api/setup.h, api/predict.h).
#pragma once

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "flopscope/cost/parallel.h"
#include "flopscope/hw/system.h"
#include "flopscope/perf/parallel.h"
#include "flopscope/util/result.h"

namespace flopscope::cli {

struct LayoutFlags {
  int64_t gpus = 0;  ///< 0: not given (one device, the single-device path)
  int64_t tp = 1, pp = 1, ep = 1, cp = 1, virtual_stages = 1;
  bool sp = false;
  int zero = 1;
  int64_t global_batch = 0;
  std::string system;
  /// Whether any many-device flag was given (then `predict train` takes the parallel path).
  bool given(const CLI::App& sub) const;
};

/// Adds the flags; `with_layout` false adds only --gpus, --global-batch, --system (plan train).
void add_layout_flags(CLI::App& sub, LayoutFlags& f, bool with_layout = true);

/// The layout the flags describe (dp is derived later, from --gpus).
Parallel to_parallel(const LayoutFlags& f);

/// The system (api::resolve_system): --system (its hardware must match --hardware), or the
/// catalog's reference node of the hardware, or a standalone node.
Result<System> resolve_system(const std::string& system_flag, const Hardware& hardware, int64_t gpus);

/// The result document of a many-device training prediction (api::parallel_train_json).
nlohmann::json parallel_train_json(const ParallelPrediction& p, const std::string& model, const Hardware& hardware,
                                   const System& system);

/// Prints the human-readable report of the same (api::parallel_train_text).
void print_parallel_train(const ParallelPrediction& p, const std::string& model, const Hardware& hardware,
                          const System& system);

}  // namespace flopscope::cli
