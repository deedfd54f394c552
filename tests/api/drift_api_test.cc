// `drift` on the library's request/result API (api/drift.h): the CLI prints the library's
// document and errors; times are kept as the file writes them; the retraining cost is the
// training planner's (plan train) for the same setup.
#include <gtest/gtest.h>

#include "api/cli_check.h"
#include "flopscope/api/api.h"

namespace flopscope::api {
namespace {

using cli_check::CliCase;
using cli_check::expect_same_document;
using cli_check::expect_same_error;

const std::string kDrift = std::string(FLOPSCOPE_TEST_DATA) + "/drift/";

// The pricing setup of these tests: small enough for the planner to search quickly.
const char* const kPriceArgs =
    " --model llama-3.2-1b --hardware h100-sxm --gpus 8 --global-batch 64 --seq 2048 --retrain-tokens 2e10"
    " --finetune-tokens 1e9";
Json price_options(Json j) {
  j["model"] = "llama-3.2-1b";
  j["hardware"] = "h100-sxm";
  j["gpus"] = 8;
  j["global_batch"] = 64;
  j["seq"] = 2048;
  j["retrain_tokens"] = 2e10;
  j["finetune_tokens"] = 1e9;
  return j;
}

TEST(DriftApi, CliJsonEqualsTheLibraryDocument) {
  const std::string step = kDrift + "step.csv", flat = kDrift + "flat.csv";
  std::vector<CliCase> cases = {
      {"drift", "drift " + step + " --metric accuracy --direction drop",
       {{"file", step}, {"metric", "accuracy"}, {"direction", "drop"}}},
      {"drift", "drift " + step + " --metric loss --detector adwin",
       {{"file", step}, {"metric", "loss"}, {"detector", "adwin"}}},
      {"drift", "drift " + flat + " --metric accuracy", {{"file", flat}, {"metric", "accuracy"}}},
      {"drift", "drift " + kDrift + "numeric.csv --metric accuracy --time-unit day --ph-lambda 6",
       {{"file", kDrift + "numeric.csv"}, {"metric", "accuracy"}, {"time_unit", "day"}, {"ph_lambda", 6}}},
      {"drift", "drift " + step + " --metric accuracy --direction drop --psi " + kDrift + "psi.csv --psi-threshold 0.25",
       {{"file", step}, {"metric", "accuracy"}, {"direction", "drop"}, {"psi", kDrift + "psi.csv"}, {"psi_threshold", 0.25}}},
      {"drift", "drift " + step + " --metric accuracy --direction drop" + kPriceArgs,
       price_options({{"file", step}, {"metric", "accuracy"}, {"direction", "drop"}})},
  };
  for (const CliCase& c : cases) expect_same_document(c);
}

TEST(DriftApi, ChangesCarryTheTimeAsWritten) {
  auto r = call("drift", {{"file", kDrift + "step.csv"}, {"metric", "accuracy"}, {"direction", "drop"}});
  ASSERT_TRUE(r) << r.error().message;
  const Json& changes = (*r)["changes"];
  ASSERT_EQ(changes.size(), 1u);
  // The step is at data row 81 (2024-03-21); Page-Hinkley raises the alarm within 3 rows.
  const std::string time = changes[0]["time"];
  EXPECT_GE(time, "2024-03-21");
  EXPECT_LE(time, "2024-03-24");
  EXPECT_EQ(changes[0]["line"].get<int>(), changes[0]["row"].get<int>() + 1);  // header on line 1
  EXPECT_EQ(changes[0]["detector"], "page-hinkley");
  EXPECT_EQ(changes[0]["direction"], "drop");
  EXPECT_NEAR(changes[0]["mean_before"].get<double>(), 0.920, 0.003);
  EXPECT_NEAR(changes[0]["mean_after"].get<double>(), 0.890, 0.003);
  // One change from 2024-01-01: the cadence is the days to it.
  const Json& cad = (*r)["cadence"];
  EXPECT_EQ(cad["retrains"], 1);
  const double days = cad["days_between_retrains"].get<double>();
  EXPECT_GE(days, 80);
  EXPECT_LE(days, 83);
  EXPECT_DOUBLE_EQ(cad["retrains_per_year"].get<double>(), 365.25 / days);
  EXPECT_TRUE((*r)["retraining"].is_null());
}

TEST(DriftApi, PsiCrossingIsAChange) {
  auto r = call("drift", {{"file", kDrift + "flat.csv"}, {"metric", "accuracy"}, {"psi", kDrift + "psi.csv"}});
  ASSERT_TRUE(r) << r.error().message;
  const Json& psi = (*r)["psi"];
  ASSERT_EQ(psi["times"].size(), 4u);
  EXPECT_EQ(psi["epsilon"], 1e-4);
  EXPECT_EQ(psi["times"][2]["above"], true);
  EXPECT_EQ(psi["times"][3]["above"], true);
  // The flat series has no metric change; PSI crosses 0.2 once, on 2024-03-01 (0.5498).
  ASSERT_EQ((*r)["changes"].size(), 1u);
  EXPECT_EQ((*r)["changes"][0]["time"], "2024-03-01");
  EXPECT_EQ((*r)["changes"][0]["detector"], "psi");
  EXPECT_NEAR((*r)["changes"][0]["statistic"].get<double>(), 0.5497744, 1e-6);
  // 2024-01-01 to 2024-03-01: 60 days; changes closer than the PSI file's longest gap (31
  // days, 2024-01-01 to 2024-02-01 and 2024-03-01 to 2024-04-01) are one retrain.
  EXPECT_DOUBLE_EQ((*r)["cadence"]["days_between_retrains"].get<double>(), 60);
  EXPECT_DOUBLE_EQ((*r)["cadence"]["days_merged_within"].get<double>(), 31);
}

// The PSI crossing (2024-03-01) and the metric's drop (2024-03-21 or just after) are 20-odd
// days apart, within the PSI file's 31-day interval: one retrain, dated by the crossing.
TEST(DriftApi, ChangesWithinOnePsiIntervalAreOneRetrain) {
  auto r = call("drift", {{"file", kDrift + "step.csv"}, {"metric", "accuracy"}, {"direction", "drop"},
                          {"psi", kDrift + "psi.csv"}});
  ASSERT_TRUE(r) << r.error().message;
  ASSERT_EQ((*r)["changes"].size(), 2u);
  EXPECT_EQ((*r)["changes"][0]["detector"], "psi");  // in time order
  EXPECT_EQ((*r)["changes"][1]["detector"], "page-hinkley");
  EXPECT_EQ((*r)["cadence"]["retrains"], 1);
  EXPECT_DOUBLE_EQ((*r)["cadence"]["days_between_retrains"].get<double>(), 60);
}

// The cost of a retrain is the training planner's: plan train's best layout at the same
// setup, its tokens per second and its price per device-hour.
TEST(DriftApi, RetrainCostIsTheTrainingPlannersFigure) {
  auto plan = call("plan/train", {{"model", "llama-3.2-1b"}, {"hardware", "h100-sxm"}, {"gpus", 8},
                                   {"global_batch", 64}, {"seq", 2048}, {"top", 1}});
  ASSERT_TRUE(plan) << plan.error().message;
  const double tps = (*plan)["best"]["tokens_per_second"];
  const double usd_per_token = (*plan)["best"]["usd_per_token"];
  const double usd_per_device_hour = (*plan)["usd_per_device_hour"];
  auto r = call("drift", price_options({{"file", kDrift + "step.csv"}, {"metric", "accuracy"}, {"direction", "drop"}}));
  ASSERT_TRUE(r) << r.error().message;
  const Json& rt = (*r)["retraining"];
  EXPECT_EQ(rt["tokens_per_second"].get<double>(), tps);
  EXPECT_EQ(rt["layout"], (*plan)["best"]["layout"]);
  EXPECT_EQ(rt["usd_per_device_hour"].get<double>(), usd_per_device_hour);
  const Json& full = rt["full"];
  EXPECT_DOUBLE_EQ(full["seconds"].get<double>(), 2e10 / tps);
  EXPECT_DOUBLE_EQ(full["gpu_hours"].get<double>(), 8 * 2e10 / tps / 3600);
  EXPECT_NEAR(full["usd"].get<double>(), usd_per_token * 2e10, 1e-9 * usd_per_token * 2e10);
  EXPECT_NEAR(rt["finetune"]["usd"].get<double>(), usd_per_token * 1e9, 1e-9 * usd_per_token * 1e9);
  const double per_year = (*r)["cadence"]["retrains_per_year"];
  EXPECT_EQ(rt["retrains_per_year"].get<double>(), per_year);
  EXPECT_DOUBLE_EQ(full["per_year"]["usd"].get<double>(), full["usd"].get<double>() * per_year);
  EXPECT_DOUBLE_EQ(full["per_year"]["gpu_hours"].get<double>(), full["gpu_hours"].get<double>() * per_year);
}

TEST(DriftApi, BadInputIsOneLineAndExitTwo) {
  const std::string step = kDrift + "step.csv";
  std::vector<CliCase> cases = {
      {"drift", "drift " + step + " --metric acc", {{"file", step}, {"metric", "acc"}}},
      {"drift", "drift " + kDrift + "non_numeric.csv --metric accuracy",
       {{"file", kDrift + "non_numeric.csv"}, {"metric", "accuracy"}}},
      {"drift", "drift " + kDrift + "short.csv --metric accuracy", {{"file", kDrift + "short.csv"}, {"metric", "accuracy"}}},
      {"drift", "drift " + kDrift + "out_of_order.csv --metric accuracy --detector adwin",
       {{"file", kDrift + "out_of_order.csv"}, {"metric", "accuracy"}, {"detector", "adwin"}}},
      {"drift", "drift " + step + " --metric accuracy --detector cusum",
       {{"file", step}, {"metric", "accuracy"}, {"detector", "cusum"}}},
      {"drift", "drift " + step + " --metric accuracy --model llama-3.2-1b",
       {{"file", step}, {"metric", "accuracy"}, {"model", "llama-3.2-1b"}}},
      {"drift", "drift " + kDrift + "numeric.csv --metric accuracy" + kPriceArgs,
       price_options({{"file", kDrift + "numeric.csv"}, {"metric", "accuracy"}})},
      {"drift", "drift " + step + " --metric accuracy --psi " + kDrift + "psi_bad_bins.csv",
       {{"file", step}, {"metric", "accuracy"}, {"psi", kDrift + "psi_bad_bins.csv"}}},
      {"drift", "drift " + kDrift + "missing.csv --metric accuracy", {{"file", kDrift + "missing.csv"}, {"metric", "accuracy"}}},
  };
  for (const CliCase& c : cases) expect_same_error(c);
  auto msg = [](const Json& o) { return call("drift", o).error().message; };
  EXPECT_EQ(msg({{"file", step}, {"metric", "acc"}}),
            step + ": --metric: no column 'acc'; the metric columns are: accuracy, loss");
  EXPECT_EQ(msg({{"file", kDrift + "non_numeric.csv"}, {"metric", "accuracy"}}),
            kDrift + "non_numeric.csv:3: column 'accuracy': expected a number, got 'n/a'");
  EXPECT_EQ(msg({{"file", kDrift + "out_of_order.csv"}, {"metric", "accuracy"}}),
            kDrift + "out_of_order.csv:5: time '2024-01-03' is before the previous row's '2024-01-04': expected rows in "
                     "time order");
  EXPECT_EQ(msg({{"file", step}, {"metric", "accuracy"}, {"model", "llama-3.2-1b"}}),
            "--hardware: pricing retraining needs --model, --hardware, --gpus, --global-batch, --seq and "
            "--retrain-tokens (--finetune-tokens optional)");
  EXPECT_EQ(msg(price_options({{"file", kDrift + "numeric.csv"}, {"metric", "accuracy"}})),
            "--time-unit: " + kDrift + "numeric.csv's times are numbers; pricing a year of retraining needs their unit "
                                       "(second, minute, hour, day or week)");
}

}  // namespace
}  // namespace flopscope::api
