// autoscale: replicas, GPU-hours, cost and late or dropped requests of autoscaling policies
// over a load curve, from one replica's capacity within latency targets and its cold start
// (plan/autoscale.h; docs/serving.md, "Autoscaling").
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <optional>

#include "flopscope/plan/autoscale.h"
#include "flopscope/plan/price_catalog.h"
#include "flopscope/report/svg.h"
#include "flopscope/report/table.h"
#include "flopscope/util/file.h"
#include "flopscope/util/units.h"
#include "command.h"
#include "progress_line.h"
#include "serving_flags.h"

namespace flopscope::cli {
namespace {

struct AutoscaleFlags {
  ServingFlags flags;
  std::string load;
  std::string policy = "all";
  std::string schedule;
  std::string svg;
  std::string weights_from = "disk";
  double slo_ttft = 0;
  double slo_itl = 0;
  int64_t requests = 400;
  AutoscaleKnobs knobs;
  std::optional<double> image_bytes, pull_bps, load_bps, engine_init;
};

// A flag's value within [lo, hi], or the one-line error.
Status in_range(const char* flag, const std::optional<double>& v, double lo, double hi, const char* what) {
  if (v && !(*v >= lo && *v <= hi)) return bad_input(fmt::format("{}: expected {} from {:g} to {:g}, got {:g}", flag, what, lo, hi, *v));
  return {};
}

// At most `n` points of a timeline, evenly strided (a day at 10 s steps is 8,640).
template <typename F>
std::vector<std::pair<double, double>> series(const std::vector<AutoscaleStep>& tl, F value, size_t n = 1500) {
  std::vector<std::pair<double, double>> out;
  const size_t stride = std::max<size_t>(1, tl.size() / n);
  for (size_t i = 0; i < tl.size(); i += stride) out.emplace_back(tl[i].seconds / 3600, value(tl[i]));
  return out;
}

std::string timeline_svg(const AutoscaleResult& r, const std::string& title) {
  const auto& first = r.policies.front().timeline;
  SvgPlot load(title + ": load", {"time (h)", false}, {"requests/s", false}, 900, 300);
  load.add_line("load", series(first, [](const AutoscaleStep& s) { return s.rps; }), "#000000");
  SvgPlot replicas("replicas (billed: starting + ready)", {"time (h)", false}, {"replicas", false}, 900, 300);
  SvgPlot wait("estimated queueing wait (queue / ready capacity)", {"time (h)", false}, {"seconds", false}, 900, 300);
  const double mu = r.replica.rps_capacity;
  for (const PolicyResult& p : r.policies) {
    const std::string name(policy_name(p.policy));
    load.add_line(name + " capacity", series(p.timeline, [mu](const AutoscaleStep& s) {
                    return static_cast<double>(s.replicas_ready) * mu;
                  }),
                  "", true);
    replicas.add_line(name, series(p.timeline, [](const AutoscaleStep& s) {
                        return static_cast<double>(s.replicas_ready + s.replicas_starting);
                      }));
    wait.add_line(name, series(p.timeline, [](const AutoscaleStep& s) { return std::isfinite(s.seconds_wait) ? s.seconds_wait : 0; }));
  }
  return svg_stack({load.render(), replicas.render(), wait.render()});
}

nlohmann::json policy_json(const PolicyResult& p, bool priced) {
  return {{"gpu_hours", p.gpu_hours},
          {"usd", priced ? nlohmann::json(p.usd) : nlohmann::json(nullptr)},
          {"requests_total", p.requests_total},
          {"requests_served", p.requests_served},
          {"requests_late", p.requests_late},
          {"requests_dropped", p.requests_dropped},
          {"slo_violation_fraction", p.slo_violation_fraction},
          {"replicas_peak", p.replicas_peak},
          {"replicas_mean", p.replicas_mean},
          {"scale_ups", p.scale_ups},
          {"scale_downs", p.scale_downs},
          {"seconds_wait_max", p.seconds_wait_max}};
}

int run(AutoscaleFlags& f) {
  if (f.flags.prompt.empty() || f.flags.output.empty()) return report_error(bad_input("autoscale: expected --prompt and --output"));
  auto policies = parse_policies(f.policy);
  if (!policies) return report_error(policies.error());
  if (!f.schedule.empty()) {
    auto sched = parse_schedule(f.schedule);
    if (!sched) return report_error(sched.error());
    f.knobs.schedule = *sched;
  }
  for (const Status& s : {in_range("--image-bytes", f.image_bytes, 0, 1e13, "bytes"),
                          in_range("--pull-bytes-per-second", f.pull_bps, 1e3, 1e13, "bytes per second"),
                          in_range("--load-bytes-per-second", f.load_bps, 1e3, 1e13, "bytes per second"),
                          in_range("--engine-init", f.engine_init, 0, 86400, "seconds")}) {
    if (!s) return report_error(s.error());
  }
  auto text = read_file(f.load, size_t{64} << 20);
  if (!text) return report_error(text.error());
  auto load = parse_load_curve(*text, f.load);
  if (!load) return report_error(load.error());
  auto cold = cold_start_defaults(f.weights_from);
  if (!cold) return report_error(cold.error());
  if (f.image_bytes) cold->bytes_image = *f.image_bytes;
  if (f.pull_bps) cold->bytes_per_second_pull = *f.pull_bps;
  if (f.load_bps) cold->bytes_per_second_load = *f.load_bps;
  if (f.engine_init) cold->seconds_engine_init = *f.engine_init;

  auto s = resolve_serving(f.flags);
  if (!s) return report_error(s.error());
  AutoscaleOptions o;
  o.capacity.serving = s->options;
  o.capacity.seconds_slo_ttft_p95 = f.slo_ttft;
  o.capacity.seconds_slo_itl_p95 = f.slo_itl;
  o.capacity.requests = f.requests;
  o.capacity.max_running_choices = {f.flags.engine.max_running};
  for (int64_t m : {128, 64, 32, 16, 8}) {
    if (m < f.flags.engine.max_running) o.capacity.max_running_choices.push_back(m);
  }
  o.load = *load;
  o.policies = *policies;
  o.knobs = f.knobs;
  o.cold_start = *cold;
  // The knobs are checked before the capacity search, which takes seconds.
  {
    ReplicaModel probe;
    probe.rps_capacity = 1;
    AutoscaleKnobs k = f.knobs;
    k.seconds_slo_ttft = f.slo_ttft > 0 ? f.slo_ttft : 1;
    k.schedule.clear();
    auto checked = simulate_autoscale({{0, 0}, {1, 0}}, probe, k, AutoscalePolicy::kStaticPeak);
    if (!checked) return report_error(checked.error());
    const double steps = std::ceil((load_end_seconds(*load) - load->front().seconds) / f.knobs.seconds_step);
    if (steps > static_cast<double>(kAutoscaleMaxSteps)) {
      return report_error(bad_input(fmt::format("--step: {:g} s over {:g} s of load is {:g} steps; expected at most {}",
                                                f.knobs.seconds_step, load_end_seconds(*load) - load->front().seconds,
                                                steps, kAutoscaleMaxSteps)));
    }
  }
  ProgressLine progress("autoscale");
  progress.show("searching one replica's capacity");
  auto r = run_autoscale(s->spec, o, *s->setup.hardware, *s->prefill_engine, *s->decode_engine);
  progress.done();
  if (!r) return report_error(r.error());

  const Hardware& hw = *s->setup.hardware;
  const InstancePrice* price = PriceCatalog::builtin().cheapest_on_demand(hw.id);
  if (!f.svg.empty()) {
    Status w = write_file_atomic(f.svg, timeline_svg(*r, f.flags.model + " on " + hw.id));
    if (!w) return report_error(w.error());
    std::cerr << fmt::format("flopscope: wrote the timeline to {}\n", f.svg);
  }
  double peak = 0, requests = 0;
  for (const LoadPoint& p : *load) peak = std::max(peak, p.rps);
  if (!r->policies.empty()) requests = r->policies.front().requests_total;
  const double span = load_end_seconds(*load) - load->front().seconds;
  const ColdStart& c = r->cold_start;
  const double seconds_pull = c.bytes_image > 0 ? c.bytes_image / c.bytes_per_second_pull : 0;
  const double seconds_load = c.bytes_weights / c.bytes_per_second_load;

  if (f.flags.common.json) {
    nlohmann::json pj = nlohmann::json::object();
    for (const PolicyResult& p : r->policies) pj[std::string(policy_name(p.policy))] = policy_json(p, price != nullptr);
    nlohmann::json j = {
        {"model", f.flags.model},
        {"hardware", hw.id},
        {"tp", r->replica.devices},
        {"slo", {{"ttft_p95_seconds", f.slo_ttft}, {"itl_p95_seconds", f.slo_itl}}},
        {"load", {{"file", f.load}, {"rows", load->size()}, {"seconds", span}, {"peak_rps", peak},
                  {"requests", requests}}},
        {"replica",
         {{"max_rate_per_replica", r->replica.rps_capacity},
          {"max_running", r->capacity.max_running},
          {"ttft_p95_at_max", r->replica.seconds_ttft_p95_at_capacity},
          {"requests_in_flight_at_max", r->replica.requests_in_flight_at_capacity},
          {"usd_per_device_hour", price != nullptr ? nlohmann::json(price->usd_per_device_hour) : nlohmann::json(nullptr)},
          {"price", price != nullptr ? nlohmann::json{{"provider", price->provider}, {"instance", price->instance},
                                                      {"date", price->date}, {"source", price->source}}
                                     : nlohmann::json(fmt::format("no on-demand price for {} in the catalog", hw.id))}}},
        {"cold_start",
         {{"seconds", r->replica.seconds_cold_start},
          {"seconds_image_pull", seconds_pull},
          {"seconds_weight_load", seconds_load},
          {"seconds_engine_init", c.seconds_engine_init},
          {"bytes_image", c.bytes_image},
          {"bytes_weights", c.bytes_weights},
          {"bytes_per_second_pull", c.bytes_per_second_pull},
          {"bytes_per_second_load", c.bytes_per_second_load},
          {"weights_from", c.weights_from},
          {"source", "data/serving/cold_start.toml"}}},
        {"knobs",
         {{"step_seconds", f.knobs.seconds_step},
          {"cooldown_seconds", f.knobs.seconds_cooldown},
          {"target_utilization", f.knobs.target_utilization},
          {"queue_target", f.knobs.queue_target > 0 ? f.knobs.queue_target
                                                    : std::max(1.0, r->replica.requests_in_flight_at_capacity)},
          {"max_queue", f.knobs.max_queue > 0 ? f.knobs.max_queue : std::max(1.0, 60 * peak)},
          {"min_replicas", f.knobs.min_replicas},
          {"max_replicas", f.knobs.max_replicas}}},
        {"queueing_model",
         "fluid FIFO queue in time steps: replicas serve up to max_rate_per_replica each; a request is late when it "
         "waits longer than the TTFT target less the p95 TTFT at max rate; tail drop past max_queue"},
        {"policies", pj},
        {"svg", f.svg.empty() ? nlohmann::json(nullptr) : nlohmann::json(f.svg)}};
    print_json(j);
    return 0;
  }
  std::cout << fmt::format("one replica: {:.3g} req/s within p95 TTFT <= {} and p95 ITL <= {} (max running {})\n",
                           r->replica.rps_capacity, format_seconds(f.slo_ttft), format_seconds(f.slo_itl),
                           r->capacity.max_running);
  std::cout << fmt::format("cold start: {} = image pull {} + weights {} from {} {} + engine init {}\n",
                           format_seconds(r->replica.seconds_cold_start), format_seconds(seconds_pull),
                           format_bytes(c.bytes_weights), c.weights_from, format_seconds(seconds_load),
                           format_seconds(c.seconds_engine_init));
  std::cout << fmt::format("load: {} rows over {}, peak {:.3g} req/s, {} requests\n", load->size(), format_seconds(span),
                           peak, format_si(requests));
  std::cout << (price != nullptr ? fmt::format("price: {} per device-hour ({} {}, {})\n\n", format_usd(price->usd_per_device_hour),
                                               price->provider, price->instance, price->date)
                                 : fmt::format("price: none for {} in the catalog\n\n", hw.id));
  Table t({"policy", "GPU-hours", "cost", "peak replicas", "mean replicas", "late", "dropped", "SLO missed", "max wait"},
          {false, true, true, true, true, true, true, true, true});
  for (const PolicyResult& p : r->policies) {
    t.add({std::string(policy_name(p.policy)), fmt::format("{:.1f}", p.gpu_hours),
           price != nullptr ? format_usd(p.usd) : "no price", std::to_string(p.replicas_peak),
           fmt::format("{:.2f}", p.replicas_mean), format_si(p.requests_late), format_si(p.requests_dropped),
           format_percent(p.slo_violation_fraction), format_seconds(p.seconds_wait_max)});
  }
  std::cout << t.render(2);
  return 0;
}

std::function<int()> setup(CLI::App& sub) {
  auto o = std::make_shared<AutoscaleFlags>();
  add_serving_flags(sub, o->flags);
  sub.add_option("--load", o->load, "CSV time_s,rps: requests per second over time")->required();
  sub.add_option("--policy", o->policy,
                 "static-peak, target-utilization, queue-depth, schedule, a comma list, or all")
      ->capture_default_str();
  sub.add_option("--slo-ttft-p95", o->slo_ttft, "Target p95 time to first token, seconds")->required();
  sub.add_option("--slo-itl-p95", o->slo_itl, "Target p95 inter-token latency, seconds")->required();
  sub.add_option("--requests", o->requests, "Requests per simulation in the capacity search")->capture_default_str();
  sub.add_option("--step", o->knobs.seconds_step, "Time step of the simulation, seconds")->capture_default_str();
  sub.add_option("--cooldown", o->knobs.seconds_cooldown, "Scale-down waits this long below the count, seconds")
      ->capture_default_str();
  sub.add_option("--target-utilization", o->knobs.target_utilization, "target-utilization: share of capacity to run at")
      ->capture_default_str();
  sub.add_option("--queue-target", o->knobs.queue_target,
                 "queue-depth: requests in the system per replica (default: what one holds at capacity)");
  sub.add_option("--max-queue", o->knobs.max_queue, "Requests waiting before new ones are dropped (default: 60 s of peak)");
  sub.add_option("--min-replicas", o->knobs.min_replicas, "Fewest replicas a policy runs")->capture_default_str();
  sub.add_option("--max-replicas", o->knobs.max_replicas, "Most replicas a policy runs")->capture_default_str();
  sub.add_option("--schedule", o->schedule,
                 "schedule: TIME_S:REPLICAS,... (default: each hour's peak of the load, one cold start ahead)");
  sub.add_option("--weights-from", o->weights_from, "Where a new replica reads its weights: disk or network")
      ->capture_default_str();
  sub.add_option("--image-bytes", o->image_bytes, "Container image size, bytes (default: data/serving/cold_start.toml)");
  sub.add_option("--pull-bytes-per-second", o->pull_bps, "Image pull bandwidth, bytes/s");
  sub.add_option("--load-bytes-per-second", o->load_bps, "Weight load bandwidth, bytes/s");
  sub.add_option("--engine-init", o->engine_init, "Engine start-up after the weights, seconds");
  sub.add_option("--svg", o->svg, "Write a timeline of load, replicas and queueing wait");
  set_examples(sub, {"flopscope autoscale llama-3.1-8b --hardware h100-sxm --load day.csv --prompt 1024 --output 256 "
                     "--slo-ttft-p95 0.5 --slo-itl-p95 0.03",
                     "flopscope autoscale llama-3.1-8b --hardware h100-sxm --load day.csv --prompt 1024 --output 256 "
                     "--slo-ttft-p95 0.5 --slo-itl-p95 0.03 --policy target-utilization,queue-depth --cooldown 600 "
                     "--svg day.svg --json",
                     "flopscope autoscale llama-3.1-70b --hardware h100-sxm --tp 4 --load day.csv --prompt 2048 --output 256 "
                     "--slo-ttft-p95 2 --slo-itl-p95 0.08 --policy schedule --schedule 0:2,28800:6,72000:2"});
  return [o] { return run(*o); };
}

FLOPSCOPE_COMMAND({"autoscale", "Autoscaling policies over a load curve: GPU-hours, cost, late and dropped requests", setup, 47});

}  // namespace
}  // namespace flopscope::cli
