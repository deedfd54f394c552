// A job: a whole workload (a training run or a batch of inference requests) run on an
// environment, timed through the pipeline (perf/predict.h). Nothing here re-derives FLOPs
// or times: every second comes from predict() or from the timing engine.
//
// Training (and full fine-tuning, the same op list over fewer tokens):
//   one device: steps = ceil(tokens / (micro_batch * seq)), seconds = steps * predict() of one step
//   N devices:  the planner's best layout (plan/train_planner.h: tp/sp, pp/v, ZeRO,
//               recomputation, micro batch) on the hardware's reference system (hw/system.h)
//               for a global batch of micro_batch x N sequences (the single-device job's
//               work per round); seconds = ceil(tokens / (global batch * seq)) * seconds_per_step.
//               The collectives (tp exchanges, pipeline sends, the data-parallel gradient
//               reduction) are in the lowering and the step composition, not added here.
// Batch inference on N devices: replicas of tp devices each, tp the smallest of 1, 2, 4, 8
// (inside a node) whose replica fits (weights and KV cache split over tp; perf/predict.h):
//   batches    = ceil(requests / batch)
//   seconds    = ceil(batches / (N / tp)) * (prefill(batch, prompt) + decode)
//   decode     = output * Simpson's rule over the decode step time at contexts
//                prompt, prompt + output/2 and prompt + output - 1 (the step time grows
//                linearly with context, so this is exact for the linear part)
//   Fits: inference memory per device at batch x (prompt + output).
// `layout` and `fit_note` say which layout was used.
// Money, energy and carbon:
//   usd    = N * seconds / 3600 * usd_per_device_hour
//   joules = N * P(u) * seconds * PUE      (plan/energy.h, hw/power.h: P(u) = idle + (board - idle) * u,
//            u = busy seconds / seconds from the engine's bounds; PUE given or power.toml's default)
//   grams_co2 = joules / 3.6e6 * g_co2e_per_kwh   (plan/carbon.h: given, the env's region, or the
//               region of the price it pays; not known otherwise)
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "flopscope/model/transformer_spec.h"
#include "flopscope/perf/predict.h"
#include "flopscope/plan/carbon.h"
#include "flopscope/plan/energy.h"
#include "flopscope/plan/environment.h"

namespace flopscope {

enum class JobMode { kTrain, kFinetune, kInfer };

/// "train", "finetune" (or "fine-tune"), "infer"; errors name `field`.
Result<JobMode> parse_job_mode(std::string_view text, std::string_view field = "--mode");
const char* job_mode_name(JobMode m);

struct Job {
  JobMode mode = JobMode::kTrain;
  double tokens = 0;        ///< train / finetune: tokens to process
  int64_t micro_batch = 1;  ///< train: sequences per device per step
  int64_t seq = 2048;       ///< train: tokens per sequence
  int64_t requests = 0;     ///< infer: requests in all (0 = batch)
  int64_t batch = 1;        ///< infer: requests served together
  int64_t prompt = 0;       ///< infer: prompt tokens per request
  int64_t output = 0;       ///< infer: generated tokens per request
  bool training() const { return mode != JobMode::kInfer; }
  /// Units of work for cost per unit: tokens trained, or tokens generated.
  double work() const;
  const char* work_unit() const { return training() ? "tokens trained" : "tokens generated"; }
};

/// Checks sizes; errors name the flag ("--tokens: expected a positive number, got 0").
Status validate(const Job& job);

/// What a job takes on an environment.
struct JobRun {
  std::string env;        ///< environment name
  std::string hardware;   ///< catalog id
  int64_t devices = 1;
  DType dtype = DType::kBF16;
  DType weights = DType::kBF16;
  Software software = Software::kEager;
  bool fits = true;
  std::string fit_note;   ///< "fits on one device", "fits with tensor parallelism over 4 devices (2 replicas)", ...
  std::string layout;     ///< "" (one device per replica), "tp 4 x 2 replicas", "tp 2 pp 1 dp 4 zero 1"
  double bytes_per_device = 0;
  double bytes_device_memory = 0;
  double seconds = 0;     ///< wall clock
  double usd = 0;         ///< 0 when no price is known
  double usd_per_device_hour = 0;
  std::string price_source;
  double watts = 0;       ///< per device: the mean draw P(u) (energy.watts)
  double joules = 0;      ///< 0 when no power figure is known (see has_power())
  double seconds_busy = 0;  ///< per device: compute- and memory-bound seconds (plan/energy.h)
  EnergyEstimate energy;    ///< utilization, idle and board watts, PUE, joules (nullopt: not known)
  double grams_co2 = 0;   ///< 0 when no grid intensity or no power figure is known (see has_carbon())
  CarbonQuote carbon;     ///< the grid intensity charged (plan/carbon.h)
  double mfu = 0;         ///< of the predicted step (train) or prefill (infer)
  /// Wall seconds by what bounds them (compute, memory, overhead, communication).
  std::array<double, static_cast<size_t>(Bound::kCount)> seconds_by_bound{};
  Bound bound = Bound::kCompute;  ///< the largest of seconds_by_bound
  bool has_price() const { return usd_per_device_hour > 0; }
  bool has_power() const { return energy.known(); }  ///< false: no board power in the catalog and none given
  bool has_carbon() const { return has_power() && carbon.known(); }
};

/// Runs `job` of `spec` on `env`. Errors: a dtype the hardware lacks, bad sizes.
/// A job that does not fit is not an error: fits = false and fit_note says why.
Result<JobRun> run_job(const TransformerSpec& spec, const Job& job, const Environment& env);

}  // namespace flopscope
