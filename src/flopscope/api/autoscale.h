// `autoscale`: replicas, GPU-hours, cost and late or dropped requests of autoscaling policies
// over a load curve, from one replica's capacity within latency targets and its cold start
// (plan/autoscale.h; docs/serving.md, "Autoscaling").
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "flopscope/api/api.h"
#include "flopscope/api/serving.h"

namespace flopscope::api {

struct AutoscaleOptions {
  ServingModel serving;          ///< the model on its replica; prompt and output are required
  std::string load;              ///< CSV time_s,rps
  std::string policy = "all";    ///< static-peak, target-utilization, queue-depth, schedule, a comma list, or all
  std::string schedule;          ///< TIME_S:REPLICAS,... (default: hourly peaks, one cold start ahead)
  std::string svg;               ///< write a timeline of load, replicas and queueing wait here
  std::string weights_from = "disk";  ///< disk or network
  double slo_ttft_p95 = 0;
  double slo_itl_p95 = 0;
  int64_t requests = 400;        ///< requests per simulation in the capacity search
  double step = 10;              ///< seconds
  double cooldown = 300;         ///< seconds
  double target_utilization = 0.7;
  double queue_target = 0;       ///< 0: what one replica holds at capacity
  double max_queue = 0;          ///< 0: 60 s of peak
  int64_t min_replicas = 1;
  int64_t max_replicas = 1000;
  std::optional<double> image_bytes, pull_bytes_per_second, load_bytes_per_second, engine_init;
  /// Told what is running, for a person watching; may be empty.
  std::function<void(const std::string&)> progress;
};

/// The autoscale document (docs/json-schema.md, "autoscale") or its text report; writes the
/// timeline SVG when `svg` is set.
Result<Output> autoscale(const AutoscaleOptions& options, const Render& render);

/// The JSON form: the serving keys (serving.h) and load, policy, slo_ttft_p95, slo_itl_p95,
/// requests, step, cooldown, target_utilization, queue_target, max_queue, min_replicas,
/// max_replicas, schedule, weights_from, image_bytes, pull_bytes_per_second,
/// load_bytes_per_second, engine_init, svg.
Result<AutoscaleOptions> autoscale_options(const Json& options);

}  // namespace flopscope::api
