#include "flopscope/api/budget.h"

#include <fmt/format.h>

#include <map>

#include "flopscope/api/common.h"
#include "flopscope/api/options.h"
#include "flopscope/model/load.h"
#include "flopscope/plan/budget.h"
#include "flopscope/plan/budget_options.h"
#include "flopscope/plan/budget_solver.h"
#include "flopscope/plan/energy.h"
#include "flopscope/report/table.h"
#include "flopscope/util/units.h"

namespace flopscope::api {

namespace {

constexpr const char* kObjective =
    "lexicographic: maximize the sum of the scheduled jobs' priorities, then minimize the cost at that value";

// "2027-03" for month m of a plan starting at `start` (YYYY-MM-DD), else "month 3" (1-based).
std::string month_label(const std::string& start, int64_t m) {
  if (start.size() < 7) return fmt::format("month {}", m + 1);
  const int64_t year = std::stoll(start.substr(0, 4)), month = std::stoll(start.substr(5, 2)) - 1 + m;
  return fmt::format("{:04}-{:02}", year + month / 12, month % 12 + 1);
}

Json or_null(bool known, double v) { return known ? Json(v) : Json(nullptr); }

Json option_json(const Portfolio& p, const BudgetOption& o) {
  const BudgetJob& job = p.jobs[o.job];
  Json j = {{"env", p.envs[o.env].env.name}, {"devices", o.devices}, {"usable", o.usable}};
  j["layout"] = o.layout.empty() ? Json(nullptr) : Json(o.layout);
  j["reason_kind"] = o.usable ? Json(nullptr) : Json(o.reason_kind);
  j["reason"] = o.usable ? Json(nullptr) : Json(o.reason);
  if (job.kind == BudgetJobKind::kServe) {
    j["tp"] = o.tp;
    j["replicas"] = o.replicas;
    j["max_rate_per_replica"] = o.max_rate_per_replica;
    j["usd_per_month"] = or_null(o.usd_per_device_hour > 0 && o.devices > 0,
                                 static_cast<double>(o.devices) * kBudgetHoursPerMonth * o.usd_per_device_hour);
  } else if (o.seconds > 0) {
    j["seconds_per_run"] = o.seconds;
    j["months_per_run"] = o.run_months();
    j["usd_per_run"] = or_null(o.usd_per_device_hour > 0,
                               static_cast<double>(o.devices) * o.seconds / 3600 * o.usd_per_device_hour);
    j["mfu"] = o.mfu;
  }
  return j;
}

Json job_json(const Portfolio& p, const std::vector<BudgetOption>& options, const BudgetJobPlan& jp) {
  const BudgetJob& job = p.jobs[jp.job];
  Json j = {{"name", job.name},         {"kind", budget_job_kind_name(job.kind)}, {"model", job.model},
            {"priority", job.priority}, {"deadline_months", job.deadline_months}, {"scheduled", jp.scheduled}};
  if (jp.scheduled) {
    const BudgetOption& o = options[jp.option];
    j["env"] = p.envs[o.env].env.name;
    j["hardware"] = p.envs[o.env].env.hardware_id;
    j["devices"] = o.devices;
    j["layout"] = o.layout.empty() ? Json(nullptr) : Json(o.layout);
    j["start_month"] = jp.start;
    j["start"] = month_label(p.start, jp.start);
    j["months"] = jp.months;
    j["seconds_per_run"] = job.kind == BudgetJobKind::kServe ? Json(nullptr) : Json(o.seconds);
    j["runs"] = job.kind == BudgetJobKind::kRetrain ? Json(jp.runs) : Json(nullptr);
    j["usd"] = jp.usd;
    j["usd_list"] = jp.usd_list;
    j["gpu_hours"] = jp.gpu_hours;
    j["joules"] = or_null(jp.energy_known, jp.joules);
    j["kwh"] = or_null(jp.energy_known, jp.joules / kJoulesPerKwh);
    j["grams_co2"] = or_null(jp.grams_co2 > 0, jp.grams_co2);
    j["reason_kind"] = nullptr;
    j["reason"] = nullptr;
  } else {
    j["reason_kind"] = jp.reason_kind;
    j["reason"] = jp.reason;
  }
  Json a = Json::array();
  for (const BudgetOption& o : options) {
    if (o.job == jp.job) a.push_back(option_json(p, o));
  }
  j["options"] = a;
  return j;
}

Json plan_json(const Portfolio& p, const std::vector<BudgetOption>& options, const BudgetPlan& plan) {
  Json j;
  j["portfolio"] = p.origin;
  j["start"] = p.start.empty() ? Json(nullptr) : Json(p.start);
  j["months"] = p.months;
  j["cap"] = {{"usd", p.usd_cap}, {"period", budget_period_name(p.period)}};
  j["hours_per_month"] = kBudgetHoursPerMonth;
  j["objective"] = kObjective;
  j["solver"] = {{"name", budget_solver_name()},
                 {"optimal", plan.optimal},
                 {"note", plan.solver_note.empty() ? Json(nullptr) : Json(plan.solver_note)},
                 {"variables", plan.variables},
                 {"constraints", plan.constraints},
                 {"solves", plan.solves},
                 {"seconds_limit_per_solve", kBudgetSolveSeconds},
                 {"seconds_limit_total", kBudgetTotalSeconds}};
  Json envs = Json::array();
  for (const BudgetEnv& be : p.envs) {
    const PriceQuote q = price_of(be.env);
    envs.push_back({{"name", be.env.name},
                    {"hardware", be.env.hardware_id},
                    {"gpus", be.gpus},
                    {"reserved_gpu_hours_per_month", be.reserved_gpu_hours_per_month},
                    {"usd_per_device_hour", or_null(q.usd_per_device_hour > 0, q.usd_per_device_hour)},
                    {"price_source", q.source}});
  }
  j["environments"] = envs;
  Json jobs = Json::array(), left = Json::array();
  for (const BudgetJobPlan& jp : plan.jobs) {
    jobs.push_back(job_json(p, options, jp));
    if (!jp.scheduled) {
      left.push_back({{"job", p.jobs[jp.job].name}, {"reason_kind", jp.reason_kind}, {"reason", jp.reason}});
    }
  }
  j["jobs"] = jobs;
  j["left_out"] = left;
  Json next = Json::array();
  for (const BudgetNextDollar& nd : plan.next_dollar) {
    next.push_back({{"job", p.jobs[nd.job].name},
                    {"priority", p.jobs[nd.job].priority},
                    {"usd_cap", nd.usd_cap},
                    {"usd_extra_per_period", nd.usd_extra},
                    {"usd_extra_total", nd.usd_total_extra}});
  }
  j["next_dollar"] = next;
  Json months = Json::array();
  for (size_t m = 0; m < plan.months.size(); ++m) {
    const BudgetMonth& bm = plan.months[m];
    Json hours = Json::object(), gpus = Json::object(), reserved = Json::object();
    for (size_t e = 0; e < p.envs.size(); ++e) {
      hours[p.envs[e].env.name] = bm.gpu_hours_by_env[e];
      gpus[p.envs[e].env.name] = bm.gpu_hours_by_env[e] / kBudgetHoursPerMonth;
      reserved[p.envs[e].env.name] = bm.reserved_hours_by_env[e];
    }
    months.push_back({{"month", static_cast<int64_t>(m)},
                      {"label", month_label(p.start, static_cast<int64_t>(m))},
                      {"usd", bm.usd},
                      {"gpu_hours", hours},
                      {"gpus_mean", gpus},
                      {"reserved_gpu_hours_used", reserved}});
  }
  j["schedule"] = months;
  int64_t scheduled = 0;
  bool energy_all = true;
  for (const BudgetJobPlan& jp : plan.jobs) {
    if (!jp.scheduled) continue;
    ++scheduled;
    energy_all = energy_all && jp.energy_known;
  }
  j["totals"] = {{"jobs", static_cast<int64_t>(p.jobs.size())},
                 {"jobs_scheduled", scheduled},
                 {"value", plan.value},
                 {"value_possible", plan.value_possible},
                 {"usd", plan.usd_total},
                 {"usd_list", plan.usd_list_total},
                 {"usd_saved_by_reserved", plan.usd_list_total - plan.usd_total},
                 {"gpu_hours", plan.gpu_hours_total},
                 {"joules", plan.joules_total},
                 {"kwh", plan.joules_total / kJoulesPerKwh},
                 {"energy_complete", energy_all},
                 {"grams_co2", or_null(plan.grams_co2_total > 0, plan.grams_co2_total)}};
  return j;
}

std::string duration_text(double months) {
  return months >= 1 ? fmt::format("{:.2f} mo", months) : format_seconds(months * kBudgetHoursPerMonth * 3600);
}

std::string plan_text(const Portfolio& p, const std::vector<BudgetOption>& options, const BudgetPlan& plan,
                      const Render& render) {
  std::string s;
  s += style(render, "Budget plan", "1") +
       fmt::format(" of {}: {} months, cap {} per {} ({})\n", p.origin, p.months, format_usd(p.usd_cap),
                   budget_period_name(p.period), budget_solver_name() + (plan.optimal ? ", optimal" : ", not proven optimal"));
  s += "  objective: " + std::string(kObjective) + "\n\n";
  Table t({"job", "kind", "prio", "environment", "devices", "start", "duration", "cost", "energy", "status"},
          {false, false, true, false, true, false, true, true, true, false});
  for (const BudgetJobPlan& jp : plan.jobs) {
    const BudgetJob& job = p.jobs[jp.job];
    if (!jp.scheduled) {
      t.add({job.name, budget_job_kind_name(job.kind), std::to_string(job.priority), "-", "-", "-", "-", "-", "-",
             style(render, "left out: " + jp.reason_kind, "31")});
      continue;
    }
    const BudgetOption& o = options[jp.option];
    std::string duration = duration_text(jp.months);
    if (job.kind == BudgetJobKind::kRetrain) duration = fmt::format("{:.3g} runs of {}", jp.runs, duration_text(o.run_months()));
    t.add({job.name, budget_job_kind_name(job.kind), std::to_string(job.priority), p.envs[o.env].env.name,
           std::to_string(o.devices) + (job.kind == BudgetJobKind::kServe ? " (" + o.layout + ")" : ""),
           month_label(p.start, jp.start),
           duration, format_usd(jp.usd), jp.energy_known ? format_si(jp.joules / 3600, "Wh") : std::string("not known"),
           "scheduled"});
  }
  s += t.render(2);
  bool header = false;
  for (const BudgetJobPlan& jp : plan.jobs) {
    if (jp.scheduled) continue;
    if (!header) s += "\nLeft out:\n";
    header = true;
    s += fmt::format("  {} ({}): {}\n", p.jobs[jp.job].name, jp.reason_kind, jp.reason);
  }
  if (!plan.next_dollar.empty()) {
    s += "\nWhat the next dollar buys:\n";
    for (const BudgetNextDollar& nd : plan.next_dollar) {
      s += fmt::format("  +{} per {} (cap {}): schedules {} (priority {}), {} more over the plan\n", format_usd(nd.usd_extra),
                       budget_period_name(p.period), format_usd(nd.usd_cap), p.jobs[nd.job].name,
                       p.jobs[nd.job].priority, format_usd(nd.usd_total_extra));
    }
  }
  s += "\nMonthly schedule (mean GPUs busy per environment):\n";
  std::vector<std::string> head = {"month", "spend"};
  std::vector<bool> right = {false, true};
  for (const BudgetEnv& be : p.envs) {
    head.push_back(be.env.name);
    right.push_back(true);
  }
  head.push_back("reserved used");
  right.push_back(true);
  Table m(head, right);
  for (size_t i = 0; i < plan.months.size(); ++i) {
    const BudgetMonth& bm = plan.months[i];
    std::vector<std::string> row = {month_label(p.start, static_cast<int64_t>(i)), format_usd(bm.usd)};
    double reserved = 0;
    for (size_t e = 0; e < p.envs.size(); ++e) {
      row.push_back(fmt::format("{:.2f}", bm.gpu_hours_by_env[e] / kBudgetHoursPerMonth));
      reserved += bm.reserved_hours_by_env[e];
    }
    row.push_back(format_si(reserved, "GPU-h"));
    m.add(row);
  }
  s += m.render(2);
  s += fmt::format("\nTotals: {} of {} jobs (value {} of {}), {} ({} at list price, {} saved by reserved capacity), {}, {}",
                   std::count_if(plan.jobs.begin(), plan.jobs.end(), [](const BudgetJobPlan& jp) { return jp.scheduled; }),
                   p.jobs.size(), plan.value, plan.value_possible, format_usd(plan.usd_total),
                   format_usd(plan.usd_list_total), format_usd(plan.usd_list_total - plan.usd_total),
                   format_si(plan.gpu_hours_total, "GPU-h"), format_si(plan.joules_total / 3600, "Wh"));
  if (plan.grams_co2_total > 0) s += fmt::format(", {:.3g} t CO2", plan.grams_co2_total / 1e6);
  s += "\n";
  if (!plan.solver_note.empty()) s += "  " + plan.solver_note + "\n";
  return s;
}

}  // namespace

Result<Output> budget_plan(const BudgetPlanOptions& o, const Render& render) {
  if (o.file.empty() == o.text.empty()) {
    return bad_input("budget plan: expected a portfolio: a file (TOML), or its text (portfolio), not both");
  }
  constexpr size_t kPortfolioBytes = size_t{4} << 20;  // as load_portfolio reads a file
  if (o.text.size() > kPortfolioBytes) {
    return bad_input(fmt::format("portfolio: expected at most {} bytes of TOML, got {}", kPortfolioBytes, o.text.size()));
  }
  const std::string origin = o.text.empty() ? o.file : "portfolio";
  auto p = o.text.empty() ? load_portfolio(o.file) : parse_portfolio(o.text, origin);
  if (!p) return p.error();
  if (!o.text.empty()) {  // nothing named in the text may be read from disk
    for (const BudgetEnv& e : p->envs) {
      if (!e.env.profile_path.empty()) {
        return bad_input(fmt::format("{}: env.{}.profile: a portfolio given as text takes no profile file; "
                                     "run budget plan on a file from the command line",
                                     origin, e.env.name));
      }
    }
    for (const BudgetJob& job : p->jobs) {
      if (auto st = catalog_model_only(origin, "job." + job.name + ".model", "portfolio", job.model); !st) return st.error();
    }
  }
  std::map<std::string, TransformerSpec> specs;
  for (const BudgetJob& job : p->jobs) {
    if (specs.count(job.model_path)) continue;
    auto spec = load_model(job.model_path);
    if (!spec) return bad_input(fmt::format("{}: job.{}.model: {}", origin, job.name, spec.error().message));
    specs.emplace(job.model_path, std::move(*spec));
  }
  auto options = budget_options(*p, specs, o.progress);
  if (!options) return options.error();
  if (o.progress) o.progress("solving the integer program");
  auto plan = solve_budget(*p, *options);
  if (!plan) return plan.error();
  Output out;
  if (render.json) {
    out.json = plan_json(*p, *options, *plan);
  } else {
    out.text = plan_text(*p, *options, *plan, render);
  }
  return out;
}

Result<BudgetPlanOptions> budget_plan_options(const Json& options) {
  BudgetPlanOptions o;
  OptionsReader r(options, "budget/plan");
  r.read("file", o.file).read("portfolio", o.text);
  if (auto st = r.done(); !st) return st.error();
  return o;
}

}  // namespace flopscope::api
