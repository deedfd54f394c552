#include "flopscope/plan/autoscale.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <deque>
#include <toml++/toml.h>

#include "flopscope/data/embedded.h"
#include "flopscope/hw/power.h"
#include "flopscope/perf/predict.h"
#include "flopscope/plan/price_catalog.h"
#include "flopscope/util/csv_table.h"
#include "flopscope/util/spellcheck.h"
#include "flopscope/util/text.h"
#include "flopscope/util/toml_reader.h"

namespace flopscope {
namespace {

constexpr std::string_view kPolicyNames[] = {"static-peak", "target-utilization", "queue-depth", "schedule"};
static_assert(std::size(kPolicyNames) == kAutoscalePolicyCount, "one name per AutoscalePolicy");

int64_t ceil_count(double x) {
  if (!(x > 0)) return 0;
  // A rate exactly at capacity needs that many replicas, not one more from rounding.
  const double c = std::ceil(x - 1e-9);
  return c >= static_cast<double>(kAutoscaleMaxReplicas) ? kAutoscaleMaxReplicas : static_cast<int64_t>(c);
}

}  // namespace



std::string_view policy_name(AutoscalePolicy p) { return kPolicyNames[static_cast<int>(p)]; }

Result<std::vector<AutoscalePolicy>> parse_policies(std::string_view text) {
  std::vector<AutoscalePolicy> out;
  const std::vector<std::string> names(std::begin(kPolicyNames), std::end(kPolicyNames));
  std::vector<std::string> candidates = names;
  candidates.emplace_back("all");
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    std::string name(text.substr(start, comma - start));
    start = comma + 1;
    if (name == "all") {
      for (int i = 0; i < kAutoscalePolicyCount; ++i) out.push_back(static_cast<AutoscalePolicy>(i));
      continue;
    }
    auto it = std::find(names.begin(), names.end(), name);
    if (it == names.end()) {
      const std::string hint = did_you_mean(name, candidates);
      return bad_input(fmt::format("--policy: unknown policy '{}'{}", name,
                                   !hint.empty() ? hint : fmt::format(": expected {} or all", fmt::join(names, ", "))));
    }
    out.push_back(static_cast<AutoscalePolicy>(it - names.begin()));
  }
  // Each policy once, in the order given.
  std::vector<AutoscalePolicy> unique;
  for (auto p : out) {
    if (std::find(unique.begin(), unique.end(), p) == unique.end()) unique.push_back(p);
  }
  return unique;
}

Result<std::vector<ScheduleEntry>> parse_schedule(std::string_view text) {
  std::vector<ScheduleEntry> out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string_view::npos) comma = text.size();
    const std::string item(text.substr(start, comma - start));
    start = comma + 1;
    const size_t colon = item.find(':');
    double seconds = 0, replicas = 0;
    const bool ok = colon != std::string::npos &&
                    parse_number_in_range(item.substr(0, colon), 0, kAutoscaleMaxSeconds, &seconds) &&
                    parse_number_in_range(item.substr(colon + 1), 0, static_cast<double>(kAutoscaleMaxReplicas), &replicas) &&
                    replicas == std::floor(replicas);
    if (!ok) {
      return bad_input(fmt::format("--schedule: expected TIME_S:REPLICAS (seconds 0 to {:g}, replicas 0 to {}), got '{}'",
                                   kAutoscaleMaxSeconds, kAutoscaleMaxReplicas, item));
    }
    if (!out.empty() && !(seconds > out.back().seconds)) {
      return bad_input(fmt::format("--schedule: expected times in increasing order, got '{}' after {:g}", item,
                                   out.back().seconds));
    }
    out.push_back({seconds, static_cast<int64_t>(replicas)});
  }
  return out;
}

double ColdStart::seconds() const {
  const double pull = bytes_image > 0 ? bytes_image / bytes_per_second_pull : 0;
  return pull + bytes_weights / bytes_per_second_load + seconds_engine_init;
}

