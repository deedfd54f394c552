// `capacity`: the highest rate one replica sustains within p95 latency targets, the replicas
// a traffic needs, the cost per million output tokens, and (compare) scale up against scale
// out (plan/serving_capacity.h; docs/serving.md).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "flopscope/api/api.h"
#include "flopscope/api/serving.h"
#include "flopscope/hw/hardware.h"

namespace flopscope::api {

struct CapacityOptions {
  ServingModel serving;      ///< the model on its replica; prompt and output are required
  double slo_ttft_p95 = 0;   ///< target p95 time to first token, seconds
  double slo_itl_p95 = 0;    ///< target p95 inter-token latency, seconds
  double rate = 0;           ///< traffic to serve, requests per second (0: none; no replica count)
  bool compare = false;      ///< scale up (tp 2/4/8, a bigger GPU) against scale out
  int64_t requests = 400;    ///< requests per simulation in the search
  double pue = 0;
  /// Told what is running, for a person watching; may be empty.
  std::function<void(const std::string&)> progress;
};

/// A configuration `compare` weighs against the baseline replica (scale out).
struct ScaleUpCandidate {
  std::string kind;      ///< "scale-up-tp" or "scale-up-gpu"
  std::string hardware;  ///< hardware id
  int64_t tp = 1;
};

/// What `compare` tries, in order: tp 2, 4 and 8 above `tp` on `base`, then every catalog
/// GPU other than `base` with at least its memory, more memory bandwidth and an on-demand
/// price (at `tp`). The command keeps the first three GPUs that the model runs on.
std::vector<ScaleUpCandidate> scale_up_candidates(const Hardware& base, int64_t tp);

/// The capacity document (docs/json-schema.md, "capacity") or its text report. No
/// configuration within the targets is a failure (exit 1).
Result<Output> capacity(const CapacityOptions& options, const Render& render);

/// The JSON form: the serving keys (serving.h) and slo_ttft_p95, slo_itl_p95, rate, compare,
/// requests, pue.
Result<CapacityOptions> capacity_options(const Json& options);

}  // namespace flopscope::api
