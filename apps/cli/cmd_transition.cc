// `flopscope transition MODEL --from ENV --to ENV`: what moving a workload to another
// environment gains or loses, with the factors behind it (plan/transition.h,
// docs/transitions.md).
#include <fmt/format.h>

#include <cmath>
#include <iostream>

#include "command.h"
#include "flopscope/plan/transition.h"
#include "flopscope/report/table.h"
#include "flopscope/util/units.h"
#include "model_options.h"
#include "workload_flags.h"

namespace flopscope::cli {
namespace {

struct Options : WorkloadFlags {
  std::string envs, from, to;
  TransitionWeights weights;
  MigrationCosts migration;
  bool json = false;
};

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

nlohmann::json run_json(const JobRun& r, const Job& job) {
  nlohmann::json b = nlohmann::json::object();
  for (size_t i = 0; i < r.seconds_by_bound.size(); ++i) b[std::string(bound_name(static_cast<Bound>(i)))] = r.seconds_by_bound[i];
  return {{"env", r.env},
          {"hardware", r.hardware},
          {"devices", r.devices},
          {"dtype", std::string(dtype_name(r.dtype))},
          {"weights", std::string(dtype_name(r.weights))},
          {"software", std::string(software_name(r.software))},
          {"fits", r.fits},
          {"fit_note", r.fit_note},
          {"layout", r.layout.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.layout)},
          {"bytes_per_device", r.bytes_per_device},
          {"bytes_device_memory", r.bytes_device_memory},
          {"seconds", r.seconds},
          {"usd", r.has_price() ? nlohmann::json(r.usd) : nlohmann::json(nullptr)},
          {"usd_per_unit", r.has_price() ? nlohmann::json(r.usd / job.work()) : nlohmann::json(nullptr)},
          {"usd_per_device_hour", r.has_price() ? nlohmann::json(r.usd_per_device_hour) : nlohmann::json(nullptr)},
          {"price_source", r.price_source},
          {"watts_per_device", r.has_power() ? nlohmann::json(r.watts) : nlohmann::json(nullptr)},
          {"joules", r.has_power() ? nlohmann::json(r.joules) : nlohmann::json(nullptr)},
          {"energy", energy_json(r.energy, job.work())},
          {"grams_co2", r.grams_co2 > 0 ? nlohmann::json(r.grams_co2) : nlohmann::json(nullptr)},
          {"mfu", r.mfu},
          {"bound", std::string(bound_name(r.bound))},
          {"seconds_by_bound", b}};
}

nlohmann::json ratios_json(const TransitionRatios& r) {
  auto num = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); };
  return {{"speedup", num(r.speedup)},
          {"cost_ratio", num(r.cost_ratio)},
          {"energy_ratio", num(r.energy_ratio)},
          {"transition_score", num(r.transition_score)}};
}

