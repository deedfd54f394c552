#include "flopscope/ledger/report.h"

#include <gtest/gtest.h>

#include "flopscope/hw/hardware.h"
#include "flopscope/ledger/check.h"
#include "flopscope/ledger/import.h"
#include "flopscope/ledger/jobs_file.h"
#include "flopscope/ledger/open_ledger.h"
#include "flopscope/model/load.h"
#include "flopscope/perf/predict.h"
#include "ledger_test_util.h"

namespace flopscope {
namespace {

using testing_ledger::fixture;
using testing_ledger::predicted_llama8b_step;
using testing_ledger::Backend;

// focus_small.csv, by ChargePeriodStart day (EffectiveCost):
//   09-01 1000   09-02 1050.25   09-03 1250.50   09-04 1000   09-05 1149.50   09-06 900 (1000 - 100 credit)
class LedgerReportTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    LEDGER_REQUIRE_BACKEND(GetParam());
    auto db = open_ledger(testing_ledger::fresh_ledger(GetParam(), "report.db"));
    ASSERT_TRUE(db) << db.error().message;
    db_ = std::move(*db);
    for (const char* f : {"focus_small.csv", "nvidia_smi.csv", "progress.jsonl", "hf-run/checkpoint-500/trainer_state.json"}) {
      auto r = import_file(*db_, fixture(f), {});
      ASSERT_TRUE(r) << r.error().message;
    }
  }
  LedgerReport report(ReportOptions o = {}) {
    auto r = make_ledger_report(*db_, o);
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    return r ? *r : LedgerReport{};
  }
  std::unique_ptr<LedgerStore> db_;
};
INSTANTIATE_TEST_SUITE_P(Backends, LedgerReportTest, testing_ledger::all_backends(), testing_ledger::backend_param_name);

double spend(const std::vector<SpendLine>& v, const std::string& key) {
  for (const SpendLine& s : v) {
    if (s.key == key) return s.usd_effective;
  }
  return -1;
}

TEST_P(LedgerReportTest, SpendByJobTagAndPeriod) {
  ReportOptions o;
  o.period = LedgerPeriod::kDay;
  LedgerReport r = report(o);
  EXPECT_NEAR(r.usd_effective_total, 6350.25, 1e-9);
  EXPECT_NEAR(r.usd_billed_total, 7630.25, 1e-9);
  EXPECT_NEAR(spend(r.by_job, "llama-8b-pt"), 6000, 1e-9);
  EXPECT_NEAR(spend(r.by_job, "eval-suite"), 400, 1e-9);
  EXPECT_NEAR(spend(r.by_job, ""), -49.75, 1e-9);  // storage 50.25 and the credit -100
  EXPECT_EQ(r.by_job.front().key, "llama-8b-pt");  // largest first
  EXPECT_NEAR(spend(r.by_tag, "team=research"), 6050.25, 1e-9);
  EXPECT_NEAR(spend(r.by_tag, "team=evals"), 400, 1e-9);
  EXPECT_NEAR(spend(r.by_tag, "job=eval-suite"), 400, 1e-9);
  ASSERT_EQ(r.by_period.size(), 6u);
  EXPECT_EQ(r.by_period[0].key, "2024-09-01");
  EXPECT_NEAR(r.by_period[2].usd_effective, 1250.50, 1e-9);
  EXPECT_NEAR(r.by_period[5].usd_effective, 900, 1e-9);
  ReportOptions monthly;
  LedgerReport m = report(monthly);
  ASSERT_EQ(m.by_period.size(), 1u);
  EXPECT_EQ(m.by_period[0].key, "2024-09");
}

