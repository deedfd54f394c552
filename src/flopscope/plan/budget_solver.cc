#include "flopscope/plan/budget_solver.h"

#include <fmt/format.h>
#include <glpk.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <optional>

#include "flopscope/util/shared_library.h"
#include "flopscope/util/units.h"

namespace flopscope {
namespace {

// GLPK, opened when a budget plan is solved (util/shared_library.h says why not linked).
#define FLOPSCOPE_GLPK_FUNCTIONS(X) X(glp_add_cols) X(glp_add_rows) X(glp_create_prob) X(glp_delete_prob) X(glp_init_iocp) X(glp_intopt) X(glp_load_matrix) X(glp_mip_col_val) X(glp_mip_obj_val) X(glp_mip_status) X(glp_set_col_bnds) X(glp_set_col_kind) X(glp_set_obj_coef) X(glp_set_obj_dir) X(glp_set_row_bnds) X(glp_term_out) X(glp_version)
struct Glpk {
#define FLOPSCOPE_GLPK_MEMBER(name) decltype(&::name) name = nullptr;
  FLOPSCOPE_GLPK_FUNCTIONS(FLOPSCOPE_GLPK_MEMBER)
#undef FLOPSCOPE_GLPK_MEMBER
  std::string error;
};

const Glpk& glpk() {
  static const Glpk api = [] {
    Glpk g;
    SharedLibrary lib({"libglpk.so.40", FLOPSCOPE_GLPK_LIBRARY}, "GLPK (the budget plan's solver; Debian package libglpk40)");
#define FLOPSCOPE_GLPK_BIND(name) lib.bind(g.name, #name);
    FLOPSCOPE_GLPK_FUNCTIONS(FLOPSCOPE_GLPK_BIND)
#undef FLOPSCOPE_GLPK_BIND
    g.error = lib.error();
    return g;
  }();
  return api;
}

constexpr double kStartPenalty = 0.01;  // dollars per month of start: earlier of equal plans (a smaller
                                        // figure falls under GLPK's objective tolerance)

// One binary: option `option` started in month `start`.
struct Var {
  size_t option = 0;
  int64_t start = 0;
  std::vector<double> hours;  // GPU-hours per month
};

// What one program asks.
struct Program {
  enum class Goal { kMaxValue, kMinCost, kMinCap };
  Goal goal = Goal::kMaxValue;
  bool capped = true;                    // the cap row (kMinCap: <= the cap variable)
  std::optional<int64_t> min_value;      // V >= this
  std::optional<size_t> forced_job;      // this job is scheduled
};

struct Solution {
  bool found = false;
  bool optimal = false;
  double objective = 0;
  std::vector<double> x;       // per Var
  std::vector<double> paid;    // per (env, month): e * horizon + m
};

class Model {
 public:
  Model(const Portfolio& p, const std::vector<BudgetOption>& options, const std::vector<Var>& vars,
        const std::vector<double>& prices)
      : p_(p), options_(options), vars_(vars), prices_(prices) {}

