// `flopscope rank MODEL ...`: every environment that can run a workload, ranked by time,
// cost or energy, with the Pareto front of time against cost (plan/rank.h,
// docs/transitions.md).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <set>

#include "command.h"
#include "flopscope/plan/price_catalog.h"
#include "flopscope/plan/rank.h"
#include "flopscope/report/svg.h"
#include "flopscope/report/table.h"
#include "flopscope/util/file.h"
#include "flopscope/util/units.h"
#include "model_options.h"
#include "workload_flags.h"

namespace flopscope::cli {
namespace {

struct Options : WorkloadFlags {
  std::string envs, deadline, objective = "time", svg;
  double budget = 0;
  int64_t devices = 0;  // 0: the fewest of 1, 2, 4, 8 that fit
  bool with_catalog = false, json = false;
};

// Catalog candidates: every accelerator the price data prices, `devices` of each.
std::vector<Environment> catalog_candidates(int64_t devices) {
  std::vector<Environment> out;
  std::set<std::string> seen;
  for (const InstancePrice& p : PriceCatalog::builtin().all()) {
    if (!p.current || !seen.insert(p.hardware_id).second) continue;
    auto e = catalog_environment(p.hardware_id);
    if (!e) continue;
    e->devices = devices;
    if (devices > 1) e->name = fmt::format("{}-x{}", p.hardware_id, devices);
    out.push_back(*e);
  }
  return out;
}

nlohmann::json entry_json(const RankEntry& e, const Job& job) {
  nlohmann::json j = {{"env", e.env}, {"ranked", e.ranked}, {"pareto", e.pareto}};
  j["rank"] = e.ranked ? nlohmann::json(e.rank) : nlohmann::json(nullptr);
  j["reason"] = e.ranked ? nlohmann::json(nullptr) : nlohmann::json(e.reason);
  if (e.ran) {
    const JobRun& r = e.run;
    j["hardware"] = r.hardware;
    j["devices"] = r.devices;
    j["dtype"] = std::string(dtype_name(r.dtype));
    j["weights"] = std::string(dtype_name(r.weights));
    j["software"] = std::string(software_name(r.software));
    j["fits"] = r.fits;
    j["layout"] = r.layout.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.layout);
    j["fit_note"] = r.fit_note;
    j["bytes_per_device"] = r.bytes_per_device;
    j["seconds"] = r.seconds;
    j["usd"] = r.has_price() ? nlohmann::json(r.usd) : nlohmann::json(nullptr);
    j["usd_per_unit"] = r.has_price() ? nlohmann::json(r.usd / job.work()) : nlohmann::json(nullptr);
    j["joules"] = r.has_power() ? nlohmann::json(r.joules) : nlohmann::json(nullptr);
    j["energy"] = energy_json(r.energy, job.work());
    j["grams_co2"] = r.grams_co2 > 0 ? nlohmann::json(r.grams_co2) : nlohmann::json(nullptr);
    j["bound"] = std::string(bound_name(r.bound));
  }
  return j;
}

Status write_svg(const std::string& path, const std::string& title, const std::vector<RankEntry>& entries) {
  std::vector<std::pair<double, double>> all, front;
  std::vector<std::string> labels, front_labels;
  for (const RankEntry& e : entries) {
    if (!e.ranked) continue;
    all.push_back({e.run.seconds / 3600, e.run.usd});
    labels.push_back(e.pareto ? "" : e.env);
    if (e.pareto) {
      front.push_back(all.back());
      front_labels.push_back(e.env);
    }
  }
  std::vector<size_t> order(front.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return front[a].first < front[b].first; });
  std::vector<std::pair<double, double>> front_sorted;
  std::vector<std::string> front_labels_sorted;
  for (size_t i : order) {
    front_sorted.push_back(front[i]);
    front_labels_sorted.push_back(front_labels[i]);
  }
  SvgPlot plot(title, {"time (hours)", true}, {"cost (USD)", true});
  plot.add_points("environments", all, "#888888", labels);
  SvgSeries s;
  s.label = "Pareto front (time vs cost)";
  s.points = front_sorted;
  s.line = true;
  s.markers = true;
  s.point_labels = front_labels_sorted;
  plot.add_series(s);
  return write_file_atomic(path, plot.render());
}

