// Budget plans (plan/budget*.h, docs/budget.md): the portfolio parser's errors, options priced
// through the timing engine, and the GLPK program's choices. Caps and job sizes that must
// sit at a given point are set from the options' own predicted costs and durations, so the
// tests hold when the timing engine's figures move.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>

#include "flopscope/model/load.h"
#include "flopscope/plan/budget.h"
#include "flopscope/plan/budget_options.h"
#include "flopscope/plan/budget_solver.h"

namespace flopscope {
namespace {

std::string data(const std::string& name) { return std::string(FLOPSCOPE_TEST_DATA) + "/budget/" + name; }

std::map<std::string, TransformerSpec> specs_of(const Portfolio& p) {
  std::map<std::string, TransformerSpec> specs;
  for (const BudgetJob& j : p.jobs) {
    if (specs.count(j.model_path)) continue;
    auto s = load_model(j.model_path);
    EXPECT_TRUE(s) << s.error().message;
    if (s) specs.emplace(j.model_path, *s);
  }
  return specs;
}

struct Solved {
  std::vector<BudgetOption> options;
  BudgetPlan plan;
};

Solved solve(const Portfolio& p) {
  Solved s;
  auto options = budget_options(p, specs_of(p));
  EXPECT_TRUE(options) << options.error().message;
  if (!options) return s;
  s.options = *options;
  auto plan = solve_budget(p, s.options);
  EXPECT_TRUE(plan) << plan.error().message;
  if (plan) s.plan = *plan;
  return s;
}

Portfolio load(const std::string& name) {
  auto p = load_portfolio(data(name));
  EXPECT_TRUE(p) << p.error().message;
  return p ? *p : Portfolio{};
}

size_t job_index(const Portfolio& p, const std::string& name) {
  for (size_t i = 0; i < p.jobs.size(); ++i) {
    if (p.jobs[i].name == name) return i;
  }
  ADD_FAILURE() << "no job " << name;
  return 0;
}

// The cheapest usable option of a job: usd of one run at the environment's price.
double cheapest_usd(const std::vector<BudgetOption>& options, size_t job) {
  double best = INFINITY;
  for (const BudgetOption& o : options) {
    if (o.job == job && o.usable) best = std::min(best, static_cast<double>(o.devices) * o.seconds / 3600 * o.usd_per_device_hour);
  }
  return best;
}

// ---------------------------------------------------------------------------- the parser

std::string error_of(const std::string& toml) {
  auto p = parse_portfolio(toml, "p.toml");
  return p ? std::string("(parsed)") : p.error().message;
}

const char* kHead = R"(
[budget]
usd = 1000
[env.h100]
hardware = "h100-sxm"
gpus = 8
)";

TEST(BudgetPortfolio, BadFieldsNameTheFileTheFieldAndWhatWasExpected) {
  const std::string job = "[job.a]\nkind = \"train\"\nmodel = \"gpt2\"\ndeadline_months = 1\n";
  EXPECT_EQ(error_of(std::string(kHead) + job + "tokens = -1\n"),
            "p.toml: job.a.tokens: expected a positive number, got -1");
  EXPECT_EQ(error_of(std::string(kHead) + job), "p.toml: job.a.tokens: missing, expected a positive number");
  EXPECT_EQ(error_of(std::string(kHead) + job + "tokens = 1e9\ntokenz = 3\n"),
            "p.toml: job.a: unknown field 'tokenz', did you mean 'tokens'?");
  EXPECT_EQ(error_of(std::string(kHead) + job + "tokens = 1e9\nrate = 3\n"),
            "p.toml: job.a.rate: not a field of a train job");
  EXPECT_EQ(error_of(std::string(kHead) + "[job.a]\nkind = \"pretrain\"\nmodel = \"gpt2\"\n"),
            "p.toml: job.a.kind: expected train, finetune, eval, serve or retrain, got 'pretrain'");
  EXPECT_EQ(error_of(std::string(kHead) + "[job.a]\nkind = \"train\"\nmodel = \"gpt2\"\ntokens = 1e9\ndeadline = 2027-03-01\n"),
            "p.toml: job.a.deadline: a date needs `start = YYYY-MM-DD` at the top of the file");
  EXPECT_EQ(error_of("[budget]\nusd = 1000\nperiod = \"week\"\n[env.h100]\nhardware = \"h100-sxm\"\ngpus = 8\n" + job +
                     "tokens = 1e9\n"),
            "p.toml: budget.period: expected month, quarter or year, got 'week'");
  EXPECT_EQ(error_of("[budget]\nusd = 1000\n[env.h100]\nhardware = \"h100-sxm\"\n" + job + "tokens = 1e9\n"),
            "p.toml: env.h100.gpus: missing, expected the GPUs available (a positive integer)");
  EXPECT_EQ(error_of("[budget]\nusd = 1000\n[env.h100]\nhardware = \"h100-sxm\"\ngpus = 0\n" + job + "tokens = 1e9\n"),
            "p.toml: env.h100.gpus: expected a positive integer, got 0");
  EXPECT_EQ(error_of(std::string(kHead) + "[job.a]\nkind = \"retrain\"\nmodel = \"gpt2\"\ntokens = 1e9\nretrain = \"full\"\n"),
            "p.toml: job.a.per_year: missing, expected runs per year above 0 (drift's retrains_per_year)");
  EXPECT_EQ(error_of("months = 99\n" + std::string(kHead) + job + "tokens = 1e9\n"),
            "p.toml: months: expected at most 36 (docs/budget.md, \"Limits\"), got 99");
  // The environment's own fields go through envs.toml's reader.
  EXPECT_EQ(error_of("[budget]\nusd = 1000\n[env.h100]\nhardware = \"h100-sxm\"\ngpus = 8\ndtype = \"fp7\"\n" + job +
                     "tokens = 1e9\n")
                .rfind("p.toml: env.h100.dtype: ", 0),
            0u);
  EXPECT_EQ(error_of(std::string(kHead) + job + "tokens = 1e9\n[job.b]\n"),
            "p.toml: job.b.kind: missing, expected train, finetune, eval, serve or retrain");
}

TEST(BudgetPortfolio, DateDeadlinesCountMonthsFromStart) {
  auto p = load_portfolio(data("deadline.toml"));
  ASSERT_TRUE(p) << p.error().message;
  // 2027-01-01 .. 2027-02-01: 31 days of 365 / 12.
  EXPECT_NEAR(p->jobs[job_index(*p, "huge")].deadline_months, 31 / (365.0 / 12), 1e-12);
  EXPECT_EQ(p->months, 2);
}

// ---------------------------------------------------------------------------- the plans

TEST(BudgetPlan, TheCapLeavesOutTheLowestPriorityJobWithReasonCap) {
  Portfolio p = load("cap_binds.toml");
  Solved first = solve(p);
  const double c = cheapest_usd(first.options, job_index(p, "low"));
  ASSERT_TRUE(std::isfinite(c) && c > 0);
  // Room for two of the three equal jobs.
  p.usd_cap = 2.5 * c;
  Solved s = solve(p);
  const BudgetPlan& plan = s.plan;
  EXPECT_TRUE(plan.optimal);
  EXPECT_TRUE(plan.jobs[job_index(p, "high")].scheduled);
  EXPECT_TRUE(plan.jobs[job_index(p, "mid")].scheduled);
  const BudgetJobPlan& low = plan.jobs[job_index(p, "low")];
  EXPECT_FALSE(low.scheduled);
  EXPECT_EQ(low.reason_kind, "cap");
  EXPECT_EQ(plan.value, 5);
  EXPECT_EQ(plan.value_possible, 6);
  EXPECT_LE(plan.months[0].usd, p.usd_cap + 1e-6);
  // Each scheduled job took its cheapest option.
  EXPECT_NEAR(plan.usd_total, 2 * c, 1e-6 * c);

  // What the next dollar buys: the cap that schedules all three is three cheapest runs.
  ASSERT_EQ(plan.next_dollar.size(), 1u);
  EXPECT_EQ(plan.next_dollar[0].job, job_index(p, "low"));
  EXPECT_NEAR(plan.next_dollar[0].usd_cap, 3 * c, 1e-6 * c);
  EXPECT_NEAR(plan.next_dollar[0].usd_extra, 0.5 * c, 1e-6 * c);
  // And at that cap the plan does schedule it.
  p.usd_cap = plan.next_dollar[0].usd_cap * (1 + 1e-9);
  Solved more = solve(p);
  EXPECT_TRUE(more.plan.jobs[job_index(p, "low")].scheduled);
  EXPECT_EQ(more.plan.value, 6);
  EXPECT_TRUE(more.plan.next_dollar.empty());
}

TEST(BudgetPlan, ADeadlineNoOptionMeetsIsTheReason) {
  Portfolio p = load("deadline.toml");
  Solved s = solve(p);
  const BudgetJobPlan& huge = s.plan.jobs[job_index(p, "huge")];
  EXPECT_FALSE(huge.scheduled);
  EXPECT_EQ(huge.reason_kind, "deadline");
  EXPECT_NE(huge.reason.find("no option meets the deadline"), std::string::npos) << huge.reason;
  // Every option of it was priced and dropped for the deadline, none for memory on 8 GPUs.
  int deadline = 0;
  for (const BudgetOption& o : s.options) {
    if (o.job != job_index(p, "huge")) continue;
    EXPECT_FALSE(o.usable);
    deadline += o.reason_kind == "deadline";
    if (o.reason_kind == "deadline") {
      EXPECT_GT(o.run_months(), p.jobs[o.job].deadline_months);
    }
  }
  EXPECT_GT(deadline, 0);
  EXPECT_TRUE(s.plan.jobs[job_index(p, "small")].scheduled);
  EXPECT_TRUE(s.plan.next_dollar.empty());  // money would not help
}

TEST(BudgetPlan, AGpuLimitSendsTheSecondJobToAnotherEnvironment) {
  Portfolio p = load("gpu_limit.toml");
  // Size both jobs to 0.6 months on one GPU of `cheap`: one GPU-month holds only one.
  Solved first = solve(p);
  double one_gpu_seconds = 0;
  for (const BudgetOption& o : first.options) {
    if (o.job == 0 && o.env == 0 && o.devices == 1) one_gpu_seconds = o.seconds;
  }
  ASSERT_GT(one_gpu_seconds, 0);
  const double scale = 0.6 * kBudgetHoursPerMonth * 3600 / one_gpu_seconds;
  for (BudgetJob& j : p.jobs) j.tokens *= scale;
  Solved s = solve(p);
  ASSERT_TRUE(s.plan.jobs[0].scheduled && s.plan.jobs[1].scheduled);
  const size_t env_a = s.options[s.plan.jobs[0].option].env, env_b = s.options[s.plan.jobs[1].option].env;
  EXPECT_NE(env_a, env_b);
  EXPECT_EQ(std::min(env_a, env_b), 0u);  // one on the cheap GPU
  EXPECT_LE(s.plan.months[0].gpu_hours_by_env[0], 1 * kBudgetHoursPerMonth + 1e-6);

  // Without the dear environment the second job cannot run at any cap: reason gpus, and
  // no dollar buys it.
  Portfolio only_cheap = p;
  only_cheap.envs.resize(1);
  Solved one = solve(only_cheap);
  EXPECT_EQ(one.plan.value, 1);
  const BudgetJobPlan& out = one.plan.jobs[0].scheduled ? one.plan.jobs[1] : one.plan.jobs[0];
  EXPECT_FALSE(out.scheduled);
  EXPECT_EQ(out.reason_kind, "gpus");
  EXPECT_TRUE(one.plan.next_dollar.empty());

  // With two cheap GPUs both stay there.
  p.envs[0].gpus = 2;
  Solved two = solve(p);
  EXPECT_EQ(two.options[two.plan.jobs[0].option].env, 0u);
  EXPECT_EQ(two.options[two.plan.jobs[1].option].env, 0u);
}

TEST(BudgetPlan, ReservedCapacityIsUsedFirstAtNoMarginalCost) {
  Portfolio p = load("reserved.toml");
  Solved s = solve(p);
  const BudgetJobPlan& jp = s.plan.jobs[0];
  ASSERT_TRUE(jp.scheduled);
  EXPECT_EQ(p.envs[s.options[jp.option].env].env.name, "owned");
  ASSERT_LE(jp.gpu_hours, 1000);  // the fixture's job fits in the reserved hours
  EXPECT_EQ(jp.usd, 0);
  EXPECT_GT(jp.usd_list, 0);
  EXPECT_NEAR(s.plan.months[0].reserved_hours_by_env[1], jp.gpu_hours, 1e-9);
  EXPECT_EQ(s.plan.usd_total, 0);

  // Without the reserved hours the cheaper cloud wins.
  p.envs[1].reserved_gpu_hours_per_month = 0;
  Solved cloud = solve(p);
  ASSERT_TRUE(cloud.plan.jobs[0].scheduled);
  EXPECT_EQ(p.envs[cloud.options[cloud.plan.jobs[0].option].env].env.name, "cloud");
  EXPECT_GT(cloud.plan.usd_total, 0);
}

TEST(BudgetPlan, EveryKindIsPricedThroughItsPlanner) {
  Portfolio p = load("mixed.toml");
  Solved s = solve(p);
  const BudgetPlan& plan = s.plan;
  for (const BudgetJobPlan& jp : plan.jobs) {
    EXPECT_TRUE(jp.scheduled) << p.jobs[jp.job].name << ": " << jp.reason;
  }
  // Serving: replicas from the capacity search, devices = replicas x tp, whole months.
  const size_t chat = job_index(p, "chat");
  const BudgetOption& so = s.options[plan.jobs[chat].option];
  EXPECT_GT(so.max_rate_per_replica, 0);
  EXPECT_EQ(so.replicas, static_cast<int64_t>(std::ceil(20 / so.max_rate_per_replica - 1e-9)));
  EXPECT_EQ(so.devices, so.replicas * so.tp);
  EXPECT_LE(plan.jobs[chat].start, 1);  // live by the end of month 2
  EXPECT_NEAR(plan.jobs[chat].gpu_hours, static_cast<double>(so.devices) * 4 * kBudgetHoursPerMonth, 1e-6);
  // Retraining: per_year 4 over the months from its start.
  const BudgetJobPlan& refresh = plan.jobs[job_index(p, "refresh")];
  EXPECT_NEAR(refresh.runs, 4.0 * static_cast<double>(6 - refresh.start) / 12, 1e-12);
  const BudgetOption& ro = s.options[refresh.option];
  EXPECT_NEAR(refresh.gpu_hours, refresh.runs * static_cast<double>(ro.devices) * ro.seconds / 3600, 1e-6);
  // Training finishes by its deadline.
  const BudgetJobPlan& pre = plan.jobs[job_index(p, "pretrain")];
  EXPECT_LE(static_cast<double>(pre.start) + pre.months, p.jobs[job_index(p, "pretrain")].deadline_months + 1e-9);
  // Each quarter spends at most the cap; the months add up to the total.
  double total = 0;
  for (size_t q = 0; q < 2; ++q) {
    double quarter = 0;
    for (size_t m = 3 * q; m < 3 * q + 3; ++m) quarter += plan.months[m].usd;
    EXPECT_LE(quarter, p.usd_cap + 1e-6);
    total += quarter;
  }
  EXPECT_NEAR(total, plan.usd_total, 1e-6 * plan.usd_total);
  // Energy comes from the power model for every job.
  for (const BudgetJobPlan& jp : plan.jobs) {
    EXPECT_TRUE(jp.energy_known && jp.joules > 0) << p.jobs[jp.job].name;
  }
}

TEST(BudgetPlan, APortfolioOverTheSizeLimitIsRefused) {
  Portfolio p = load("cap_binds.toml");
  p.months = kBudgetMaxMonths;
  // Enough options x start months to pass the variable limit.
  std::vector<BudgetOption> options;
  BudgetOption o;
  o.usable = true;
  o.devices = 1;
  o.seconds = 3600;
  for (int i = 0; i < 1000; ++i) {
    o.job = static_cast<size_t>(i % 3);
    options.push_back(o);
  }
  for (BudgetJob& j : p.jobs) j.deadline_months = kBudgetMaxMonths;
  auto plan = solve_budget(p, options);
  ASSERT_FALSE(plan);
  EXPECT_NE(plan.error().message.find("more than 20000"), std::string::npos) << plan.error().message;
}

}  // namespace
}  // namespace flopscope
