// Autoscaling over a load curve: how many replicas each policy runs through a day of
// traffic, what that costs, and which requests end late or dropped. docs/serving.md,
// "Autoscaling", states the model and its limits.
//
// Inputs:
//   - the load: requests per second over time, CSV `time_s,rps`; row i's rate holds over
//     [t_i, t_{i+1}), the last row's for as long as the interval before it;
//   - one replica's capacity mu: the highest rate it serves within the latency targets
//     (plan/serving_capacity.h, found by the serving simulator; never entered by hand),
//     with its p95 TTFT at that rate and the requests it holds in flight (mu x mean e2e);
//   - the cold start of a new replica (data/serving/cold_start.toml):
//       image bytes / pull bandwidth + weight bytes / load bandwidth + engine init.
//
// Queueing approximation (a fluid FIFO queue, time step dt, default 10 s):
//   each step, arrivals rps(t) x dt join the queue's tail as one cohort; the ready replicas
//   serve up to N_ready x mu x dt from its head; a cohort served w seconds after it arrived
//   is late when w > slo_ttft - ttft_p95(mu) (the wait it can afford before the engine's own
//   p95 TTFT at capacity uses up the target); what the queue holds beyond max_queue is
//   dropped from its tail. Within capacity a replica meets the targets by construction of
//   mu, so lateness comes only from waiting. Counts are fractional (a fluid): requests_late
//   and requests_dropped are expected counts, not sampled ones.
//
// Replicas: a replica is billed from the moment a policy asks for it; it serves after its
// cold start. Scaling down removes starting replicas first, then ready ones, at once.
//   gpu_hours = sum over steps of (starting + ready replicas) x devices per replica x dt / 3600
//   usd       = gpu_hours x usd per device-hour (cheapest current on-demand price)
//
// Energy (plan/energy.h's one accounting): a billed replica draws power for all its billed
// time; it is busy, per second, the fraction u_mu x served / (mu x dt) of the time, where
// u_mu is the busy fraction the serving simulator found for one replica at capacity (so a
// replica serving half its capacity is busy half as much; a starting or idle one is idle):
//   busy replica-seconds = sum over steps of served requests / mu x u_mu
//   joules = devices x (idle W x billed replica-seconds + (board - idle) W x busy) x PUE
// exact for the power model's straight line P(u) = idle + (board - idle) u.
//
// Policies (each decides a desired count every step from what it can observe):
//   static-peak          ceil(peak rps / mu) replicas from t = 0, warm: provisioned for the peak.
//   target-utilization   ceil(offered rate / (target x mu)) (the Kubernetes HPA on a requests-
//                        per-second metric: utilization = offered rate / (replicas x mu)).
//   queue-depth          ceil(requests in the system / per-replica target), in the system =
//                        queued + in flight; the target defaults to mu x mean e2e, what one
//                        replica holds at capacity (Knative's concurrency autoscaler).
//   schedule             replica counts at given times; without one, each hour's peak of the
//                        curve itself, more asked for one cold start ahead, fewer at the hour
//                        (a schedule written from yesterday's curve when today repeats it).
// Scale-up is immediate; scale-down takes the highest desired count of the last cool-down
// seconds (the HPA's stabilization window), so a load that dips briefly does not flap.
// Counts stay within [min_replicas, max_replicas].
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "flopscope/plan/energy.h"
#include "flopscope/plan/serving_capacity.h"
#include "flopscope/plan/serving_input.h"
#include "flopscope/util/result.h"