Result<ColdStart> cold_start_defaults(std::string_view from) {
  if (from != "disk" && from != "network") {
    return bad_input(fmt::format("--weights-from: expected disk or network, got '{}'", from));
  }
  constexpr std::string_view origin = "data/serving/cold_start.toml";
  auto text = data::find_embedded("serving/cold_start.toml");
  if (!text) return failure(fmt::format("{}: not embedded in this build", origin));
  toml::table doc;
  try {
    doc = toml::parse(*text);
  } catch (const toml::parse_error& e) {
    return bad_input(fmt::format("{}: {}", origin, e.description()));
  }
  ColdStart c;
  c.weights_from = std::string(from);
  const TomlReader root(origin);
  const toml::table* image = nullptr;
  const toml::table* engine = nullptr;
  const toml::table* weights = nullptr;
  if (auto e = root.sub_table(doc, "image", image)) return *e;
  if (auto e = root.sub_table(doc, "engine", engine)) return *e;
  if (auto e = root.sub_table(doc, "weights", weights)) return *e;
  if (image == nullptr || engine == nullptr || weights == nullptr) {
    return failure(fmt::format("{}: expected [image], [engine] and [weights.{}] tables", origin, from));
  }
  const TomlReader wr = root.nested("weights");
  const toml::table* src = nullptr;
  if (auto e = wr.sub_table(*weights, from, src)) return *e;
  if (src == nullptr) return failure(fmt::format("{}: expected a [weights.{}] table", origin, from));
  if (auto e = root.nested("image").read(*image, "bytes", Sign::kNonNegative, c.bytes_image)) return *e;
  if (auto e = root.nested("image").read(*image, "bytes_per_second", Sign::kPositive, c.bytes_per_second_pull)) return *e;
  if (auto e = root.nested("engine").read(*engine, "seconds_init", Sign::kNonNegative, c.seconds_engine_init)) return *e;
  if (auto e = wr.nested(from).read(*src, "bytes_per_second", Sign::kPositive, c.bytes_per_second_load)) return *e;
  return c;
}

