// `simulate`: a continuous-batching serving engine under a load, simulated event by event
// (plan/serving.h; docs/serving.md).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "flopscope/api/api.h"
#include "flopscope/api/serving.h"

namespace flopscope::api {

struct SimulateOptions {
  ServingModel serving;       ///< the model on its replica and the engine settings
  std::string rate;           ///< Poisson requests per second over all replicas, or "inf"
  int64_t concurrency = 0;    ///< closed loop: clients
  std::string trace;          ///< CSV or JSONL of (arrival_s, prompt, output)
  int64_t requests = 0;       ///< 0: 1000 unless a duration is given
  double duration = 0;        ///< seconds of arrivals or of sending
  int64_t warmup = 0;         ///< first requests run but left out of the statistics
  uint64_t seed = 1;
  int64_t replicas = 1;
  double pue = 0;             ///< 0: the catalog's default
  /// Told what is running, for a person watching (the CLI on a terminal); may be empty.
  std::function<void(const std::string&)> progress;
};

/// The simulation document (docs/json-schema.md, "simulate") or its text report.
Result<Output> simulate(const SimulateOptions& options, const Render& render);

/// The JSON form: the serving keys (serving.h) and rate, concurrency, trace, requests,
/// duration, warmup, seed, replicas, pue. "rate" is a number or "inf".
Result<SimulateOptions> simulate_options(const Json& options);

}  // namespace flopscope::api