namespace flopscope {

/// Most time steps one simulation runs (time span / step).
inline constexpr int64_t kAutoscaleMaxSteps = 10'000'000;
/// Most replicas a policy may run.
inline constexpr int64_t kAutoscaleMaxReplicas = 1'000'000;


enum class AutoscalePolicy { kStaticPeak, kTargetUtilization, kQueueDepth, kSchedule };
inline constexpr int kAutoscalePolicyCount = 4;
/// "static-peak", "target-utilization", "queue-depth", "schedule".
std::string_view policy_name(AutoscalePolicy p);
/// A comma-separated list of policy names, or "all"; unknown names get a suggestion.
Result<std::vector<AutoscalePolicy>> parse_policies(std::string_view text);

/// One entry of a schedule: from `seconds` on, ask for `replicas`.
struct ScheduleEntry {
  double seconds = 0;
  int64_t replicas = 0;
};
/// "0:2,28800:6,72000:2" (time_s:replicas, times increasing).
Result<std::vector<ScheduleEntry>> parse_schedule(std::string_view text);

/// Where a new replica's time goes before it serves (seconds), and the figures behind it.
struct ColdStart {
  double bytes_image = 10e9;
  double bytes_per_second_pull = 2e8;
  double bytes_weights = 0;  ///< the whole replica (all its devices)
  double bytes_per_second_load = 1048576000;
  double seconds_engine_init = 60;
  std::string weights_from = "disk";  ///< "disk" or "network": which catalog bandwidth
  double seconds() const;
};

/// The catalog's defaults (data/serving/cold_start.toml) for weights read from `from`
/// ("disk" or "network"); `bytes_weights` stays 0 for the caller to set.
Result<ColdStart> cold_start_defaults(std::string_view from);

/// What one replica can do, from the capacity search.
struct ReplicaModel {
  double rps_capacity = 0;          ///< mu: highest rate within the latency targets
  double seconds_ttft_p95_at_capacity = 0;
  double requests_in_flight_at_capacity = 0;  ///< mu x mean e2e at mu
  int64_t devices = 1;                        ///< per replica (tp)
  double usd_per_device_hour = 0;             ///< 0: no price known
  double seconds_cold_start = 0;
  double busy_fraction_at_capacity = 0;       ///< u_mu: the simulator's busy fraction at mu
  double output_tokens_per_request = 0;       ///< mean, for energy per million tokens
};

struct AutoscaleKnobs {
  double seconds_step = 10;
  double seconds_slo_ttft = 0;      ///< the p95 TTFT target
  double max_queue = 0;             ///< requests waiting before new ones are dropped; 0: 60 s of peak load
  int64_t min_replicas = 1;
  int64_t max_replicas = 1000;
  double seconds_cooldown = 300;    ///< scale-down stabilization window
  double target_utilization = 0.7;  ///< target-utilization
  double queue_target = 0;          ///< queue-depth: requests in the system per replica; 0: in flight at capacity
  std::vector<ScheduleEntry> schedule;  ///< schedule; empty: hourly peaks of the curve
};

/// One time step of the timeline.
struct AutoscaleStep {
  double seconds = 0;
  double rps = 0;
  int64_t replicas_ready = 0;
  int64_t replicas_starting = 0;
  double queue = 0;           ///< requests waiting at the step's end
  double seconds_wait = 0;    ///< estimated wait of a request arriving now: queue / (ready x mu)
};

struct PolicyResult {
  AutoscalePolicy policy = AutoscalePolicy::kStaticPeak;
  double gpu_hours = 0;
  double usd = 0;             ///< 0 when no price is known
  double requests_total = 0;
  double requests_served = 0;
  double requests_late = 0;   ///< served after waiting beyond the TTFT slack
  double requests_dropped = 0;
  double slo_violation_fraction = 0;  ///< (late + dropped) / total
  int64_t replicas_peak = 0;
  double replicas_mean = 0;   ///< billed replicas, time-averaged
  int64_t scale_ups = 0;      ///< steps where the count rose
  int64_t scale_downs = 0;
  double seconds_wait_max = 0;
  double replica_seconds_billed = 0;
  double replica_seconds_busy = 0;  ///< sum of served / mu x u_mu (see the energy model above)
  EnergyEstimate energy;            ///< filled by run_autoscale
  std::vector<AutoscaleStep> timeline;
};

/// Runs one policy over the load. Errors: a step or cool-down out of range, a capacity <= 0,
/// min > max replicas, a schedule entry above max_replicas, too many steps.
Result<PolicyResult> simulate_autoscale(const std::vector<LoadPoint>& load, const ReplicaModel& replica,
                                        const AutoscaleKnobs& knobs, AutoscalePolicy policy);

/// The whole analysis: capacity search, cold start, every policy asked for.
struct AutoscaleOptions {
  CapacityOptions capacity;  ///< the replica, engine, lengths and latency targets
  std::vector<LoadPoint> load;
  std::vector<AutoscalePolicy> policies;
  AutoscaleKnobs knobs;       ///< seconds_slo_ttft is taken from capacity
  ColdStart cold_start;       ///< bytes_weights is computed here
  bool keep_timelines = true;
};

struct AutoscaleResult {
  CapacityResult capacity;
  ReplicaModel replica;
  ColdStart cold_start;
  std::vector<PolicyResult> policies;
};

/// Errors: find_capacity's, targets no setting meets (failure), simulate_autoscale's.
Result<AutoscaleResult> run_autoscale(const TransformerSpec& spec, const AutoscaleOptions& options,
                                      const Hardware& hardware, const TimingEngine& prefill_engine,
                                      const TimingEngine& decode_engine);

}  // namespace flopscope