int run(const Options& o) {
  auto job_or = to_job(o);
  if (!job_or) return report_error(job_or.error());
  Job job = *job_or;
  if (auto s = validate(job); !s) return report_error(s.error());
  for (auto [flag, v] : {std::pair{"--weight-time", o.weights.time}, std::pair{"--weight-cost", o.weights.cost},
                         std::pair{"--egress-gb", o.migration.gb_egress}, std::pair{"--usd-per-gb", o.migration.usd_per_gb_egress},
                         std::pair{"--engineer-hours", o.migration.engineer_hours},
                         std::pair{"--usd-per-engineer-hour", o.migration.usd_per_engineer_hour}}) {
    if (!(v >= 0) || !std::isfinite(v)) return report_error(bad_input(fmt::format("{}: expected a non-negative number, got {}", flag, v)));
  }
  EnvironmentSet set;
  if (!o.envs.empty()) {
    auto loaded = load_environments(o.envs);
    if (!loaded) return report_error(loaded.error());
    set = std::move(*loaded);
  }
  auto from = set.find(o.from);
  if (!from) return report_error(from.error());
  auto to = set.find(o.to);
  if (!to) return report_error(to.error());
  std::vector<Environment> ends = {*from, *to};
  if (auto st = apply_pue_flag(o, ends); !st) return report_error(st.error());
  auto spec = load_model_arg(o.model);
  if (!spec) return report_error(spec.error());
  auto t = transition(*spec, job, ends[0], ends[1], o.weights, o.migration);
  if (!t) return report_error(t.error());

  if (o.json) {
    nlohmann::json j = ratios_json(t->whole);
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
    nlohmann::json factors = nlohmann::json::array();
    for (const auto& f : t->factors) {
      nlohmann::json fj = ratios_json(f.ratios);
      fj["name"] = f.name;
      factors.push_back(fj);
    }
    j["factors"] = factors;
    j["migration"] = {{"usd", o.migration.usd()},
                      {"break_even_runs", t->break_even_runs ? nlohmann::json(*t->break_even_runs) : nlohmann::json(nullptr)},
                      {"break_even_seconds",
                       t->break_even_seconds ? nlohmann::json(*t->break_even_seconds) : nlohmann::json(nullptr)}};
    print_json(j);
    return 0;
  }

  std::cout << style(job_text(spec->name, job), "1") << "\n" << t->from.env << " -> " << t->to.env << "\n\n";
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
  if (t->from.grams_co2 > 0 || t->to.grams_co2 > 0) row("carbon", [](const JobRun& r) { return r.grams_co2 >= 1e6 ? fmt::format("{:.2f} t CO2", r.grams_co2 / 1e6) : fmt::format("{:.2f} kg CO2", r.grams_co2 / 1e3); });
  row("memory per device", [](const JobRun& r) {
    return fmt::format("{} of {}{}", format_bytes(r.bytes_per_device), format_bytes(r.bytes_device_memory), r.fits ? "" : " (DOES NOT FIT)");
  });
  row("bound", [](const JobRun& r) { return fmt::format("{} ({})", bound_name(r.bound), format_percent(bound_share(r))); });
  std::cout << env.render(2) << "\n";
  for (const JobRun* r : {&t->from, &t->to}) {
    if (!r->fits) std::cout << "  warning: " << r->env << ": " << r->fit_note << "\n";
    if (r->has_price()) std::cout << "  price " << r->env << ": " << r->price_source << "\n";
    std::cout << "  power " << r->env << ": " << power_knowledge_text(r->energy.knowledge) << ", PUE "
              << fmt::format("{:g}", r->energy.pue) << " (" << r->energy.pue_source << ")\n";
  }

  std::cout << "\nFactors (changed one at a time in this order; their product is the whole):\n";
  Table f({"factor", "speedup", "cost_ratio", "energy_ratio", "score"}, {false, true, true, true, true});
  for (const auto& x : t->factors) {
    f.add({x.name, ratio_text(x.ratios.speedup), ratio_text(x.ratios.cost_ratio), ratio_text(x.ratios.energy_ratio),
           ratio_text(x.ratios.transition_score)});
  }
  f.add_rule();
  f.add({"whole", ratio_text(t->whole.speedup), ratio_text(t->whole.cost_ratio), ratio_text(t->whole.energy_ratio),
         ratio_text(t->whole.transition_score)});
  std::cout << f.render(2) << "\n";
  std::cout << fmt::format("transition_score {} = speedup^{} x (1/cost_ratio)^{}  (above 1 is a gain)\n",
                           ratio_text(t->whole.transition_score), o.weights.time, o.weights.cost);
  if (o.migration.usd() > 0) {
    std::cout << "one-time migration cost " << format_usd(o.migration.usd()) << ": ";
    if (t->break_even_runs) {
      std::cout << fmt::format("pays back after {:.2f} runs of this workload ({} on the new environment)\n",
                               *t->break_even_runs, format_seconds(*t->break_even_seconds));
    } else {
      std::cout << "never pays back (the move saves no money per run)\n";
    }
  }
  return 0;
}

std::function<int()> setup(CLI::App& sub) {
  auto o = std::make_shared<Options>();
  add_workload_flags(sub, *o);
  sub.add_option("--envs", o->envs, "TOML file of named environments ([env.NAME] tables, docs/transitions.md)");
  sub.add_option("--from", o->from, "Environment now: a name in --envs or a catalog hardware id")->required();
  sub.add_option("--to", o->to, "Environment to move to")->required();
  sub.add_option("--weight-time", o->weights.time, "Exponent of the speedup in the score")->capture_default_str();
  sub.add_option("--weight-cost", o->weights.cost, "Exponent of the cost efficiency in the score")->capture_default_str();
  sub.add_option("--egress-gb", o->migration.gb_egress, "One-time data egress (GB) for the break-even");
  sub.add_option("--usd-per-gb", o->migration.usd_per_gb_egress, "Egress price")->capture_default_str();
  sub.add_option("--engineer-hours", o->migration.engineer_hours, "One-time engineering hours");
  sub.add_option("--usd-per-engineer-hour", o->migration.usd_per_engineer_hour, "Cost of an engineer-hour")
      ->capture_default_str();
  sub.add_flag("--json", o->json, "Print JSON (SI units; keys in docs/transitions.md)");
  set_examples(sub, {"flopscope transition llama-3.1-8b --mode train --tokens 1e9 --from a100-sxm-80gb --to h100-sxm",
                     "flopscope transition llama-3.1-8b --mode infer --requests 100000 --batch 32 --prompt 1024 --output 256 "
                     "--envs docs/examples/envs.toml --from a100-serving --to h100-fp8",
                     "flopscope transition llama-3.1-8b --mode train --tokens 2e11 --envs docs/examples/envs.toml "
                     "--from aws-h100x8 --to lambda-h100x8 --egress-gb 2000 --engineer-hours 40 --json"});
  return [o] { return run(*o); };
}

FLOPSCOPE_COMMAND({"transition", "What moving a workload to another GPU, cloud, precision or stack gains or loses", setup, 70});

}  // namespace
}  // namespace flopscope::cli