Result<PolicyResult> simulate_autoscale(const std::vector<LoadPoint>& load, const ReplicaModel& replica,
                                        const AutoscaleKnobs& k, AutoscalePolicy policy) {
  if (load.size() < 2) return bad_input("autoscale: expected a load curve of at least 2 rows");
  if (!(replica.rps_capacity > 0) || !std::isfinite(replica.rps_capacity)) {
    return bad_input(fmt::format("autoscale: expected a replica capacity above 0 requests/s, got {}", replica.rps_capacity));
  }
  if (!(replica.seconds_cold_start >= 0) || replica.seconds_cold_start > kAutoscaleMaxSeconds) {
    return bad_input(fmt::format("autoscale: expected a cold start from 0 to {:g} s, got {}", kAutoscaleMaxSeconds,
                                 replica.seconds_cold_start));
  }
  if (!(k.seconds_step >= 0.001) || k.seconds_step > 86400) {
    return bad_input(fmt::format("--step: expected seconds from 0.001 to 86400, got {}", k.seconds_step));
  }
  if (!(k.seconds_cooldown >= 0) || k.seconds_cooldown > 7 * 86400) {
    return bad_input(fmt::format("--cooldown: expected seconds from 0 to 604800, got {}", k.seconds_cooldown));
  }
  if (!(k.target_utilization > 0) || k.target_utilization > 1) {
    return bad_input(fmt::format("--target-utilization: expected a fraction above 0 and at most 1, got {}",
                                 k.target_utilization));
  }
  if (!(k.max_queue >= 0) || k.max_queue > 1e12) {
    return bad_input(fmt::format("--max-queue: expected requests from 0 to 1e12 (0: 60 s of peak load), got {}", k.max_queue));
  }
  if (!(k.queue_target >= 0) || k.queue_target > 1e9) {
    return bad_input(fmt::format("--queue-target: expected requests from 0 to 1e9 per replica, got {}", k.queue_target));
  }
  if (k.min_replicas < 0 || k.max_replicas < 1 || k.max_replicas > kAutoscaleMaxReplicas || k.min_replicas > k.max_replicas) {
    return bad_input(fmt::format("--min-replicas/--max-replicas: expected 0 <= min <= max <= {}, got {} and {}",
                                 kAutoscaleMaxReplicas, k.min_replicas, k.max_replicas));
  }
  if (!(k.seconds_slo_ttft > 0)) return bad_input("autoscale: expected a TTFT target above 0 s");
  const double t0 = load.front().seconds;
  const double t_end = load_end_seconds(load);
  const double steps_d = std::ceil((t_end - t0) / k.seconds_step - 1e-9);
  if (steps_d > static_cast<double>(kAutoscaleMaxSteps)) {
    return bad_input(fmt::format("--step: {:g} s over {:g} s of load is {:g} steps; expected at most {} (use a longer step)",
                                 k.seconds_step, t_end - t0, steps_d, kAutoscaleMaxSteps));
  }
  const auto steps = static_cast<int64_t>(steps_d);
  const double mu = replica.rps_capacity;
  const double dt = k.seconds_step;
  double peak = 0;
  for (const LoadPoint& p : load) peak = std::max(peak, p.rps);
  const double max_queue = k.max_queue > 0 ? k.max_queue : std::max(1.0, 60 * peak);
  const double slack = std::max(0.0, k.seconds_slo_ttft - replica.seconds_ttft_p95_at_capacity);
  const double queue_target = k.queue_target > 0 ? k.queue_target : std::max(1.0, replica.requests_in_flight_at_capacity);
  const auto clamp = [&](int64_t n) { return std::clamp(n, k.min_replicas, k.max_replicas); };

  // The schedule: given, or each hour's peak asked for one cold start ahead.
  std::vector<ScheduleEntry> schedule = k.schedule;
  if (policy == AutoscalePolicy::kSchedule && schedule.empty()) {
    constexpr double kHour = 3600;
    for (double h = t0; h < t_end; h += kHour) {
      double hour_peak = 0;
      for (size_t i = 0; i < load.size(); ++i) {
        const double a = load[i].seconds;
        const double b = i + 1 < load.size() ? load[i + 1].seconds : t_end;
        if (b > h && a < h + kHour) hour_peak = std::max(hour_peak, load[i].rps);
      }
      const int64_t n = ceil_count(hour_peak / mu);
      // More replicas are asked for one cold start (and one step, as decisions fall on step
      // boundaries) ahead; fewer only once the hour begins.
      const bool up = schedule.empty() || n > schedule.back().replicas;
      schedule.push_back({up ? std::max(t0, h - replica.seconds_cold_start - dt) : h, n});
    }
    // Entries pulled back to t0 overlap: keep the last one at each time.
    std::vector<ScheduleEntry> merged;
    for (const auto& e : schedule) {
      if (!merged.empty() && e.seconds <= merged.back().seconds) {
        merged.back().replicas = std::max(merged.back().replicas, e.replicas);
      } else {
        merged.push_back(e);
      }
    }
    schedule = std::move(merged);
  }
  for (const auto& e : schedule) {
    if (e.replicas > k.max_replicas) {
      return bad_input(fmt::format("--schedule: {} replicas at {:g} s is above --max-replicas {}", e.replicas, e.seconds,
                                   k.max_replicas));
    }
  }

  PolicyResult r;
  r.policy = policy;
  r.timeline.reserve(static_cast<size_t>(steps));
  // Replicas: ready ones, and starting ones with the time each becomes ready (ascending).
  int64_t ready = 0;
  std::deque<double> starting;
  if (policy == AutoscalePolicy::kStaticPeak) {
    ready = clamp(ceil_count(peak / mu));  // provisioned ahead, warm at t0
  } else {
    ready = clamp(policy == AutoscalePolicy::kSchedule && !schedule.empty() && schedule.front().seconds <= t0
                      ? schedule.front().replicas
                      : ceil_count(load.front().rps / (k.target_utilization * mu)));
  }
  // The queue: cohorts of (arrival time, requests), oldest first.
  struct Cohort {
    double seconds;
    double requests;
  };
  std::deque<Cohort> queue;
  double queued = 0;
  // Desired counts of the cool-down window, for the scale-down rule.
  std::deque<std::pair<double, int64_t>> desired_window;
  double billed_replica_seconds = 0;
  size_t schedule_idx = 0;
  for (int64_t s = 0; s < steps; ++s) {
    const double t = t0 + static_cast<double>(s) * dt;
    const double step = std::min(dt, t_end - t);
    // Replicas whose cold start has ended serve from this step on.
    while (!starting.empty() && starting.front() <= t + 1e-9) {
      starting.pop_front();
      ++ready;
    }
    const double rate = load_rate_at(load, t);
    const double arrivals = rate * step;
    r.requests_total += arrivals;
    // Serve from the head; a cohort is taken as served at the middle of the step.
    double capacity = static_cast<double>(ready) * mu * step;
    queue.push_back({t + 0.5 * step, arrivals});
    queued += arrivals;
    double served = 0;
    while (capacity > 1e-12 && !queue.empty()) {
      Cohort& c = queue.front();
      const double take = std::min(capacity, c.requests);
      const double wait = std::max(0.0, t + 0.5 * step - c.seconds);
      if (wait > slack + 1e-9) r.requests_late += take;
      served += take;
      capacity -= take;
      c.requests -= take;
      queued -= take;
      if (c.requests <= 1e-12) queue.pop_front();
    }
    // Tail drop beyond the queue limit.
    while (queued > max_queue + 1e-9 && !queue.empty()) {
      Cohort& c = queue.back();
      const double drop = std::min(c.requests, queued - max_queue);
      c.requests -= drop;
      queued -= drop;
      r.requests_dropped += drop;
      if (c.requests <= 1e-12) queue.pop_back();
    }
    if (queued < 1e-9) queued = 0;
    r.requests_served += served;
    r.replica_seconds_busy += served / mu * replica.busy_fraction_at_capacity;
    const double wait_now = ready > 0 ? queued / (static_cast<double>(ready) * mu) : (queued > 0 ? INFINITY : 0);

    const auto billed = ready + static_cast<int64_t>(starting.size());
    billed_replica_seconds += static_cast<double>(billed) * step;
    r.replicas_peak = std::max(r.replicas_peak, billed);
    r.timeline.push_back({t, rate, ready, static_cast<int64_t>(starting.size()), queued, wait_now});
    if (std::isfinite(wait_now)) r.seconds_wait_max = std::max(r.seconds_wait_max, wait_now);

    // The policy decides for the next step from what it observed in this one.
    int64_t desired = billed;
    switch (policy) {
      case AutoscalePolicy::kStaticPeak:
        desired = billed;
        break;
      case AutoscalePolicy::kTargetUtilization:
        // The offered rate as the load balancer counts it (arrivals, not completions: a
        // saturated replica's own utilization would stop at 100 % and hide the excess).
        desired = ceil_count(rate / (k.target_utilization * mu));
        break;
      case AutoscalePolicy::kQueueDepth: {
        const double in_flight = (served / step) * (replica.requests_in_flight_at_capacity / mu);
        desired = ceil_count((queued + in_flight) / queue_target);
        break;
      }
      case AutoscalePolicy::kSchedule:
        while (schedule_idx + 1 < schedule.size() && schedule[schedule_idx + 1].seconds <= t + step + 1e-9) ++schedule_idx;
        desired = schedule.empty() || schedule.front().seconds > t + step ? billed : schedule[schedule_idx].replicas;
        break;
    }
    desired = clamp(desired);
    int64_t target = desired;
    if (policy == AutoscalePolicy::kTargetUtilization || policy == AutoscalePolicy::kQueueDepth) {
      desired_window.emplace_back(t, desired);
      while (!desired_window.empty() && desired_window.front().first < t - k.seconds_cooldown + 1e-9 &&
             desired_window.size() > 1) {
        desired_window.pop_front();
      }
      int64_t window_max = 0;
      for (const auto& [_, d] : desired_window) window_max = std::max(window_max, d);
      if (desired < billed) target = std::min(billed, window_max);
    }
    if (target > billed) {
      ++r.scale_ups;
      for (int64_t i = billed; i < target; ++i) starting.push_back(t + step + replica.seconds_cold_start);
    } else if (target < billed) {
      ++r.scale_downs;
      int64_t remove = billed - target;
      while (remove > 0 && !starting.empty()) {  // the newest starting replicas first
        starting.pop_back();
        --remove;
      }
      ready -= remove;
    }
  }
  const double span = t_end - t0;
  r.replica_seconds_billed = billed_replica_seconds;
  r.gpu_hours = billed_replica_seconds * static_cast<double>(replica.devices) / 3600;
  r.usd = r.gpu_hours * replica.usd_per_device_hour;
  r.replicas_mean = span > 0 ? billed_replica_seconds / span : 0;
  // What is still queued at the end is neither served nor dropped: count it as late.
  r.requests_late += queued;
  r.slo_violation_fraction = r.requests_total > 0 ? (r.requests_late + r.requests_dropped) / r.requests_total : 0;
  return r;
}