TEST_P(LedgerReportTest, BurnRateAndTheDayTheCapIsReached) {
  ReportOptions o;
  o.usd_cap_per_month = 10000;
  LedgerReport r = report(o);
  ASSERT_TRUE(r.burn);
  const BurnRate& b = *r.burn;
  EXPECT_EQ(b.day_as_of, "2024-09-06");
  EXPECT_NEAR(b.usd_per_day, 6350.25 / 7, 1e-9);  // window 08-31..09-06
  EXPECT_EQ(b.month, "2024-09");
  EXPECT_NEAR(b.usd_month_to_date, 6350.25, 1e-9);
  EXPECT_NEAR(b.usd_projected_month, 6350.25 + 24 * 6350.25 / 7, 1e-6);
  // 4 more days: 9978.96 < 10000; the 5th (09-11) crosses.
  ASSERT_TRUE(b.day_cap_reached);
  EXPECT_EQ(*b.day_cap_reached, "2024-09-11");

  o.days_burn_window = 3;
  EXPECT_NEAR(report(o).burn->usd_per_day, (1000 + 1149.5 + 900) / 3.0, 1e-9);
  o.usd_cap_per_month = 5000;  // already crossed: on 09-05 the month reached 5450.25
  EXPECT_EQ(*report(o).burn->day_cap_reached, "2024-09-05");
  o.usd_cap_per_month = 1e6;  // not within September at this rate
  EXPECT_FALSE(report(o).burn->day_cap_reached);
}

TEST(LedgerBurnRate, DecemberRollsIntoNextYear) {
  std::vector<DailySpend> days = {{"2024-12-30", "", 100, 100}, {"2024-12-31", "", 100, 100}};
  BurnRate b = burn_rate(days, 2, 1000);
  EXPECT_NEAR(b.usd_per_day, 100, 1e-12);
  EXPECT_NEAR(b.usd_projected_month, 200, 1e-12);
  EXPECT_FALSE(b.day_cap_reached);
}

TEST_P(LedgerReportTest, GpuHoursAndIdleGpuHours) {
  LedgerReport r = report();
  ASSERT_EQ(r.gpu_use.size(), 1u);
  const GpuUse& u = r.gpu_use[0];
  EXPECT_EQ(u.gpus, 2);
  EXPECT_EQ(u.samples, 12);
  // Each GPU: 6 samples a minute apart, the last one lasting the median minute: 6 minutes.
  EXPECT_NEAR(u.gpu_hours, 0.2, 1e-9);
  EXPECT_NEAR(u.gpu_hours_idle, 0.1, 1e-9);  // GPU 1 never reaches 10%
  EXPECT_NEAR(*u.percent_mean_utilization, (95 + 96 + 94 + 95 + 97 + 95 + 3 + 2 + 3 + 0 + 1 + 4) / 12.0, 1e-9);
  ReportOptions strict;
  strict.percent_idle_utilization = 3;  // only 2, 0, 1 are under 3%
  EXPECT_NEAR(report(strict).gpu_use[0].gpu_hours_idle, 3 / 60.0, 1e-9);
}

TEST(LedgerGpuUse, LongGapCountsAtMostTwiceTheMedianInterval) {
  std::vector<GpuSample> s;
  for (double t : {0.0, 60.0, 120.0, 3720.0}) s.push_back({"h", "0", t, 50.0, std::nullopt, std::nullopt, "j"});
  auto u = gpu_use(s, 10);
  ASSERT_EQ(u.size(), 1u);
  EXPECT_NEAR(u[0].gpu_hours, (60 + 60 + 120 + 60) / 3600.0, 1e-12);
}

TEST_P(LedgerReportTest, RealizedMfuAgainstThePrediction) {
  ReportOptions o;
  auto jobs = load_jobs_toml(fixture("jobs.toml"));
  ASSERT_TRUE(jobs) << jobs.error().message;
  o.jobs = *jobs;
  LedgerReport r = report(o);
  ASSERT_EQ(r.mfu.size(), 2u);
  // llama-8b-pt: 4 x 655360 tokens in 40 s on 8 H100s = 8192 tokens/s per GPU. Realized and
  // predicted MFU count the same FLOPs per token, so their ratio is the throughput ratio.
  const JobMfu& llama = r.mfu[1];
  EXPECT_EQ(llama.job, "llama-8b-pt");
  EXPECT_NEAR(llama.tokens_per_second, 65536, 1e-9);
  ASSERT_TRUE(llama.mfu_realized && llama.mfu_predicted);
  auto p = predicted_llama8b_step();
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_NEAR(*llama.mfu_predicted, p->mfu, 1e-12);
  EXPECT_NEAR(*llama.mfu_realized / *llama.mfu_predicted, 8192 / p->tokens_per_second, 1e-9);
  EXPECT_GT(*llama.mfu_realized, 0.05);
  EXPECT_LT(*llama.mfu_realized, 1.0);
  // hf-run: the Trainer's token count over train_runtime, on one A100.
  const JobMfu& hf = r.mfu[0];
  EXPECT_EQ(hf.job, "hf-run");
  EXPECT_NEAR(hf.tokens_per_second, 20480000 / 1800.0, 1e-9);
  ASSERT_TRUE(hf.mfu_realized && hf.mfu_predicted);
}

