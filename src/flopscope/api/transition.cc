#include "flopscope/api/transition.h"

#include <fmt/format.h>

#include <cmath>

#include "flopscope/api/options.h"
#include "flopscope/plan/energy.h"
#include "flopscope/report/table.h"
#include "flopscope/util/units.h"

namespace flopscope::api {

Result<Job> workload_job(const WorkloadOptions& w) {
  auto mode = parse_job_mode(w.mode);
  if (!mode) return mode.error();
  Job job;
  job.mode = *mode;
  job.tokens = w.tokens;
  job.seq = w.seq;
  job.micro_batch = w.micro_batch;
  job.requests = w.requests;
  job.batch = w.batch;
  job.prompt = w.prompt;
  job.output = w.output;
  if (auto s = validate(job); !s) return s.error();
  return job;
}

Status apply_pue(const WorkloadOptions& w, std::vector<Environment>& envs) {
  if (auto st = validate_pue(w.pue, "--pue"); !st) return st;
  if (auto st = apply_carbon(w.region, w.carbon_g_per_kwh, envs); !st) return st;
  if (w.pue <= 0) return {};
  for (Environment& e : envs) e.pue = w.pue;
  return {};
}

void read_workload(OptionsReader& r, WorkloadOptions& w) {
  r.model("model", w.model, w.model_config)
      .read("mode", w.mode)
      .read("tokens", w.tokens)
      .read("seq", w.seq)
      .read("micro_batch", w.micro_batch)
      .read("requests", w.requests)
      .read("batch", w.batch)
      .read("prompt", w.prompt)
      .read("output", w.output)
      .read("pue", w.pue)
      .read("region", w.region)
      .read("carbon_g_per_kwh", w.carbon_g_per_kwh);
}

namespace {

std::string ratio_text(double r) { return std::isfinite(r) ? fmt::format("{:.3f}x", r) : "n/a"; }

std::string job_text(const std::string& model, const Job& j) {
  if (j.training()) {
    return fmt::format("{} {} ({} tokens, micro-batch {}, seq {})", model, job_mode_name(j.mode), format_si(j.tokens),
                       j.micro_batch, j.seq);
  }
  return fmt::format("{} infer ({} requests, batch {}, prompt {}, output {})", model, j.requests > 0 ? j.requests : j.batch,
                     j.batch, j.prompt, j.output);
}

double bound_share(const JobRun& r) { return r.seconds > 0 ? r.seconds_by_bound[static_cast<size_t>(r.bound)] / r.seconds : 0; }

Json run_json(const JobRun& r, const Job& job) {
  Json b = Json::object();
  for (size_t i = 0; i < r.seconds_by_bound.size(); ++i) b[std::string(bound_name(static_cast<Bound>(i)))] = r.seconds_by_bound[i];
  return {{"env", r.env},
          {"hardware", r.hardware},
          {"devices", r.devices},
          {"dtype", std::string(dtype_name(r.dtype))},
          {"weights", std::string(dtype_name(r.weights))},
          {"software", std::string(software_name(r.software))},
          {"fits", r.fits},
          {"fit_note", r.fit_note},
          {"layout", r.layout.empty() ? Json(nullptr) : Json(r.layout)},
          {"bytes_per_device", r.bytes_per_device},
          {"bytes_device_memory", r.bytes_device_memory},
          {"seconds", r.seconds},
          {"usd", r.has_price() ? Json(r.usd) : Json(nullptr)},
          {"usd_per_unit", r.has_price() ? Json(r.usd / job.work()) : Json(nullptr)},
          {"usd_per_device_hour", r.has_price() ? Json(r.usd_per_device_hour) : Json(nullptr)},
          {"price_source", r.price_source},
          {"watts_per_device", r.has_power() ? Json(r.watts) : Json(nullptr)},
          {"joules", r.has_power() ? Json(r.joules) : Json(nullptr)},
          {"energy", energy_json(r.energy, job.work())},
          {"grams_co2", r.has_carbon() ? Json(r.grams_co2) : Json(nullptr)},
          {"carbon", carbon_json(r.carbon)},
          {"mfu", r.mfu},
          {"bound", std::string(bound_name(r.bound))},
          {"seconds_by_bound", b}};
}

Json ratios_json(const TransitionRatios& r) {
  auto num = [](double v) { return std::isfinite(v) ? Json(v) : Json(nullptr); };
  return {{"speedup", num(r.speedup)},
          {"cost_ratio", num(r.cost_ratio)},
          {"energy_ratio", num(r.energy_ratio)},
          {"transition_score", num(r.transition_score)}};
}

}  // namespace

Result<Output> transition(const TransitionOptions& o, const Render& render) {
  auto job_or = workload_job(o);
  if (!job_or) return job_or.error();
  const Job job = *job_or;
  // The ranges and words of the CLI's flag checks (docs/limits.md).
  struct Checked {
    const char* flag;
    double value, max;
  };
  for (const Checked& c : {Checked{"--weight-time", o.weights.time, 100}, Checked{"--weight-cost", o.weights.cost, 100},
                           Checked{"--egress-gb", o.migration.gb_egress, 1e12},
                           Checked{"--usd-per-gb", o.migration.usd_per_gb_egress, 1e6},
                           Checked{"--engineer-hours", o.migration.engineer_hours, 1e9},
                           Checked{"--usd-per-engineer-hour", o.migration.usd_per_engineer_hour, 1e6}}) {
    if (!(c.value >= 0 && c.value <= c.max)) {
      return bad_input(fmt::format("{}: expected a number in [0, {:.15g}] (docs/limits.md), got {}", c.flag, c.max, c.value));
    }
  }
  EnvironmentSet set;
  if (!o.envs.empty()) {
    auto loaded = load_environments(o.envs);
    if (!loaded) return loaded.error();
    set = std::move(*loaded);
  }
  auto from = set.find(o.from);
  if (!from) return from.error();
  auto to = set.find(o.to);
  if (!to) return to.error();
  std::vector<Environment> ends = {*from, *to};
  if (auto st = apply_pue(o, ends); !st) return st.error();
  auto spec = load_model_option(o.model, o.model_config);
  if (!spec) return spec.error();
  auto t = ::flopscope::transition(*spec, job, ends[0], ends[1], o.weights, o.migration);
  if (!t) return t.error();

  Output result;
  if (render.json) {
    Json& j = result.json;
    j = ratios_json(t->whole);
    j["model"] = spec->name;
    j["mode"] = job_mode_name(job.mode);
    j["work"] = job.work();
    j["work_unit"] = job.work_unit();
    j["weights"] = {{"time", o.weights.time}, {"cost", o.weights.cost}};
    j["from"] = run_json(t->from, job);
    j["to"] = run_json(t->to, job);
    j["fits_before"] = t->from.fits;
    j["fits_after"] = t->to.fits;
    j["bound_before"] = std::string(bound_name(t->from.bound));
    j["bound_after"] = std::string(bound_name(t->to.bound));
    Json factors = Json::array();
    for (const auto& f : t->factors) {
      Json fj = ratios_json(f.ratios);
      fj["name"] = f.name;
      factors.push_back(fj);
    }
    j["factors"] = factors;
    j["migration"] = {{"usd", o.migration.usd()},
                      {"break_even_runs", t->break_even_runs ? Json(*t->break_even_runs) : Json(nullptr)},
                      {"break_even_seconds", t->break_even_seconds ? Json(*t->break_even_seconds) : Json(nullptr)}};
    return result;
  }

  std::string& s = result.text;
  s += style(render, job_text(spec->name, job), "1") + "\n" + t->from.env + " -> " + t->to.env + "\n\n";
  const double mtok = job.work() / 1e6;
  Table env({"", "from: " + t->from.env, "to: " + t->to.env}, {false, true, true});
  auto row = [&](const std::string& name, auto field) { env.add({name, field(t->from), field(t->to)}); };
  row("hardware", [](const JobRun& r) { return fmt::format("{} x{}", r.hardware, r.devices); });
  row("layout", [](const JobRun& r) {
    return !r.layout.empty() ? r.layout : r.devices > 1 ? std::string("one replica per device") : std::string("one device");
  });
  row("precision", [](const JobRun& r) { return fmt::format("{} (weights {})", dtype_name(r.dtype), dtype_name(r.weights)); });
  row("software", [](const JobRun& r) { return std::string(software_name(r.software)); });
  row("time", [](const JobRun& r) { return format_seconds(r.seconds); });
  row("cost", [](const JobRun& r) { return r.has_price() ? format_usd(r.usd) : std::string("no price"); });
  row(fmt::format("cost per M {}", job.work_unit()),
      [&](const JobRun& r) { return r.has_price() ? format_usd(r.usd / mtok) : std::string("no price"); });
  row("price per device-hour", [](const JobRun& r) { return r.has_price() ? format_usd(r.usd_per_device_hour) : std::string("-"); });
  row("energy", [](const JobRun& r) { return (r.has_power() ? format_si(r.joules / 3600, "Wh") : std::string("not known")); });
  row(fmt::format("energy per {}", job.training() ? "token trained" : "token generated"), [&](const JobRun& r) {
    return r.has_power() ? fmt::format("{:.3g} J", r.joules / job.work()) : std::string("not known");
  });
  row("busy / mean power", [](const JobRun& r) {
    return r.has_power() ? fmt::format("{} / {:.0f} W per device", format_percent(r.energy.utilization), r.watts)
                         : std::string("not known");
  });
  if (t->from.has_carbon() || t->to.has_carbon()) {
    row("carbon", [](const JobRun& r) {
      return r.has_carbon() ? format_co2(r.grams_co2) + " (" + fmt::format("{:g} g/kWh", r.carbon.g_per_kwh) +
                                  (r.carbon.region.empty() ? "" : ", " + r.carbon.region) + ")"
                            : std::string("not known (set --region)");
    });
  }
  row("memory per device", [](const JobRun& r) {
    return fmt::format("{} of {}{}", format_bytes(r.bytes_per_device), format_bytes(r.bytes_device_memory),
                       r.fits ? "" : " (DOES NOT FIT)");
  });
  row("bound", [](const JobRun& r) { return fmt::format("{} ({})", bound_name(r.bound), format_percent(bound_share(r))); });
  s += env.render(2) + "\n";
  for (const JobRun* r : {&t->from, &t->to}) {
    if (!r->fits) s += "  warning: " + r->env + ": " + r->fit_note + "\n";
    if (r->has_price()) s += "  price " + r->env + ": " + r->price_source + "\n";
    s += "  power " + r->env + ": " + std::string(power_knowledge_text(r->energy.knowledge)) + ", PUE " +
         fmt::format("{:g}", r->energy.pue) + " (" + r->energy.pue_source + ")\n";
    if (r->carbon.known()) s += "  grid " + r->env + ": " + r->carbon.source + "\n";
  }

  s += "\nFactors (changed one at a time in this order; their product is the whole):\n";
  Table f({"factor", "speedup", "cost_ratio", "energy_ratio", "score"}, {false, true, true, true, true});
  for (const auto& x : t->factors) {
    f.add({x.name, ratio_text(x.ratios.speedup), ratio_text(x.ratios.cost_ratio), ratio_text(x.ratios.energy_ratio),
           ratio_text(x.ratios.transition_score)});
  }
  f.add_rule();
  f.add({"whole", ratio_text(t->whole.speedup), ratio_text(t->whole.cost_ratio), ratio_text(t->whole.energy_ratio),
         ratio_text(t->whole.transition_score)});
  s += f.render(2) + "\n";
  s += fmt::format("transition_score {} = speedup^{} x (1/cost_ratio)^{}  (above 1 is a gain)\n",
                   ratio_text(t->whole.transition_score), o.weights.time, o.weights.cost);
  if (o.migration.usd() > 0) {
    s += "one-time migration cost " + format_usd(o.migration.usd()) + ": ";
    if (t->break_even_runs) {
      s += fmt::format("pays back after {:.2f} runs of this workload ({} on the new environment)\n", *t->break_even_runs,
                       format_seconds(*t->break_even_seconds));
    } else {
      s += "never pays back (the move saves no money per run)\n";
    }
  }
  return result;
}

Result<TransitionOptions> transition_options(const Json& j) {
  TransitionOptions o;
  OptionsReader r(j, "transition");
  read_workload(r, o);
  r.read("envs", o.envs)
      .read("from", o.from)
      .read("to", o.to)
      .read("weight_time", o.weights.time)
      .read("weight_cost", o.weights.cost)
      .read("egress_gb", o.migration.gb_egress)
      .read("usd_per_gb", o.migration.usd_per_gb_egress)
      .read("engineer_hours", o.migration.engineer_hours)
      .read("usd_per_engineer_hour", o.migration.usd_per_engineer_hour);
  if (auto st = r.done(); !st) return st.error();
  if (o.from.empty()) return bad_input("transition: from: expected an environment (a name in envs or a hardware id)");
  if (o.to.empty()) return bad_input("transition: to: expected an environment (a name in envs or a hardware id)");
  return o;
}

}  // namespace flopscope::api