Result<AutoscaleResult> run_autoscale(const TransformerSpec& spec, const AutoscaleOptions& o, const Hardware& hw,
                                      const TimingEngine& prefill_engine, const TimingEngine& decode_engine) {
  if (o.policies.empty()) return bad_input("--policy: expected at least one policy");
  auto cap = find_capacity(spec, o.capacity, hw, prefill_engine, decode_engine);
  if (!cap) return cap.error();
  if (!cap->met) {
    return failure(fmt::format(
        "no engine setting meets p95 TTFT <= {:g} s and p95 ITL <= {:g} s on one replica: at the lowest rate the best "
        "reached {:.3g} s and {:.3g} s",
        o.capacity.seconds_slo_ttft_p95, o.capacity.seconds_slo_itl_p95, cap->seconds_ttft_p95_floor,
        cap->seconds_itl_p95_floor));
  }
  AutoscaleResult out;
  out.capacity = *cap;
  const Workload& w = o.capacity.serving.workload;
  MemoryOptions mo;
  mo.weight_dtype = w.weight_dtype;
  mo.kv_dtype = w.kv_dtype;
  mo.activation_dtype = w.dtype;
  mo.modules = w.modules;
  const MemoryReport m = inference_memory_per_device(spec, 1, 1, mo, w.parallel);
  out.cold_start = o.cold_start;
  out.cold_start.bytes_weights = m.bytes_weights * static_cast<double>(w.parallel.devices());
  ReplicaModel& rm = out.replica;
  rm.rps_capacity = cap->max_rate_per_replica;
  rm.seconds_ttft_p95_at_capacity = cap->at_max.ttft_seconds.p95;
  rm.requests_in_flight_at_capacity = cap->max_rate_per_replica * cap->at_max.e2e_seconds.mean;
  rm.devices = w.parallel.devices();
  const InstancePrice* price = PriceCatalog::builtin().cheapest_on_demand(hw.id);
  rm.usd_per_device_hour = price != nullptr ? price->usd_per_device_hour : 0;
  rm.seconds_cold_start = out.cold_start.seconds();
  rm.busy_fraction_at_capacity = cap->at_max.energy.utilization;
  rm.output_tokens_per_request =
      cap->at_max.requests > 0 ? cap->at_max.output_tokens / static_cast<double>(cap->at_max.requests) : 0;
  const Pue pue = o.capacity.serving.pue > 0 ? Pue{o.capacity.serving.pue, "given"} : PowerCatalog::builtin().default_pue();
  AutoscaleKnobs knobs = o.knobs;
  knobs.seconds_slo_ttft = o.capacity.seconds_slo_ttft_p95;
  for (AutoscalePolicy p : o.policies) {
    auto r = simulate_autoscale(o.load, rm, knobs, p);
    if (!r) return r.error();
    if (!o.keep_timelines) r->timeline.clear();
    r->energy = estimate_energy(PowerCatalog::builtin().model_of(hw), pue, static_cast<double>(rm.devices),
                                r->replica_seconds_billed, r->replica_seconds_busy);
    out.policies.push_back(std::move(*r));
  }
  return out;
}

}  // namespace flopscope