TEST_P(LedgerReportTest, JobWithoutFactsHasNoMfu) {
  LedgerReport r = report();  // no jobs file: only the JSONL header describes llama-8b-pt
  ASSERT_EQ(r.mfu.size(), 2u);
  EXPECT_FALSE(r.mfu[0].mfu_realized);
  EXPECT_EQ(r.mfu[0].note, "no model, hardware and gpus for this job (a jobs file entry or a JSONL header)");
  EXPECT_TRUE(r.mfu[1].mfu_predicted);  // from the header
}

TEST_P(LedgerReportTest, UnknownHardwareInTheJobsFileIsBadInput) {
  ReportOptions o;
  auto jobs = parse_jobs_toml("[jobs.llama-8b-pt]\nhardware = \"h10\"\n", "jobs.toml");
  ASSERT_TRUE(jobs);
  o.jobs = *jobs;
  auto r = make_ledger_report(*db_, o);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message.rfind("jobs: llama-8b-pt: hardware: unknown hardware 'h10'", 0), 0u) << r.error().message;
}

TEST(LedgerJobsFile, TypoInAFieldGetsASuggestion) {
  auto jobs = parse_jobs_toml("[jobs.x]\ngpu = 8\n", "jobs.toml");
  ASSERT_FALSE(jobs);
  EXPECT_EQ(jobs.error().message, "jobs.toml: jobs.x: unknown field 'gpu', did you mean 'gpus'?");
  auto neg = parse_jobs_toml("[jobs.x]\ngpus = -1\n", "jobs.toml");
  ASSERT_FALSE(neg);
  EXPECT_EQ(neg.error().message, "jobs.toml: jobs.x.gpus: expected a positive integer, got -1");
}

std::vector<std::string> rules(const std::vector<Finding>& f) {
  std::vector<std::string> out;
  for (const Finding& x : f) out.push_back(x.rule + ":" + x.job);
  return out;
}

TEST_P(LedgerReportTest, CheckRulesFireAtTheirThresholds) {
  ReportOptions o;
  o.jobs = *load_jobs_toml(fixture("jobs.toml"));  // llama-8b-pt usd_plan 5000, spent 6000
  LedgerReport r = report(o);
  EXPECT_EQ(rules(check_ledger(r, {1.0, 0.5})), (std::vector<std::string>{"over-plan:llama-8b-pt"}));
  // 0.1 idle GPU-hours (GPU 1) against an allowance of 0.05.
  EXPECT_EQ(rules(check_ledger(r, {0.05, 0.5})), (std::vector<std::string>{"idle-gpu:", "over-plan:llama-8b-pt"}));
  // hf-run realizes well under its prediction on the A100; llama-8b-pt close to it.
  const JobMfu& hf = r.mfu[0];
  const double ratio = *hf.mfu_realized / *hf.mfu_predicted;
  EXPECT_EQ(rules(check_ledger(r, {1.0, ratio + 0.01})),
            (std::vector<std::string>{"low-mfu:hf-run", "over-plan:llama-8b-pt"}));
  EXPECT_EQ(rules(check_ledger(r, {1.0, ratio - 0.01})), (std::vector<std::string>{"over-plan:llama-8b-pt"}));

  ReportOptions capped;
  capped.usd_cap_per_month = 5000;
  EXPECT_EQ(rules(check_ledger(report(capped), {1.0, 0.5})), (std::vector<std::string>{"over-cap:"}));
  capped.usd_cap_per_month = 10000;
  EXPECT_EQ(rules(check_ledger(report(capped), {1.0, 0.5})), (std::vector<std::string>{"cap-projected:"}));
  capped.usd_cap_per_month = 1e6;
  EXPECT_TRUE(check_ledger(report(capped), {1.0, 0.5}).empty());
}

}  // namespace
}  // namespace flopscope
