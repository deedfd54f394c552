// Serving capacity: the highest Poisson rate one replica sustains within latency targets
// (p95 time to first token and p95 inter-token latency), found by bisection over the rate
// with the serving simulator (plan/serving.h), for each of a few engine settings (the
// maximum of running sequences: fewer trade throughput for a shorter ITL). docs/serving.md.
//
//   max_rate_per_replica = max over settings of the largest rate r <= saturation (the
//                          offline throughput, every request queued at once) with
//                          p95 TTFT(r) <= slo_ttft and p95 ITL(r) <= slo_itl
//   replicas             = ceil(rate / max_rate_per_replica)
//   usd_per_million_tokens = usd per device-hour x devices per replica
//                            / (max_rate x mean output tokens x 3600) x 1e6   (output tokens)
#pragma once

#include <cstdint>
#include <vector>

#include "flopscope/plan/serving.h"

namespace flopscope {

struct CapacityOptions {
  ServingOptions serving;  ///< the replica, engine and lengths; load kind and rate are set here
  double seconds_slo_ttft_p95 = 0;
  double seconds_slo_itl_p95 = 0;
  int64_t requests = 400;  ///< per simulation
  std::vector<int64_t> max_running_choices = {256, 128, 64, 32, 16, 8};
  int bisection_steps = 12;
};

struct CapacityResult {
  bool met = false;                  ///< some setting meets both targets at some rate
  double max_rate_per_replica = 0;   ///< requests per second
  int64_t max_running = 0;           ///< the setting that reached it
  double saturation_rate = 0;        ///< offline throughput (all requests at once), requests/s
  ServingResult at_max;              ///< the simulation at max_rate_per_replica
  /// Why no setting meets the targets (when !met): the p95s at the lowest rate tried.
  double seconds_ttft_p95_floor = 0, seconds_itl_p95_floor = 0;
  int64_t simulations = 0;
};

/// Errors: targets <= 0, and simulate_serving's.
Result<CapacityResult> find_capacity(const TransformerSpec& spec, const CapacityOptions& options, const Hardware& hardware,
                                     const TimingEngine& prefill_engine, const TimingEngine& decode_engine);

}  // namespace flopscope