  // Builds and solves one program within `seconds`.
  Solution solve(const Program& prog, double seconds, int64_t* rows_out = nullptr) const {
    const size_t H = static_cast<size_t>(p_.months);
    const size_t E = p_.envs.size();
    const int nx = static_cast<int>(vars_.size());
    const int npaid = static_cast<int>(E * H);
    const bool cap_var = prog.goal == Program::Goal::kMinCap;
    const int ncols = nx + npaid + (cap_var ? 1 : 0);
    glp_prob* lp = glpk().glp_create_prob();
    glpk().glp_set_obj_dir(lp, prog.goal == Program::Goal::kMaxValue ? GLP_MAX : GLP_MIN);
    glpk().glp_add_cols(lp, ncols);
    for (int i = 0; i < nx; ++i) {
      const Var& v = vars_[static_cast<size_t>(i)];
      glpk().glp_set_col_kind(lp, i + 1, GLP_BV);
      const BudgetOption& o = options_[v.option];
      double c = 0;
      if (prog.goal == Program::Goal::kMaxValue) c = static_cast<double>(p_.jobs[o.job].priority);
      if (prog.goal == Program::Goal::kMinCost) c = kStartPenalty * static_cast<double>(v.start);
      glpk().glp_set_obj_coef(lp, i + 1, c);
    }
    for (size_t e = 0; e < E; ++e) {
      for (size_t m = 0; m < H; ++m) {
        const int col = nx + static_cast<int>(e * H + m) + 1;
        glpk().glp_set_col_bnds(lp, col, GLP_LO, 0, 0);
        glpk().glp_set_obj_coef(lp, col, prog.goal == Program::Goal::kMinCost ? prices_[e] : 0);
      }
    }
    const int cap_col = ncols;
    if (cap_var) {
      glpk().glp_set_col_bnds(lp, cap_col, GLP_LO, p_.usd_cap, 0);
      glpk().glp_set_obj_coef(lp, cap_col, 1);
    }
    std::vector<int> ia = {0}, ja = {0};
    std::vector<double> ar = {0};
    int row = 0;
    auto add_row = [&](int type, double lo, double hi) {
      row = glpk().glp_add_rows(lp, 1);
      glpk().glp_set_row_bnds(lp, row, type, lo, hi);
    };
    auto put = [&](int col, double v) {
      ia.push_back(row);
      ja.push_back(col);
      ar.push_back(v);
    };
    // Each job at most once (exactly once when forced).
    std::map<size_t, std::vector<int>> by_job;
    for (int i = 0; i < nx; ++i) by_job[options_[vars_[static_cast<size_t>(i)].option].job].push_back(i + 1);
    for (const auto& [job, cols] : by_job) {
      const bool forced = prog.forced_job && *prog.forced_job == job;
      add_row(forced ? GLP_FX : GLP_UP, forced ? 1 : 0, 1);
      for (int c : cols) put(c, 1);
    }
    // GPU limits and reserved hours, per environment and month.
    for (size_t e = 0; e < E; ++e) {
      for (size_t m = 0; m < H; ++m) {
        std::vector<std::pair<int, double>> used;
        for (int i = 0; i < nx; ++i) {
          const Var& v = vars_[static_cast<size_t>(i)];
          if (options_[v.option].env == e && v.hours[m] > 0) used.push_back({i + 1, v.hours[m]});
        }
        if (used.empty()) continue;
        add_row(GLP_UP, 0, static_cast<double>(p_.envs[e].gpus) * kBudgetHoursPerMonth + 1e-6);
        for (auto [c, h] : used) put(c, h);
        // paid - used >= -reserved
        add_row(GLP_LO, -p_.envs[e].reserved_gpu_hours_per_month, 0);
        put(nx + static_cast<int>(e * H + m) + 1, 1);
        for (auto [c, h] : used) put(c, -h);
      }
    }
    // The cap, per period.
    if (prog.capped || cap_var) {
      const size_t per = static_cast<size_t>(budget_period_months(p_.period));
      for (size_t m0 = 0; m0 < H; m0 += per) {
        if (cap_var) add_row(GLP_UP, 0, 0);
        else add_row(GLP_UP, 0, p_.usd_cap);
        for (size_t e = 0; e < E; ++e) {
          for (size_t m = m0; m < std::min(H, m0 + per); ++m) put(nx + static_cast<int>(e * H + m) + 1, prices_[e]);
        }
        if (cap_var) put(cap_col, -1);
      }
    }
    if (prog.min_value) {
      add_row(GLP_LO, static_cast<double>(*prog.min_value) - 0.5, 0);
      for (int i = 0; i < nx; ++i) put(i + 1, static_cast<double>(p_.jobs[options_[vars_[static_cast<size_t>(i)].option].job].priority));
    }
    if (rows_out) *rows_out = row;
    glpk().glp_load_matrix(lp, static_cast<int>(ia.size()) - 1, ia.data(), ja.data(), ar.data());
    glp_iocp parm;
    glpk().glp_init_iocp(&parm);
    parm.presolve = GLP_ON;
    parm.msg_lev = GLP_MSG_OFF;
    parm.tm_lim = std::max(1, static_cast<int>(seconds * 1000));
    const int rc = glpk().glp_intopt(lp, &parm);
    const int status = glpk().glp_mip_status(lp);
    Solution s;
    if ((rc == 0 || rc == GLP_ETMLIM) && (status == GLP_OPT || status == GLP_FEAS)) {
      s.found = true;
      s.optimal = rc == 0 && status == GLP_OPT;
      s.objective = glpk().glp_mip_obj_val(lp);
      s.x.resize(vars_.size());
      for (int i = 0; i < nx; ++i) s.x[static_cast<size_t>(i)] = glpk().glp_mip_col_val(lp, i + 1);
      s.paid.resize(E * H);
      for (int i = 0; i < npaid; ++i) s.paid[static_cast<size_t>(i)] = glpk().glp_mip_col_val(lp, nx + i + 1);
      if (cap_var) s.objective = glpk().glp_mip_col_val(lp, cap_col);
    }
    glpk().glp_delete_prob(lp);
    return s;
  }

