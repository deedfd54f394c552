// The fastest (or cheapest) training layout on N devices (docs/parallelism.md, "Planning"):
// every valid combination of tensor (with and without sequence parallelism), pipeline (with
// 1, 2 or 4 interleaved chunks), context and expert parallelism, ZeRO stage, recomputation
// and micro batch, the data-parallel size derived, ranked among those that fit.
//
// Each layout is composed (perf/parallel.h, compose) from its stage's profile, which is
// lowered and timed once per (tp, sp, cp, ep, micro batch, recompute) and scaled once per
// pipeline depth: pp, v, dp and ZeRO are arithmetic. The ranked layouts are then predicted
// by predict_parallel_train, which is the same profile + compose, so the planner and
// `predict train` agree exactly.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "flopscope/hw/system.h"
#include "flopscope/perf/parallel.h"

namespace flopscope {

enum class PlanObjective { kThroughput, kCost };
Result<PlanObjective> parse_plan_objective(std::string_view text);
const char* plan_objective_name(PlanObjective o);

struct PlanRequest {
  /// phase kTrainStep; seq, dtypes, modules, precision as `predict train` takes them. Its
  /// batch, recompute and layout are what the planner searches (gpus_per_node: the system's).
  Workload workload;
  int64_t gpus = 1;
  int64_t global_batch = 1;
  std::vector<Recompute> recompute = {Recompute::kNone, Recompute::kSelective, Recompute::kFull};
  int64_t top = 5;
  int64_t max_micro_batch = 64;
  PlanObjective objective = PlanObjective::kThroughput;
  /// Price per device-hour (plan/price_catalog.h); 0 = unknown (no cost; kCost refused).
  double usd_per_device_hour = 0;
  /// Only whether a layout fits: the search stops at the first that does, which becomes the
  /// one entry of `top` with its memory alone (prediction.memory and fits; no times); no
  /// runner-up and no not-fitting layouts are predicted, and the search checks memory alone
  /// (perf/parallel.h, step_memory), lowering nothing. Whether it
  /// fits is the same as a full search's answer (report's devices-to-train table asks this
  /// of ten accelerators at doubling device counts).
  bool fit_only = false;
};

struct PlannedLayout {
  Parallel layout;               ///< dp and micro_batches set
  int64_t micro_batch = 1;
  Recompute recompute = Recompute::kNone;
  ParallelPrediction prediction;  ///< as predict_parallel_train gives it (with the op list for the top K)
  double usd_per_token = 0;       ///< gpus x usd_per_device_hour / 3600 / tokens_per_second; 0 without a price
  std::string describe() const;   ///< "tp 8 sp pp 2 dp 4 zero 1, micro batch 1, selective"
};

struct PlanResult {
  int64_t layouts_searched = 0;  ///< every combination evaluated
  int64_t layouts_valid = 0;     ///< that split the model and the sequence
  int64_t layouts_fitting = 0;   ///< that also fit the device memory
  std::vector<PlannedLayout> top;  ///< best first; empty when nothing fits
  /// The fastest valid layout when it does not fit (what memory costs), or the one needing
  /// the least memory when nothing fits.
  std::optional<PlannedLayout> fastest_not_fitting;
  std::optional<PlannedLayout> smallest_not_fitting;
  /// The fastest fitting layout whose split differs from the best's (not only its micro
  /// batch or recomputation): what `why` compares the best with.
  std::optional<PlannedLayout> runner_up;
  std::string why;               ///< why the best wins, or why nothing fits
  bool fits() const { return !top.empty(); }
};

/// (done, total) over the search's outer loop (tensor x pipeline x context splits).
using PlanProgress = std::function<void(int64_t done, int64_t total)>;

/// Searches every layout. Errors: bad request sizes (named by flag: --gpus, --global-batch,
/// --seq, --top), --objective cost without a price, no layout that splits the model.
/// Nothing fitting is a result (fits() false, `why` says how far the smallest is), not an error.
Result<PlanResult> plan_training(const TransformerSpec& spec, const PlanRequest& request, const Hardware& hardware,
                                 const System& system, const TimingEngine& engine, const MemoryOptions& memory_options,
                                 const PlanProgress& progress = {});

}  // namespace flopscope
