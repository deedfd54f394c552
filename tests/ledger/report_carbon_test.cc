// Energy and carbon in the ledger report (ledger/report.h): measured from the telemetry's
// power readings where it has them, predicted from the power model over the progress log's
// seconds otherwise, and grams of CO2e from the grid intensity of the given region.
#include <gtest/gtest.h>

#include <algorithm>

#include "flopscope/hw/carbon.h"
#include "flopscope/hw/hardware.h"
#include "flopscope/hw/power.h"
#include "flopscope/ledger/import.h"
#include "flopscope/ledger/jobs_file.h"
#include "flopscope/ledger/open_ledger.h"
#include "flopscope/ledger/report.h"
#include "flopscope/model/load.h"
#include "flopscope/perf/predict.h"
#include "ledger_test_util.h"

namespace flopscope {
namespace {

using testing_ledger::fixture;
using testing_ledger::predicted_llama8b_step;

class LedgerCarbonTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto db = open_ledger(testing_ledger::fresh_ledger(testing_ledger::Backend::kSqlite, "carbon.db"));
    ASSERT_TRUE(db) << db.error().message;
    db_ = std::move(*db);
    for (const char* f : {"nvidia_smi.csv", "progress.jsonl"}) {
      auto r = import_file(*db_, fixture(f), {});
      ASSERT_TRUE(r) << r.error().message;
    }
  }
  Result<LedgerReport> report(ReportOptions o) {
    auto jobs = load_jobs_toml(fixture("jobs.toml"));
    EXPECT_TRUE(jobs);
    o.jobs = *jobs;
    return make_ledger_report(*db_, o);
  }
  static const JobEnergy* find(const LedgerReport& r, const std::string& job) {
    auto it = std::find_if(r.energy.begin(), r.energy.end(), [&](const JobEnergy& e) { return e.job == job; });
    return it == r.energy.end() ? nullptr : &*it;
  }
  std::unique_ptr<LedgerStore> db_;
};

TEST(LedgerGpuUse, EnergyIsPowerTimesSampleDuration) {
  std::vector<GpuSample> s;
  s.push_back({"h", "0", 0, 90.0, 600.0, std::nullopt, "j"});
  s.push_back({"h", "0", 60, 90.0, std::nullopt, std::nullopt, "j"});  // no reading: not counted
  s.push_back({"h", "0", 120, 90.0, 300.0, std::nullopt, "j"});
  auto u = gpu_use(s, 10);
  ASSERT_EQ(u.size(), 1u);
  EXPECT_NEAR(u[0].joules_device, 600 * 60 + 300 * 60, 1e-9);  // the last sample lasts the median minute
  EXPECT_NEAR(u[0].gpu_hours_with_power, 2 / 60.0, 1e-12);
  EXPECT_NEAR(u[0].gpu_hours, 3 / 60.0, 1e-12);
}

TEST_F(LedgerCarbonTest, TelemetryEnergyTimesPueTimesTheRegionsIntensity) {
  ReportOptions o;
  o.region = "us-east-1";
  o.pue = 1.2;
  auto r = report(o);
  ASSERT_TRUE(r) << r.error().message;
  // nvidia_smi.csv (no --job): GPU 0 has 5 readings a minute each (one is [N/A]), GPU 1 six.
  const JobEnergy* e = find(*r, "");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->source, "telemetry");
  const double device = 60 * (652.10 + 660.35 + 655.00 + 661.80 + 654.25) + 60 * (118.40 + 117.90 + 118.00 + 117.20 + 117.50 + 118.10);
  EXPECT_NEAR(e->joules, device * 1.2, 1e-6);
  EXPECT_NEAR(e->gpu_hours, 11 / 60.0, 1e-12);
  ASSERT_TRUE(e->grams_co2);
  EXPECT_NEAR(*e->grams_co2, device * 1.2 / 3.6e6 * 343.48, 1e-9);
  ASSERT_TRUE(r->carbon);
  EXPECT_EQ(r->carbon->region, "us-east-1");
  // Another region, another figure: the lookup is by region.
  o.region = "fr";
  auto fr = report(o);
  ASSERT_TRUE(fr);
  EXPECT_NEAR(*find(*fr, "")->grams_co2, device * 1.2 / 3.6e6 * 56, 1e-9);
}

TEST_F(LedgerCarbonTest, PredictedEnergyWhereTheTelemetryHasNoPower) {
  ReportOptions o;
  o.carbon_g_per_kwh = 400;
  auto r = report(o);
  ASSERT_TRUE(r) << r.error().message;
  const JobEnergy* e = find(*r, "llama-8b-pt");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->source, "predicted");
  // 8 H100s for the progress log's 40 s, at the predicted step's busy fraction, power.toml PUE.
  auto p = predicted_llama8b_step();
  ASSERT_TRUE(p) << p.error().message;
  double total = 0;
  for (double x : p->timing.seconds_by_bound) total += x;
  const double u = (p->timing.seconds_by_bound[static_cast<size_t>(Bound::kCompute)] +
                    p->timing.seconds_by_bound[static_cast<size_t>(Bound::kMemory)]) / total;
  const double pue = PowerCatalog::builtin().default_pue().value;
  const double watts = 142.5 + (700 - 142.5) * u;
  EXPECT_NEAR(e->joules, 8 * watts * 40 * pue, 1e-6 * e->joules);
  EXPECT_NEAR(*e->grams_co2, e->joules / 3.6e6 * 400, 1e-9 * *e->grams_co2);
  const auto j = ledger_report_json(*r);
  EXPECT_EQ(j["carbon"]["source"], "given");
  EXPECT_FALSE(j["energy"].empty());
}

TEST_F(LedgerCarbonTest, NoRegionMeansCarbonNotKnownAndABadRegionIsOneLine) {
  auto r = report({});
  ASSERT_TRUE(r);
  EXPECT_FALSE(r->carbon);
  ASSERT_FALSE(r->energy.empty());
  EXPECT_FALSE(r->energy.front().grams_co2);  // energy known, CO2e not: never a silent 0
  ReportOptions o;
  o.region = "us-centrall";
  auto bad = report(o);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "--region: unknown region 'us-centrall', did you mean 'us-central1'?; see data/carbon/grid.toml");
}

}  // namespace
}  // namespace flopscope