int run(const Options& o) {
  auto job_or = to_job(o);
  if (!job_or) return report_error(job_or.error());
  Job job = *job_or;
  if (auto s = validate(job); !s) return report_error(s.error());
  if (o.devices != 0) {
    if (auto s = check_positive("--devices", o.devices); !s) return report_error(s.error());
  }
  RankOptions ro;
  auto objective = parse_rank_objective(o.objective);
  if (!objective) return report_error(objective.error());
  ro.objective = *objective;
  if (!o.deadline.empty()) {
    auto d = parse_duration(o.deadline);
    if (!d) return report_error(d.error());
    ro.seconds_deadline = *d;
  }
  if (o.budget != 0) {
    if (!(o.budget > 0) || !std::isfinite(o.budget)) {
      return report_error(bad_input(fmt::format("--budget-usd: expected a positive number, got {}", o.budget)));
    }
    ro.usd_budget = o.budget;
  }
  std::vector<Environment> candidates;
  if (!o.envs.empty()) {
    auto set = load_environments(o.envs);
    if (!set) return report_error(set.error());
    candidates = set->envs;
  }
  auto spec = load_model_arg(o.model);
  if (!spec) return report_error(spec.error());
  if (o.envs.empty() || o.with_catalog) {
    for (auto& e : catalog_candidates(o.devices > 0 ? o.devices : 1)) {
      if (o.devices == 0) {
        // The fewest devices of this hardware that hold the job (tensor parallel inside a node).
        if (auto scaled = scale_to_fit(*spec, job, e, {1, 2, 4, 8})) e = std::move(*scaled);
      }
      candidates.push_back(std::move(e));
    }
  }
  if (auto st = apply_pue_flag(o, candidates); !st) return report_error(st.error());
  auto entries = rank_environments(*spec, job, candidates, ro);

  if (!o.svg.empty()) {
    std::string title = fmt::format("{} {}: time vs cost per environment", spec->name, job_mode_name(job.mode));
    if (auto s = write_svg(o.svg, title, entries); !s) return report_error(s.error());
  }
  if (o.json) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& e : entries) a.push_back(entry_json(e, job));
    nlohmann::json j = {{"model", spec->name},
                        {"mode", job_mode_name(job.mode)},
                        {"objective", rank_objective_name(ro.objective)},
                        {"work", job.work()},
                        {"work_unit", job.work_unit()},
                        {"seconds_deadline", ro.seconds_deadline ? nlohmann::json(*ro.seconds_deadline) : nlohmann::json(nullptr)},
                        {"usd_budget", ro.usd_budget ? nlohmann::json(*ro.usd_budget) : nlohmann::json(nullptr)},
                        {"environments", a}};
    if (!o.svg.empty()) j["svg"] = o.svg;
    print_json(j);
    return 0;
  }
  std::cout << style(fmt::format("{} {}", spec->name, job_mode_name(job.mode)), "1") << ", ranked by "
            << rank_objective_name(ro.objective) << " (* = on the Pareto front of time against cost)\n\n";
  const double mtok = job.work() / 1e6;
  Table t({"#", "environment", "hardware", "precision", "time", "cost", "$/M tokens", "energy", "J/token", "bound", ""},
          {true, false, false, false, true, true, true, true, true, false, false});
  for (const RankEntry& e : entries) {
    if (!e.ranked) continue;
    const JobRun& r = e.run;
    t.add({std::to_string(e.rank), e.env,
           fmt::format("{} x{}", r.hardware, r.devices) + (r.layout.empty() ? "" : " (" + r.layout + ")"),
           fmt::format("{}/{}", dtype_name(r.dtype), dtype_name(r.weights)), format_seconds(r.seconds), format_usd(r.usd),
           format_usd(r.usd / mtok), (r.has_power() ? format_si(r.joules / 3600, "Wh") : std::string("not known")),
           (r.has_power() ? fmt::format("{:.3g}", r.joules / job.work()) : std::string("not known")),
           std::string(bound_name(r.bound)), e.pareto ? "*" : ""});
  }
  if (t.rows() > 0) {
    std::cout << t.render(2);
  } else {
    std::cout << "  no environment can run it within the limits\n";
  }
  std::string upper;  // ranked environments whose energy is an upper bound (no idle figure)
  for (const RankEntry& e : entries) {
    if (e.ranked && e.run.energy.knowledge == PowerKnowledge::kBoardOnly) upper += (upper.empty() ? "" : ", ") + e.env;
  }
  if (!upper.empty()) std::cout << "  energy of " << upper << ": board power throughout (no idle figure), an upper bound\n";
  bool header = false;
  for (const RankEntry& e : entries) {
    if (e.ranked) continue;
    if (!header) std::cout << "\nNot ranked:\n";
    header = true;
    std::cout << "  " << e.env << ": " << e.reason << "\n";
  }
  if (!o.svg.empty()) std::cout << "\nWrote " << o.svg << "\n";
  return 0;
}

std::function<int()> setup(CLI::App& sub) {
  auto o = std::make_shared<Options>();
  add_workload_flags(sub, *o);
  sub.add_option("--envs", o->envs, "TOML file of named environments (default: every priced catalog accelerator)");
  sub.add_flag("--with-catalog", o->with_catalog, "With --envs: also rank every priced catalog accelerator");
  sub.add_option("--devices", o->devices,
                 "Devices per catalog candidate (default: the fewest of 1, 2, 4, 8 on which the job fits, tensor "
                 "parallel inside a node)");
  sub.add_option("--deadline", o->deadline, "Leave out what takes longer: 36h, 2d, 90m, 3600 (seconds)");
  sub.add_option("--budget-usd", o->budget, "Leave out what costs more");
  sub.add_option("--objective", o->objective, "time, cost or energy")->capture_default_str();
  sub.add_option("--svg", o->svg, "Write the time-cost scatter with its Pareto front to this SVG file");
  sub.add_flag("--json", o->json, "Print JSON (SI units; keys in docs/transitions.md)");
  set_examples(sub, {"flopscope rank llama-3.1-8b --mode train --tokens 1e10 --devices 8 --objective cost",
                     "flopscope rank llama-3.1-8b --mode infer --requests 100000 --batch 32 --prompt 1024 --output 256 "
                     "--envs docs/examples/envs.toml --with-catalog --svg rank.svg",
                     "flopscope rank llama-3.1-8b --mode train --tokens 2e11 --devices 8 --deadline 3d --budget-usd 20000 --json",
                     "flopscope rank llama-3.1-70b --mode infer --requests 10000 --batch 8 --prompt 1024 --output 256"});
  return [o] { return run(*o); };
}

FLOPSCOPE_COMMAND({"rank", "Rank environments for a workload by time, cost or energy, with the Pareto front", setup, 71});

}  // namespace
}  // namespace flopscope::cli
