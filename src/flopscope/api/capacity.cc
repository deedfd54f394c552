#include "flopscope/api/capacity.h"

#include <fmt/format.h>

#include <cmath>

#include "flopscope/plan/energy.h"
#include "flopscope/plan/price_catalog.h"
#include "flopscope/plan/serving_capacity.h"
#include "flopscope/report/table.h"
#include "flopscope/util/units.h"

namespace flopscope::api {

namespace {

// One configuration's answer.
struct Option {
  std::string kind;  // "baseline", "scale-up-tp", "scale-up-gpu"
  std::string model;  // the spec's name
  std::string hardware;
  int64_t tp = 1;
  CapacityResult cap;
  const InstancePrice* price = nullptr;
  double mean_output = 0;
};

Json option_json(const Option& op, double rate) {
  Json j = {{"kind", op.kind}, {"hardware", op.hardware}, {"tp", op.tp}, {"meets_slo", op.cap.met}};
  if (!op.cap.met) return j;
  j["max_rate_per_replica"] = op.cap.max_rate_per_replica;
  j["max_running"] = op.cap.max_running;
  j["saturation_rate"] = op.cap.saturation_rate;
  j["ttft_p95_at_max"] = op.cap.at_max.ttft_seconds.p95;
  j["itl_p95_at_max"] = op.cap.at_max.itl_seconds.p95;
  j["output_tokens_per_second_at_max"] = op.cap.at_max.output_tokens_per_second;
  // Energy at the highest rate that meets the targets (plan/energy.h): one replica busy for
  // its iterations, idle between them.
  const EnergyEstimate& e = op.cap.at_max.energy;
  j["kwh_per_million_tokens"] = e.known() ? Json(*e.kwh_per_million(op.cap.at_max.output_tokens)) : Json(nullptr);
  j["joules_per_request"] = e.known() && op.cap.at_max.requests > 0
                                ? Json(*e.joules / static_cast<double>(op.cap.at_max.requests))
                                : Json(nullptr);
  j["energy_at_max"] = energy_json(e, op.cap.at_max.output_tokens);
  if (rate > 0) {
    const int64_t replicas = static_cast<int64_t>(std::ceil(rate / op.cap.max_rate_per_replica - 1e-9));
    j["replicas"] = replicas;
    j["devices"] = replicas * op.tp;
    if (op.price) j["usd_per_hour"] = static_cast<double>(replicas * op.tp) * op.price->usd_per_device_hour;
  }
  if (op.price) {
    const double tokens_per_hour = op.cap.max_rate_per_replica * op.mean_output * 3600;
    j["usd_per_million_tokens"] = op.price->usd_per_device_hour * static_cast<double>(op.tp) / tokens_per_hour * 1e6;
    j["usd_per_device_hour"] = op.price->usd_per_device_hour;
    j["price"] = {{"provider", op.price->provider}, {"instance", op.price->instance}, {"date", op.price->date},
                  {"source", op.price->source}};
  } else {
    j["usd_per_million_tokens"] = nullptr;
    j["price"] = fmt::format("no on-demand price for {} in the catalog", op.hardware);
  }
  return j;
}

Result<Option> evaluate(const CapacityOptions& f, const std::string& kind, const std::string& hardware, int64_t tp) {
  auto s = resolve_serving(f.serving, hardware, tp);
  if (!s) return s.error();
  ::flopscope::CapacityOptions co;
  co.serving = s->options;
  co.serving.pue = f.pue;
  co.seconds_slo_ttft_p95 = f.slo_ttft_p95;
  co.seconds_slo_itl_p95 = f.slo_itl_p95;
  co.requests = f.requests;
  co.max_running_choices = max_running_choices(f.serving.engine.max_running);
  auto cap = find_capacity(s->spec, co, *s->hardware, *s->prefill_engine, *s->decode_engine);
  if (!cap) return cap.error();
  Option op;
  op.kind = kind;
  op.model = s->spec.name;
  op.hardware = s->hardware->id;
  op.tp = s->options.workload.parallel.tp;
  op.cap = *cap;
  op.price = PriceCatalog::builtin().cheapest_on_demand(op.hardware);
  const LengthDistribution& out = s->options.load.output;
  op.mean_output = out.kind == LengthDistribution::Kind::kUniform ? 0.5 * static_cast<double>(out.lo + out.hi)
                                                                  : static_cast<double>(out.value);
  return op;
}

std::string text_report(const CapacityOptions& f, const std::vector<Option>& options) {
  Table t({"option", "hardware", "tp", "max req/s per replica", "replicas", "$/M output tokens"},
          {false, false, true, true, true, true});
  for (const Option& op : options) {
    if (!op.cap.met) {
      t.add({op.kind, op.hardware, std::to_string(op.tp), "misses SLO", "-", "-"});
      continue;
    }
    Json j = option_json(op, f.rate);
    t.add({op.kind == "baseline" ? "scale out" : op.kind, op.hardware, std::to_string(op.tp),
           fmt::format("{:.3g}", op.cap.max_rate_per_replica),
           j.contains("replicas") ? std::to_string(j["replicas"].get<int64_t>()) : "-",
           j["usd_per_million_tokens"].is_number() ? fmt::format("{:.3f}", j["usd_per_million_tokens"].get<double>())
                                                   : "no price"});
  }
  return "p95 TTFT <= " + format_seconds(f.slo_ttft_p95) + ", p95 ITL <= " + format_seconds(f.slo_itl_p95) + "\n\n" +
         t.render(2);
}

}  // namespace

std::vector<ScaleUpCandidate> scale_up_candidates(const Hardware& base, int64_t tp) {
  std::vector<ScaleUpCandidate> out;
  // Scale up: more tensor parallelism on the same GPU, or a bigger GPU from the catalog.
  for (int64_t t : {2, 4, 8}) {
    if (t > tp) out.push_back({"scale-up-tp", base.id, t});
  }
  for (const Hardware& h : HardwareCatalog::builtin().all()) {
    if (h.id == base.id || h.kind != "gpu") continue;
    if (!(h.bytes_memory >= base.bytes_memory && h.bytes_per_second_memory > base.bytes_per_second_memory)) continue;
    if (!PriceCatalog::builtin().cheapest_on_demand(h.id)) continue;
    out.push_back({"scale-up-gpu", h.id, tp});
  }
  return out;
}

Result<Output> capacity(const CapacityOptions& f, const Render& render) {
  if (f.serving.prompt.empty() || f.serving.output.empty()) return bad_input("capacity: expected --prompt and --output");
  if (f.rate < 0 || !std::isfinite(f.rate)) {
    return bad_input(fmt::format("--rate: expected requests per second above 0, got {}", f.rate));
  }
  if (f.progress) f.progress("searching rates and engine settings");
  auto base = evaluate(f, "baseline", "", 0);
  if (!base) return base.error();
  std::vector<Option> options = {*base};
  if (f.compare) {
    const Hardware* here = *HardwareCatalog::builtin().find(base->hardware);
    int gpus = 0;
    for (const ScaleUpCandidate& c : scale_up_candidates(*here, base->tp)) {
      if (c.kind == "scale-up-gpu" && gpus >= 3) continue;
      auto op = evaluate(f, c.kind, c.hardware, c.tp);
      if (!op) continue;  // a tp the model's heads do not split, a GPU it does not fit: skipped
      options.push_back(*op);
      if (c.kind == "scale-up-gpu") ++gpus;
    }
  }
  if (!base->cap.met) {
    return failure(fmt::format(
        "no configuration meets p95 TTFT <= {} and p95 ITL <= {}: at the lowest rate the best reached {} and {}",
        format_seconds(f.slo_ttft_p95), format_seconds(f.slo_itl_p95), format_seconds(base->cap.seconds_ttft_p95_floor),
        format_seconds(base->cap.seconds_itl_p95_floor)));
  }
  Output out;
  if (!render.json) {
    out.text = text_report(f, options);
    return out;
  }
  Json j = option_json(*base, f.rate);
  j["model"] = f.serving.model.empty() ? base->model : f.serving.model;
  j["slo"] = {{"ttft_p95_seconds", f.slo_ttft_p95}, {"itl_p95_seconds", f.slo_itl_p95}};
  if (f.rate > 0) j["rate"] = f.rate;
  j["simulations"] = base->cap.simulations;
  j["cost_basis"] = "usd per million output tokens, cheapest current on-demand price, replica at max_rate_per_replica";
  if (f.compare) {
    Json a = Json::array();
    for (const Option& op : options) a.push_back(option_json(op, f.rate));
    j["compare"] = a;
    j["scale_out"] = option_json(*base, f.rate);
  }
  out.json = std::move(j);
  return out;
}

Result<CapacityOptions> capacity_options(const Json& options) {
  CapacityOptions o;
  OptionsReader r(options, "capacity");
  read_serving_model(r, o.serving);
  r.read("slo_ttft_p95", o.slo_ttft_p95)
      .read("slo_itl_p95", o.slo_itl_p95)
      .read("rate", o.rate)
      .read("compare", o.compare)
      .read("requests", o.requests)
      .read("pue", o.pue);
  if (auto st = r.done(); !st) return st.error();
  return o;
}

}  // namespace flopscope::api
