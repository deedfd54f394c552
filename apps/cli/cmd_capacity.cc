// capacity: the highest rate one replica sustains within p95 latency targets, the replicas a
// traffic needs, the cost per million output tokens, and (--compare) scale up against
// scale out (plan/serving_capacity.h; docs/serving.md).
#include <fmt/format.h>

#include <cmath>
#include <iostream>

#include "flopscope/plan/price_catalog.h"
#include "flopscope/plan/serving_capacity.h"
#include "flopscope/report/table.h"
#include "flopscope/util/units.h"
#include "command.h"
#include "progress_line.h"
#include "serving_flags.h"

namespace flopscope::cli {
namespace {

struct CapacityFlags {
  ServingFlags flags;
  double slo_ttft = 0;
  double slo_itl = 0;
  double rate = 0;
  bool compare = false;
  int64_t requests = 400;
  double pue = 0;
};

// One configuration's answer, as JSON.
struct Option {
  std::string kind;  // "baseline", "scale-up-tp", "scale-up-gpu"
  std::string hardware;
  int64_t tp = 1;
  CapacityResult cap;
  const InstancePrice* price = nullptr;
  double mean_output = 0;
};

nlohmann::json option_json(const Option& op, double rate) {
  nlohmann::json j = {{"kind", op.kind}, {"hardware", op.hardware}, {"tp", op.tp}, {"meets_slo", op.cap.met}};
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
  j["kwh_per_million_tokens"] = e.known() ? nlohmann::json(*e.kwh_per_million(op.cap.at_max.output_tokens)) : nlohmann::json(nullptr);
  j["joules_per_request"] = e.known() && op.cap.at_max.requests > 0
                                ? nlohmann::json(*e.joules / static_cast<double>(op.cap.at_max.requests))
                                : nlohmann::json(nullptr);
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

Result<Option> evaluate(const CapacityFlags& f, const std::string& kind, const std::string& hardware, int64_t tp) {
  auto s = resolve_serving(f.flags, hardware, tp);
  if (!s) return s.error();
  CapacityOptions co;
  co.serving = s->options;
  co.serving.pue = f.pue;
  co.seconds_slo_ttft_p95 = f.slo_ttft;
  co.seconds_slo_itl_p95 = f.slo_itl;
  co.requests = f.requests;
  co.max_running_choices = {f.flags.engine.max_running};
  for (int64_t m : {128, 64, 32, 16, 8}) {
    if (m < f.flags.engine.max_running) co.max_running_choices.push_back(m);
  }
  auto cap = find_capacity(s->spec, co, *s->setup.hardware, *s->prefill_engine, *s->decode_engine);
  if (!cap) return cap.error();
  Option op;
  op.kind = kind;
  op.hardware = s->setup.hardware->id;
  op.tp = s->options.workload.parallel.tp;
  op.cap = *cap;
  op.price = PriceCatalog::builtin().cheapest_on_demand(op.hardware);
  const LengthDistribution& out = s->options.load.output;
  op.mean_output = out.kind == LengthDistribution::Kind::kUniform ? 0.5 * static_cast<double>(out.lo + out.hi)
                                                                  : static_cast<double>(out.value);
  return op;
}

int run(const CapacityFlags& f) {
  if (f.flags.prompt.empty() || f.flags.output.empty()) return report_error(bad_input("capacity: expected --prompt and --output"));
  if (f.rate < 0 || !std::isfinite(f.rate)) return report_error(bad_input(fmt::format("--rate: expected requests per second above 0, got {}", f.rate)));
  ProgressLine progress("capacity");
  progress.show("searching rates and engine settings");
  auto base = evaluate(f, "baseline", "", 0);
  if (!base) return report_error(base.error());
  std::vector<Option> options = {*base};
  if (f.compare) {
    // Scale up: more tensor parallelism on the same GPU, or a bigger GPU from the catalog.
    for (int64_t tp : {2, 4, 8}) {
      if (tp <= base->tp) continue;
      auto op = evaluate(f, "scale-up-tp", base->hardware, tp);
      if (op) options.push_back(*op);  // a tp the model's heads do not split is skipped
    }
    const Hardware* here = *HardwareCatalog::builtin().find(base->hardware);
    int added = 0;
    for (const Hardware& h : HardwareCatalog::builtin().all()) {
      if (added >= 3 || h.id == here->id || h.kind != "gpu") continue;
      if (!(h.bytes_memory >= here->bytes_memory && h.bytes_per_second_memory > here->bytes_per_second_memory)) continue;
      if (!PriceCatalog::builtin().cheapest_on_demand(h.id)) continue;
      auto op = evaluate(f, "scale-up-gpu", h.id, base->tp);
      if (op) {
        options.push_back(*op);
        ++added;
      }
    }
  }
  progress.done();
  if (!base->cap.met) {
    return report_error(failure(fmt::format(
        "no configuration meets p95 TTFT <= {} and p95 ITL <= {}: at the lowest rate the best reached {} and {}",
        format_seconds(f.slo_ttft), format_seconds(f.slo_itl), format_seconds(base->cap.seconds_ttft_p95_floor),
        format_seconds(base->cap.seconds_itl_p95_floor))));
  }
  if (f.flags.common.json) {
    nlohmann::json j = option_json(*base, f.rate);
    j["model"] = f.flags.model;
    j["slo"] = {{"ttft_p95_seconds", f.slo_ttft}, {"itl_p95_seconds", f.slo_itl}};
    if (f.rate > 0) j["rate"] = f.rate;
    j["simulations"] = base->cap.simulations;
    j["cost_basis"] = "usd per million output tokens, cheapest current on-demand price, replica at max_rate_per_replica";
    if (f.compare) {
      nlohmann::json a = nlohmann::json::array();
      for (const Option& op : options) a.push_back(option_json(op, f.rate));
      j["compare"] = a;
      j["scale_out"] = option_json(*base, f.rate);
    }
    print_json(j);
    return 0;
  }
  Table t({"option", "hardware", "tp", "max req/s per replica", "replicas", "$/M output tokens"},
          {false, false, true, true, true, true});
  for (const Option& op : options) {
    if (!op.cap.met) {
      t.add({op.kind, op.hardware, std::to_string(op.tp), "misses SLO", "-", "-"});
      continue;
    }
    nlohmann::json j = option_json(op, f.rate);
    t.add({op.kind == "baseline" ? "scale out" : op.kind, op.hardware, std::to_string(op.tp),
           fmt::format("{:.3g}", op.cap.max_rate_per_replica),
           j.contains("replicas") ? std::to_string(j["replicas"].get<int64_t>()) : "-",
           j["usd_per_million_tokens"].is_number() ? fmt::format("{:.3f}", j["usd_per_million_tokens"].get<double>())
                                                   : "no price"});
  }
  std::cout << "p95 TTFT <= " << format_seconds(f.slo_ttft) << ", p95 ITL <= " << format_seconds(f.slo_itl) << "\n\n"
            << t.render(2);
  return 0;
}

std::function<int()> setup(CLI::App& sub) {
  auto o = std::make_shared<CapacityFlags>();
  add_serving_flags(sub, o->flags);
  sub.add_option("--slo-ttft-p95", o->slo_ttft, "Target p95 time to first token, seconds")->required();
  sub.add_option("--slo-itl-p95", o->slo_itl, "Target p95 inter-token latency, seconds")->required();
  sub.add_option("--rate", o->rate, "Traffic to serve, requests per second (gives the replicas)");
  sub.add_flag("--compare", o->compare, "Scale up (tp 2/4/8, a bigger GPU) against scale out (replicas)");
  sub.add_option("--requests", o->requests, "Requests per simulation in the search")->capture_default_str();
  sub.add_option("--pue", o->pue, "Data-centre PUE, >= 1 (default: data/hardware/power.toml, Uptime Institute 2023 average)");
  set_examples(sub, {"flopscope capacity llama-3.1-8b --hardware h100 --prompt 1024 --output 256 --slo-ttft-p95 0.5 "
                     "--slo-itl-p95 0.05 --rate 20",
                     "flopscope capacity llama-3.1-70b --hardware h100 --tp 4 --prompt 2048 --output 256 "
                     "--slo-ttft-p95 2 --slo-itl-p95 0.08 --rate 10 --compare --json"});
  return [o] { return run(*o); };
}

FLOPSCOPE_COMMAND({"capacity", "Highest request rate within latency targets; replicas and cost", setup, 46});

}  // namespace
}  // namespace flopscope::cli
