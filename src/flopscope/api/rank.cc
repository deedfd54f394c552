#include "flopscope/api/rank.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "flopscope/api/common.h"
#include "flopscope/api/options.h"
#include "flopscope/plan/edge.h"
#include "flopscope/plan/energy.h"
#include "flopscope/plan/price_catalog.h"
#include "flopscope/plan/rank.h"
#include "flopscope/report/svg.h"
#include "flopscope/report/table.h"
#include "flopscope/util/file.h"
#include "flopscope/util/units.h"

namespace flopscope::api {

namespace {

Json entry_json(const RankEntry& e, const Job& job) {
  Json j = {{"env", e.env}, {"ranked", e.ranked}, {"pareto", e.pareto}};
  j["rank"] = e.ranked ? Json(e.rank) : Json(nullptr);
  j["reason"] = e.ranked ? Json(nullptr) : Json(e.reason);
  if (e.ran) {
    const JobRun& r = e.run;
    j["hardware"] = r.hardware;
    j["devices"] = r.devices;
    j["dtype"] = std::string(dtype_name(r.dtype));
    j["weights"] = std::string(dtype_name(r.weights));
    j["software"] = std::string(software_name(r.software));
    j["fits"] = r.fits;
    j["layout"] = r.layout.empty() ? Json(nullptr) : Json(r.layout);
    j["fit_note"] = r.fit_note;
    j["bytes_per_device"] = r.bytes_per_device;
    j["seconds"] = r.seconds;
    j["usd"] = r.has_price() ? Json(r.usd) : Json(nullptr);
    j["usd_per_unit"] = r.has_price() ? Json(r.usd / job.work()) : Json(nullptr);
    j["joules"] = r.has_power() ? Json(r.joules) : Json(nullptr);
    j["energy"] = energy_json(r.energy, job.work());
    j["grams_co2"] = r.has_carbon() ? Json(r.grams_co2) : Json(nullptr);
    j["carbon"] = carbon_json(r.carbon);
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

}  // namespace

Result<Output> rank(const RankOptions& o, const Render& render) {
  auto job_or = workload_job(o);
  if (!job_or) return job_or.error();
  const Job job = *job_or;
  if (o.devices != 0) {
    if (auto s = check_positive("--devices", o.devices); !s) return s.error();
  }
  ::flopscope::RankOptions ro;
  auto objective = parse_rank_objective(o.objective);
  if (!objective) return objective.error();
  ro.objective = *objective;
  if (!o.deadline.empty()) {
    auto d = parse_duration(o.deadline);
    if (!d) return d.error();
    ro.seconds_deadline = *d;
  }
  if (o.budget_usd != 0) {
    if (!(o.budget_usd > 0) || !std::isfinite(o.budget_usd)) {
      return bad_input(fmt::format("--budget-usd: expected a positive number, got {}", o.budget_usd));
    }
    ro.usd_budget = o.budget_usd;
  }
  std::vector<Environment> candidates;
  if (!o.envs.empty()) {
    auto set = load_environments(o.envs);
    if (!set) return set.error();
    candidates = set->envs;
  }
  auto spec = load_model_option(o.model, o.model_config);
  if (!spec) return spec.error();
  if (o.envs.empty() || o.with_catalog) {
    for (auto& e : priced_cloud_environments(o.devices > 0 ? o.devices : 1)) {
      if (o.devices == 0) {
        // The fewest devices of this hardware that hold the job (tensor parallel inside a node).
        if (auto scaled = scale_to_fit(*spec, job, e, {1, 2, 4, 8})) e = std::move(*scaled);
      }
      candidates.push_back(std::move(e));
    }
  }
  if (auto st = apply_pue(o, candidates); !st) return st.error();
  auto entries = rank_environments(*spec, job, candidates, ro);

  if (!o.svg.empty()) {
    std::string title = fmt::format("{} {}: time vs cost per environment", spec->name, job_mode_name(job.mode));
    if (auto s = write_svg(o.svg, title, entries); !s) return s.error();
  }
  Output result;
  if (render.json) {
    Json a = Json::array();
    for (const auto& e : entries) a.push_back(entry_json(e, job));
    result.json = {{"model", spec->name},
                   {"mode", job_mode_name(job.mode)},
                   {"objective", rank_objective_name(ro.objective)},
                   {"work", job.work()},
                   {"work_unit", job.work_unit()},
                   {"seconds_deadline", ro.seconds_deadline ? Json(*ro.seconds_deadline) : Json(nullptr)},
                   {"usd_budget", ro.usd_budget ? Json(*ro.usd_budget) : Json(nullptr)},
                   {"environments", a}};
    if (!o.svg.empty()) result.json["svg"] = o.svg;
    return result;
  }
  std::string& s = result.text;
  s += style(render, fmt::format("{} {}", spec->name, job_mode_name(job.mode)), "1") + ", ranked by " +
       rank_objective_name(ro.objective) + " (* = on the Pareto front of time against cost)\n\n";
  const double mtok = job.work() / 1e6;
  Table t({"#", "environment", "hardware", "precision", "time", "cost", "$/M tokens", "energy", "J/token", "CO2e", "bound", ""},
          {true, false, false, false, true, true, true, true, true, true, false, false});
  for (const RankEntry& e : entries) {
    if (!e.ranked) continue;
    const JobRun& r = e.run;
    t.add({std::to_string(e.rank), e.env,
           fmt::format("{} x{}", r.hardware, r.devices) + (r.layout.empty() ? "" : " (" + r.layout + ")"),
           fmt::format("{}/{}", dtype_name(r.dtype), dtype_name(r.weights)), format_seconds(r.seconds), format_usd(r.usd),
           format_usd(r.usd / mtok), (r.has_power() ? format_si(r.joules / 3600, "Wh") : std::string("not known")),
           (r.has_power() ? fmt::format("{:.3g}", r.joules / job.work()) : std::string("not known")),
           r.has_carbon() ? format_co2(r.grams_co2) : std::string("not known"), std::string(bound_name(r.bound)),
           e.pareto ? "*" : ""});
  }
  if (t.rows() > 0) {
    s += t.render(2);
  } else {
    s += "  no environment can run it within the limits\n";
  }
  std::string upper;  // ranked environments whose energy is an upper bound (no idle figure)
  for (const RankEntry& e : entries) {
    if (e.ranked && e.run.energy.knowledge == PowerKnowledge::kBoardOnly) upper += (upper.empty() ? "" : ", ") + e.env;
  }
  if (!upper.empty()) s += "  energy of " + upper + ": board power throughout (no idle figure), an upper bound\n";
  std::string no_grid;  // ranked environments with energy but no grid region (a price without one)
  for (const RankEntry& e : entries) {
    if (e.ranked && e.run.has_power() && !e.run.carbon.known()) no_grid += (no_grid.empty() ? "" : ", ") + e.env;
  }
  if (!no_grid.empty()) s += "  CO2e of " + no_grid + ": not known (its price names no grid region; set --region)\n";
  s += "  CO2e: energy x grid intensity of the region (--region, else the region of the price; data/carbon/grid.toml)\n";
  bool header = false;
  for (const RankEntry& e : entries) {
    if (e.ranked) continue;
    if (!header) s += "\nNot ranked:\n";
    header = true;
    s += "  " + e.env + ": " + e.reason + "\n";
  }
  if (!o.svg.empty()) s += "\nWrote " + o.svg + "\n";
  return result;
}

Result<RankOptions> rank_options(const Json& j) {
  RankOptions o;
  OptionsReader r(j, "rank");
  read_workload(r, o);
  r.read("envs", o.envs)
      .read("with_catalog", o.with_catalog)
      .read("devices", o.devices)
      .read("deadline", o.deadline)
      .read("budget_usd", o.budget_usd)
      .read("objective", o.objective)
      .read("svg", o.svg);
  if (auto st = r.done(); !st) return st.error();
  return o;
}

}  // namespace flopscope::api