 private:
  const Portfolio& p_;
  const std::vector<BudgetOption>& options_;
  const std::vector<Var>& vars_;
  const std::vector<double>& prices_;
};

// Why a job with no usable option cannot run: memory when none fits, else the first other
// reason in the order deadline, latency, gpus, price, layout.
std::pair<std::string, std::string> unusable_reason(const std::vector<BudgetOption>& options, size_t job) {
  const BudgetOption* best = nullptr;
  int best_rank = 100;
  const char* order[] = {"deadline", "latency", "gpus", "price", "memory", "layout"};
  for (const BudgetOption& o : options) {
    if (o.job != job) continue;
    for (int r = 0; r < 6; ++r) {
      if (o.reason_kind == order[r] && r < best_rank) {
        best_rank = r;
        best = &o;
      }
    }
    // The fastest option that misses the deadline speaks for the others.
    if (best && o.reason_kind == "deadline" && best->reason_kind == "deadline" && o.seconds < best->seconds) best = &o;
  }
  if (!best) return {"gpus", "no environment offers a device count it can run on"};
  return {best->reason_kind, best->reason};
}

}  // namespace

std::string budget_solver_name() {
  return glpk().error.empty() ? std::string("GLPK ") + glpk().glp_version() : std::string("GLPK (not loaded)");
}

Result<BudgetPlan> solve_budget(const Portfolio& p, const std::vector<BudgetOption>& options) {
  const auto t0 = std::chrono::steady_clock::now();
  auto seconds_left = [&] {
    const double used = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return std::min(kBudgetSolveSeconds, kBudgetTotalSeconds - used);
  };
  const int64_t H = p.months;
  std::vector<double> prices;
  for (const BudgetEnv& be : p.envs) prices.push_back(price_of(be.env).usd_per_device_hour);

  std::vector<Var> vars;
  for (size_t i = 0; i < options.size(); ++i) {
    const BudgetOption& o = options[i];
    if (!o.usable) continue;
    const BudgetJob& job = p.jobs[o.job];
    for (int64_t s : budget_starts(job, o, H)) {
      vars.push_back({i, s, budget_gpu_hours(job, o, s, H)});
      if (static_cast<int64_t>(vars.size()) > kBudgetMaxVariables) {
        return bad_input(fmt::format("{}: the plan has more than {} (option, start month) choices (docs/budget.md, \"Limits\"): "
                                     "fewer jobs, environments, GPUs or months",
                                     p.origin, kBudgetMaxVariables));
      }
    }
  }
  if (!glpk().error.empty()) return failure(glpk().error);
  glpk().glp_term_out(GLP_OFF);
  Model model(p, options, vars, prices);
  BudgetPlan plan;
  plan.variables = static_cast<int64_t>(vars.size());
  for (const BudgetJob& j : p.jobs) plan.value_possible += j.priority;

  // Phase 1: the most value; phase 2: the least cost at that value. With no binary there
  // is nothing to choose (and nothing to solve).
  Solution best;
  int64_t value = 0;
  if (vars.empty()) {
    best.found = best.optimal = true;
  } else {
    Program first;
    best = model.solve(first, seconds_left(), &plan.constraints);
    plan.solves = 1;
    if (!best.found) return failure(fmt::format("{}: GLPK found no plan within {:g} s", p.origin, kBudgetSolveSeconds));
    plan.optimal = best.optimal;
    value = static_cast<int64_t>(std::llround(best.objective));
    Program second;
    second.goal = Program::Goal::kMinCost;
    second.min_value = value;
    Solution cheap = model.solve(second, seconds_left());
    ++plan.solves;
    if (cheap.found) {
      plan.optimal = plan.optimal && cheap.optimal;
      best = cheap;
    }
  }
  plan.value = value;

  // The plan, job by job.
  const size_t E = p.envs.size();
  std::vector<double> used(E * static_cast<size_t>(H), 0.0);
  plan.jobs.resize(p.jobs.size());
  for (size_t j = 0; j < p.jobs.size(); ++j) plan.jobs[j].job = j;
  for (size_t i = 0; i < vars.size(); ++i) {
    if (best.x[i] < 0.5) continue;
    const Var& v = vars[i];
    const BudgetOption& o = options[v.option];
    BudgetJobPlan& jp = plan.jobs[o.job];
    jp.scheduled = true;
    jp.option = v.option;
    jp.start = v.start;
    jp.gpu_hours_by_month = v.hours;
    for (int64_t m = 0; m < H; ++m) used[o.env * static_cast<size_t>(H) + static_cast<size_t>(m)] += v.hours[static_cast<size_t>(m)];
  }
  plan.months.resize(static_cast<size_t>(H));
  for (BudgetMonth& bm : plan.months) {
    bm.gpu_hours_by_env.assign(E, 0);
    bm.reserved_hours_by_env.assign(E, 0);
  }
  for (size_t e = 0; e < E; ++e) {
    for (int64_t m = 0; m < H; ++m) {
      const double u = used[e * static_cast<size_t>(H) + static_cast<size_t>(m)];
      const double paid = std::max(0.0, u - p.envs[e].reserved_gpu_hours_per_month);
      BudgetMonth& bm = plan.months[static_cast<size_t>(m)];
      bm.gpu_hours_by_env[e] = u;
      bm.reserved_hours_by_env[e] = u - paid;
      bm.usd += paid * prices[e];
    }
  }
  for (BudgetJobPlan& jp : plan.jobs) {
    const BudgetJob& job = p.jobs[jp.job];
    if (!jp.scheduled) continue;
    const BudgetOption& o = options[jp.option];
    jp.usd_by_month.assign(static_cast<size_t>(H), 0);
    for (int64_t m = 0; m < H; ++m) {
      const size_t mi = static_cast<size_t>(m);
      const double h = jp.gpu_hours_by_month[mi];
      if (h <= 0) continue;
      // Reserved hours are shared in proportion to the hours each job uses in that month.
      const double u = used[o.env * static_cast<size_t>(H) + mi];
      const double paid_share = u > 0 ? std::max(0.0, u - p.envs[o.env].reserved_gpu_hours_per_month) / u : 0;
      jp.usd_by_month[mi] = h * paid_share * prices[o.env];
      jp.usd += jp.usd_by_month[mi];
      jp.usd_list += h * prices[o.env];
      jp.gpu_hours += h;
    }
    const double remaining = static_cast<double>(H - jp.start);
    double energy_units = 1;  // runs (train, eval, retrain) or months (serve)
    if (job.kind == BudgetJobKind::kServe) {
      jp.months = job.months > 0 ? std::min(job.months, remaining) : remaining;
      energy_units = jp.months;
    } else if (job.kind == BudgetJobKind::kRetrain) {
      jp.months = remaining;
      jp.runs = job.per_year * remaining / 12;
      energy_units = jp.runs;
    } else {
      jp.months = o.run_months();
    }
    jp.energy_known = o.energy_known;
    jp.joules = o.joules * energy_units;
    jp.grams_co2 = o.grams_co2 * energy_units;
    plan.usd_total += jp.usd;
    plan.usd_list_total += jp.usd_list;
    plan.gpu_hours_total += jp.gpu_hours;
    if (jp.energy_known) plan.joules_total += jp.joules;
    plan.grams_co2_total += jp.grams_co2;
  }

  // What is left out, and why; what the next dollar buys.
  for (BudgetJobPlan& jp : plan.jobs) {
    if (jp.scheduled) continue;
    const bool has_var = std::any_of(vars.begin(), vars.end(), [&](const Var& v) { return options[v.option].job == jp.job; });
    if (!has_var) {
      std::tie(jp.reason_kind, jp.reason) = unusable_reason(options, jp.job);
      if (jp.reason_kind == "deadline" && p.jobs[jp.job].kind != BudgetJobKind::kRetrain) {
        jp.reason = "no option meets the deadline; the fastest " + jp.reason;
      }
      continue;
    }
    const double left = seconds_left();
    if (left <= 0) {
      jp.reason_kind = "cap";
      jp.reason = "left out by the plan (the solver's time was spent before its reason was found)";
      plan.optimal = false;
      continue;
    }
    Program more;
    more.goal = Program::Goal::kMinCap;
    more.forced_job = jp.job;
    more.min_value = value + p.jobs[jp.job].priority;
    Solution s = model.solve(more, left);
    ++plan.solves;
    if (s.found) {
      jp.reason_kind = "cap";
      BudgetNextDollar nd;
      nd.job = jp.job;
      nd.usd_cap = s.objective;
      nd.usd_extra = s.objective - p.usd_cap;
      // Its spend from the chosen binaries (paid is only bounded below in this program).
      std::vector<double> more_used(E * static_cast<size_t>(H), 0.0);
      for (size_t i = 0; i < vars.size(); ++i) {
        if (s.x[i] < 0.5) continue;
        for (int64_t m = 0; m < H; ++m) {
          more_used[options[vars[i].option].env * static_cast<size_t>(H) + static_cast<size_t>(m)] +=
              vars[i].hours[static_cast<size_t>(m)];
        }
      }
      double total = 0;
      for (size_t e = 0; e < E; ++e) {
        for (int64_t m = 0; m < H; ++m) {
          const double u = more_used[e * static_cast<size_t>(H) + static_cast<size_t>(m)];
          total += std::max(0.0, u - p.envs[e].reserved_gpu_hours_per_month) * prices[e];
        }
      }
      nd.usd_total_extra = total - plan.usd_total;
      jp.reason = fmt::format("the cap of {} per {} leaves no room; a cap of {} (+{}) schedules it", format_usd(p.usd_cap),
                              budget_period_name(p.period), format_usd(nd.usd_cap), format_usd(nd.usd_extra));
      plan.next_dollar.push_back(nd);
    } else {
      jp.reason_kind = "gpus";
      jp.reason = "the GPU limits cannot hold it beside the jobs of higher value, at any cap";
    }
  }
  std::sort(plan.next_dollar.begin(), plan.next_dollar.end(),
            [](const BudgetNextDollar& a, const BudgetNextDollar& b) { return a.usd_cap < b.usd_cap; });
  if (!plan.optimal) {
    plan.solver_note = fmt::format("GLPK's time limit ({:g} s per solve, {:g} s in all) stopped a solve: the best plan found, "
                                   "not proven optimal",
                                   kBudgetSolveSeconds, kBudgetTotalSeconds);
  }
  return plan;
}

}  // namespace flopscope
