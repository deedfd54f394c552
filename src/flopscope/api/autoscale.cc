#include "flopscope/api/autoscale.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "flopscope/hw/power.h"
#include "flopscope/plan/autoscale.h"
#include "flopscope/plan/energy.h"
#include "flopscope/plan/price_catalog.h"
#include "flopscope/report/svg.h"
#include "flopscope/report/table.h"
#include "flopscope/util/file.h"
#include "flopscope/util/units.h"

namespace flopscope::api {

namespace {

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

// Energy of a policy (plan/autoscale.h): per run, per served request, per million tokens.
Json policy_energy_json(const PolicyResult& p, double tokens_per_request) {
  Json e = energy_json(p.energy, p.requests_served * tokens_per_request);
  e["joules_per_request"] =
      p.energy.known() && p.requests_served > 0 ? Json(*p.energy.joules / p.requests_served) : Json(nullptr);
  return e;
}

Json policy_json(const PolicyResult& p, bool priced, double tokens_per_request) {
  return {{"gpu_hours", p.gpu_hours},
          {"usd", priced ? Json(p.usd) : Json(nullptr)},
          {"requests_total", p.requests_total},
          {"requests_served", p.requests_served},
          {"requests_late", p.requests_late},
          {"requests_dropped", p.requests_dropped},
          {"slo_violation_fraction", p.slo_violation_fraction},
          {"replicas_peak", p.replicas_peak},
          {"replicas_mean", p.replicas_mean},
          {"scale_ups", p.scale_ups},
          {"scale_downs", p.scale_downs},
          {"seconds_wait_max", p.seconds_wait_max},
          {"energy", policy_energy_json(p, tokens_per_request)}};
}

AutoscaleKnobs knobs_of(const AutoscaleOptions& f) {
  AutoscaleKnobs k;
  k.seconds_step = f.step;
  k.seconds_cooldown = f.cooldown;
  k.target_utilization = f.target_utilization;
  k.queue_target = f.queue_target;
  k.max_queue = f.max_queue;
  k.min_replicas = f.min_replicas;
  k.max_replicas = f.max_replicas;
  return k;
}

}  // namespace

Result<Output> autoscale(const AutoscaleOptions& f, const Render& render) {
  if (f.serving.prompt.empty() || f.serving.output.empty()) return bad_input("autoscale: expected --prompt and --output");
  AutoscaleKnobs knobs = knobs_of(f);
  auto policies = parse_policies(f.policy);
  if (!policies) return policies.error();
  if (!f.schedule.empty()) {
    auto sched = parse_schedule(f.schedule);
    if (!sched) return sched.error();
    knobs.schedule = *sched;
  }
  for (const Status& s : {in_range("--image-bytes", f.image_bytes, 0, 1e13, "bytes"),
                          in_range("--pull-bytes-per-second", f.pull_bytes_per_second, 1e3, 1e13, "bytes per second"),
                          in_range("--load-bytes-per-second", f.load_bytes_per_second, 1e3, 1e13, "bytes per second"),
                          in_range("--engine-init", f.engine_init, 0, 86400, "seconds")}) {
    if (!s) return s.error();
  }
  auto text = read_file(f.load, size_t{64} << 20);
  if (!text) return text.error();
  auto load = parse_load_curve(*text, f.load);
  if (!load) return load.error();
  auto cold = cold_start_defaults(f.weights_from);
  if (!cold) return cold.error();
  if (f.image_bytes) cold->bytes_image = *f.image_bytes;
  if (f.pull_bytes_per_second) cold->bytes_per_second_pull = *f.pull_bytes_per_second;
  if (f.load_bytes_per_second) cold->bytes_per_second_load = *f.load_bytes_per_second;
  if (f.engine_init) cold->seconds_engine_init = *f.engine_init;

  auto s = resolve_serving(f.serving);
  if (!s) return s.error();
  ::flopscope::AutoscaleOptions o;
  o.capacity.serving = s->options;
  o.capacity.seconds_slo_ttft_p95 = f.slo_ttft_p95;
  o.capacity.seconds_slo_itl_p95 = f.slo_itl_p95;
  o.capacity.requests = f.requests;
  o.capacity.max_running_choices = max_running_choices(f.serving.engine.max_running);
  o.load = *load;
  o.policies = *policies;
  o.knobs = knobs;
  o.cold_start = *cold;
  // The knobs are checked before the capacity search, which takes seconds.
  {
    ReplicaModel probe;
    probe.rps_capacity = 1;
    AutoscaleKnobs k = knobs;
    k.seconds_slo_ttft = f.slo_ttft_p95 > 0 ? f.slo_ttft_p95 : 1;
    k.schedule.clear();
    auto checked = simulate_autoscale({{0, 0}, {1, 0}}, probe, k, AutoscalePolicy::kStaticPeak);
    if (!checked) return checked.error();
    const double steps = std::ceil((load_end_seconds(*load) - load->front().seconds) / knobs.seconds_step);
    if (steps > static_cast<double>(kAutoscaleMaxSteps)) {
      return bad_input(fmt::format("--step: {:g} s over {:g} s of load is {:g} steps; expected at most {}",
                                   knobs.seconds_step, load_end_seconds(*load) - load->front().seconds, steps,
                                   kAutoscaleMaxSteps));
    }
  }
  if (f.progress) f.progress("searching one replica's capacity");
  auto r = run_autoscale(s->spec, o, *s->hardware, *s->prefill_engine, *s->decode_engine);
  if (!r) return r.error();

  const std::string model = f.serving.model.empty() ? s->spec.name : f.serving.model;
  const Hardware& hw = *s->hardware;
  const InstancePrice* price = PriceCatalog::builtin().cheapest_on_demand(hw.id);
  if (!f.svg.empty()) {
    Status w = write_file_atomic(f.svg, timeline_svg(*r, model + " on " + hw.id));
    if (!w) return w.error();
  }
  double peak = 0, requests = 0;
  for (const LoadPoint& p : *load) peak = std::max(peak, p.rps);
  if (!r->policies.empty()) requests = r->policies.front().requests_total;
  const double span = load_end_seconds(*load) - load->front().seconds;
  const ColdStart& c = r->cold_start;
  const double seconds_pull = c.bytes_image > 0 ? c.bytes_image / c.bytes_per_second_pull : 0;
  const double seconds_load = c.bytes_weights / c.bytes_per_second_load;
  const PowerModel power = PowerCatalog::builtin().model_of(hw);
  const Pue pue = o.capacity.serving.pue > 0 ? Pue{o.capacity.serving.pue, "given"} : PowerCatalog::builtin().default_pue();

  Output out;
  if (render.json) {
    Json pj = Json::object();
    for (const PolicyResult& p : r->policies) {
      pj[std::string(policy_name(p.policy))] = policy_json(p, price != nullptr, r->replica.output_tokens_per_request);
    }
    out.json = {
        {"model", model},
        {"hardware", hw.id},
        {"tp", r->replica.devices},
        {"slo", {{"ttft_p95_seconds", f.slo_ttft_p95}, {"itl_p95_seconds", f.slo_itl_p95}}},
        {"load", {{"file", f.load}, {"rows", load->size()}, {"seconds", span}, {"peak_rps", peak}, {"requests", requests}}},
        {"replica",
         {{"max_rate_per_replica", r->replica.rps_capacity},
          {"max_running", r->capacity.max_running},
          {"ttft_p95_at_max", r->replica.seconds_ttft_p95_at_capacity},
          {"requests_in_flight_at_max", r->replica.requests_in_flight_at_capacity},
          {"busy_fraction_at_max", r->replica.busy_fraction_at_capacity},
          {"power", power_json(power, pue)},
          {"usd_per_device_hour", price != nullptr ? Json(price->usd_per_device_hour) : Json(nullptr)},
          {"price", price != nullptr ? Json{{"provider", price->provider}, {"instance", price->instance},
                                            {"date", price->date}, {"source", price->source}}
                                     : Json(fmt::format("no on-demand price for {} in the catalog", hw.id))}}},
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
         {{"step_seconds", knobs.seconds_step},
          {"cooldown_seconds", knobs.seconds_cooldown},
          {"target_utilization", knobs.target_utilization},
          {"queue_target", knobs.queue_target > 0 ? knobs.queue_target
                                                  : std::max(1.0, r->replica.requests_in_flight_at_capacity)},
          {"max_queue", knobs.max_queue > 0 ? knobs.max_queue : std::max(1.0, 60 * peak)},
          {"min_replicas", knobs.min_replicas},
          {"max_replicas", knobs.max_replicas}}},
        {"queueing_model",
         "fluid FIFO queue in time steps: replicas serve up to max_rate_per_replica each; a request is late when it "
         "waits longer than the TTFT target less the p95 TTFT at max rate; tail drop past max_queue"},
        {"policies", pj},
        {"svg", f.svg.empty() ? Json(nullptr) : Json(f.svg)}};
    return out;
  }
  std::string& t = out.text;
  t += fmt::format("one replica: {:.3g} req/s within p95 TTFT <= {} and p95 ITL <= {} (max running {})\n",
                   r->replica.rps_capacity, format_seconds(f.slo_ttft_p95), format_seconds(f.slo_itl_p95),
                   r->capacity.max_running);
  t += fmt::format("cold start: {} = image pull {} + weights {} from {} {} + engine init {}\n",
                   format_seconds(r->replica.seconds_cold_start), format_seconds(seconds_pull),
                   format_bytes(c.bytes_weights), c.weights_from, format_seconds(seconds_load),
                   format_seconds(c.seconds_engine_init));
  t += fmt::format("load: {} rows over {}, peak {:.3g} req/s, {} requests\n", load->size(), format_seconds(span), peak,
                   format_si(requests));
  t += price != nullptr ? fmt::format("price: {} per device-hour ({} {}, {})\n", format_usd(price->usd_per_device_hour),
                                      price->provider, price->instance, price->date)
                        : fmt::format("price: none for {} in the catalog\n", hw.id);
  t += fmt::format("power: {}; a replica at its max rate is busy {}\n\n", describe_power(power, pue),
                   format_percent(r->replica.busy_fraction_at_capacity));
  Table table({"policy", "GPU-hours", "cost", "energy", "peak replicas", "mean replicas", "late", "dropped", "SLO missed",
               "max wait"},
              {false, true, true, true, true, true, true, true, true, true});
  for (const PolicyResult& p : r->policies) {
    table.add({std::string(policy_name(p.policy)), fmt::format("{:.1f}", p.gpu_hours),
               price != nullptr ? format_usd(p.usd) : "no price",
               p.energy.known() ? fmt::format("{:.1f} kWh", *p.energy.joules / kJoulesPerKwh) : "not known",
               std::to_string(p.replicas_peak),
               fmt::format("{:.2f}", p.replicas_mean), format_si(p.requests_late), format_si(p.requests_dropped),
               format_percent(p.slo_violation_fraction), format_seconds(p.seconds_wait_max)});
  }
  t += table.render(2);
  return out;
}

Result<AutoscaleOptions> autoscale_options(const Json& options) {
  AutoscaleOptions o;
  OptionsReader r(options, "autoscale");
  read_serving_model(r, o.serving);
  r.read("load", o.load)
      .read("policy", o.policy)
      .read("slo_ttft_p95", o.slo_ttft_p95)
      .read("slo_itl_p95", o.slo_itl_p95)
      .read("requests", o.requests)
      .read("step", o.step)
      .read("cooldown", o.cooldown)
      .read("target_utilization", o.target_utilization)
      .read("queue_target", o.queue_target)
      .read("max_queue", o.max_queue)
      .read("min_replicas", o.min_replicas)
      .read("max_replicas", o.max_replicas)
      .read("schedule", o.schedule)
      .read("weights_from", o.weights_from)
      .read("image_bytes", o.image_bytes)
      .read("pull_bytes_per_second", o.pull_bytes_per_second)
      .read("load_bytes_per_second", o.load_bytes_per_second)
      .read("engine_init", o.engine_init)
      .read("svg", o.svg);
  if (auto st = r.done(); !st) return st.error();
  return o;
}

}  // namespace flopscope::api
