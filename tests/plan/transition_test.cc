// Transition scores: the consistency properties the issue asks for.
#include "flopscope/plan/transition.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "flopscope/model/load.h"

namespace flopscope {
namespace {

const EnvironmentSet& envs() {
  static const EnvironmentSet set = *load_environments(std::string(FLOPSCOPE_TEST_DATA) + "/envs.toml");
  return set;
}
Environment env(const char* name) { return *envs().find(name); }
const TransformerSpec& model(const char* name) {
  static std::map<std::string, TransformerSpec> cache;
  auto it = cache.find(name);
  if (it == cache.end()) it = cache.emplace(name, *load_model(name)).first;
  return it->second;
}

Job serving() {
  Job j;
  j.mode = JobMode::kInfer;
  j.requests = 1000;
  j.batch = 16;
  j.prompt = 1024;
  j.output = 256;
  return j;
}

Job training(double tokens) {
  Job j;
  j.mode = JobMode::kTrain;
  j.tokens = tokens;
  j.micro_batch = 1;
  j.seq = 4096;
  return j;
}

Transition move(const Job& job, const char* from, const char* to, const char* m = "llama-3.1-8b") {
  auto t = transition(model(m), job, env(from), env(to));
  EXPECT_TRUE(t.ok()) << (t.ok() ? "" : t.error().message);
  return *t;
}

void expect_factors_multiply_to_whole(const Transition& t) {
  double speedup = 1, cost = 1, energy = 1, score = 1;
  for (const auto& f : t.factors) {
    speedup *= f.ratios.speedup;
    cost *= f.ratios.cost_ratio;
    energy *= f.ratios.energy_ratio;
    score *= f.ratios.transition_score;
  }
  EXPECT_NEAR(speedup / t.whole.speedup, 1, 1e-12);
  EXPECT_NEAR(cost / t.whole.cost_ratio, 1, 1e-12);
  EXPECT_NEAR(energy / t.whole.energy_ratio, 1, 1e-12);
  EXPECT_NEAR(score / t.whole.transition_score, 1, 1e-12);
}

TEST(Transition, ReverseTransitionScoresAreReciprocal) {
  for (const Job& job : {serving(), training(1e9)}) {
    Transition ab = move(job, "a100-bf16", "h100-fp8");
    Transition ba = move(job, "h100-fp8", "a100-bf16");
    EXPECT_NEAR(ab.whole.transition_score * ba.whole.transition_score, 1, 1e-12);
    EXPECT_NEAR(ab.whole.speedup * ba.whole.speedup, 1, 1e-12);
    EXPECT_NEAR(ab.whole.cost_ratio * ba.whole.cost_ratio, 1, 1e-12);
    EXPECT_NEAR(ab.whole.energy_ratio * ba.whole.energy_ratio, 1, 1e-12);
  }
}

TEST(Transition, FactorRatiosMultiplyToTheWhole) {
  expect_factors_multiply_to_whole(move(serving(), "a100-bf16", "h100-fp8"));
  expect_factors_multiply_to_whole(move(training(1e10), "h100-x8-lambda", "a100-x8-reserved"));
  expect_factors_multiply_to_whole(move(serving(), "h100-fp8", "l4-int4"));
}

TEST(Transition, ChangesAreChainedHardwarePrecisionSoftwarePrice) {
  Transition t = move(serving(), "a100-bf16", "h100-fp8");
  ASSERT_EQ(t.factors.size(), 4u);
  EXPECT_EQ(t.factors[0].name, "hardware");
  EXPECT_EQ(t.factors[1].name, "precision");
  EXPECT_EQ(t.factors[2].name, "software");
  EXPECT_EQ(t.factors[3].name, "price");
  EXPECT_GT(t.factors[0].ratios.speedup, 1);  // H100 is faster than A100 at bf16
  EXPECT_GT(t.factors[1].ratios.speedup, 1);  // fp8 weights halve the bytes decode reads
  EXPECT_DOUBLE_EQ(t.factors[3].ratios.speedup, 1);  // price changes no time
  EXPECT_GT(t.whole.transition_score, 1);
}

TEST(Transition, IntermediateThatCannotRunMergesIntoTheNextFactor) {
  // A100 has no fp8: "A100 at fp8" cannot run, so hardware and precision form one factor.
  Transition t = move(serving(), "h100-fp8", "a100-bf16");
  ASSERT_FALSE(t.factors.empty());
  EXPECT_EQ(t.factors[0].name, "hardware+precision");
  expect_factors_multiply_to_whole(t);
}

TEST(Transition, SameEnvironmentIsNeutral) {
  Transition t = move(serving(), "h100-fp8", "h100-fp8");
  EXPECT_DOUBLE_EQ(t.whole.speedup, 1);
  EXPECT_DOUBLE_EQ(t.whole.cost_ratio, 1);
  EXPECT_DOUBLE_EQ(t.whole.transition_score, 1);
  EXPECT_FALSE(t.break_even_runs.has_value());
}

TEST(Transition, WeightsTradeTimeAgainstCost) {
  TransitionWeights time_only{1, 0};
  auto t = transition(model("llama-3.1-8b"), serving(), env("a100-bf16"), env("h100-fp8"), time_only);
  ASSERT_TRUE(t.ok());
  EXPECT_NEAR(t->whole.transition_score, t->whole.speedup, 1e-12);
}

TEST(Transition, MigrationCostGivesBreakEven) {
  MigrationCosts m;
  m.gb_egress = 1000;
  m.engineer_hours = 40;
  auto t = transition(model("llama-3.1-8b"), serving(), env("a100-bf16"), env("h100-fp8"), {}, m);
  ASSERT_TRUE(t.ok());
  double saving = t->from.usd - t->to.usd;
  ASSERT_GT(saving, 0);
  ASSERT_TRUE(t->break_even_runs.has_value());
  EXPECT_NEAR(*t->break_even_runs * saving, 1000 * 0.09 + 40 * 100, 1e-6);
  EXPECT_NEAR(*t->break_even_seconds, *t->break_even_runs * t->to.seconds, 1e-9);
}

TEST(Transition, EnergyAndCarbonFollowPowerAndGrid) {
  Job job = training(1e9);
  JobRun r = *run_job(model("llama-3.1-8b"), job, env("a100-x8-reserved"));
  EXPECT_NEAR(r.joules, 8 * 350 * r.seconds * 1.2, 1e-6 * r.joules);
  EXPECT_NEAR(r.grams_co2, r.joules / 3.6e6 * 380, 1e-9 * r.grams_co2);
  EXPECT_NEAR(r.usd, 8 * r.seconds / 3600 * 2.10, 1e-9 * r.usd);
}

TEST(Job, TrainingTimeIsStepsTimesStepTimeOverDevices) {
  Job job = training(4096.0 * 1000);  // 1000 micro-batches
  Environment one = *catalog_environment("h100-sxm");
  JobRun r1 = *run_job(model("llama-3.2-1b"), job, one);
  Workload w;
  w.phase = Phase::kTrainStep;
  w.batch = 1;
  w.seq = 4096;
  const Hardware& hw = **HardwareCatalog::builtin().find("h100-sxm");
  TimingEngine engine(hw, nullptr, Software::kEager);
  auto pr = predict(model("llama-3.2-1b"), w, hw, engine);
  ASSERT_TRUE(pr.ok()) << pr.error().message;
  Prediction p = *pr;
  EXPECT_NEAR(r1.seconds, 1000 * p.seconds, 1e-9 * r1.seconds);
  Environment eight = one;
  eight.devices = 8;
  JobRun r8 = *run_job(model("llama-3.2-1b"), job, eight);
  // 125 steps of 8 sequences through predict_training: the gradient reduction overlaps the
  // backward and each device updates an eighth of the optimizer states (ZeRO-1), so a step
  // is a little under one device's step with the whole AdamW update.
  EXPECT_LT(r8.seconds, r1.seconds / 6);
  EXPECT_GT(r8.seconds, 0.8 * 125 * p.seconds);
  EXPECT_LT(r8.seconds, 1.05 * 125 * p.seconds);
  EXPECT_EQ(r8.layout.rfind("tp 1 pp 1 dp 8", 0), 0u) << r8.layout;
}

TEST(Job, ModelThatFitsOnlyShardedUsesZero3AndTooBigOneDoesNotFit) {
  Job job = training(1e9);
  Environment one = *catalog_environment("h100-sxm");
  JobRun r1 = *run_job(model("llama-3.1-8b"), job, one);
  EXPECT_FALSE(r1.fits);  // 8B x 16 bytes of weights, gradients and Adam states > 80 GB
  EXPECT_NE(r1.fit_note.find("does not fit"), std::string::npos);
  Environment eight = one;
  eight.devices = 8;
  JobRun r8 = *run_job(model("llama-3.1-8b"), job, eight);
  EXPECT_TRUE(r8.fits);
  // Many devices run the planner's best layout (plan/train_planner.h): a sharded optimizer.
  EXPECT_EQ(r8.fit_note.rfind("fits as tp ", 0), 0u) << r8.fit_note;
  EXPECT_EQ(r8.layout.find("zero 0"), std::string::npos) << r8.layout;
  JobRun infer = *run_job(model("llama-3.1-70b"), serving(), env("a100-bf16"));
  EXPECT_FALSE(infer.fits);
}

TEST(Job, A70BServedOnSeveralDevicesUsesTensorParallelism) {
  Environment one = *catalog_environment("h100-sxm");
  JobRun r1 = *run_job(model("llama-3.1-70b"), serving(), one);
  EXPECT_FALSE(r1.fits);
  Environment four = one;
  four.devices = 4;
  JobRun r4 = *run_job(model("llama-3.1-70b"), serving(), four);
  EXPECT_TRUE(r4.fits) << r4.fit_note;
  EXPECT_NE(r4.fit_note.find("tensor parallelism over"), std::string::npos) << r4.fit_note;
  EXPECT_EQ(r4.layout.rfind("tp ", 0), 0u) << r4.layout;
  EXPECT_LT(r4.bytes_per_device, r4.bytes_device_memory);
  // A model that fits on one device keeps one replica per device.
  JobRun small = *run_job(model("llama-3.1-8b"), serving(), four);
  EXPECT_EQ(small.fit_note, "fits on one device (one replica per device)");
  EXPECT_TRUE(small.layout.empty());
}

TEST(Job, DecodeTimeGrowsWithOutputLength) {
  Job a = serving();
  Job b = serving();
  b.output = 512;
  Environment h = *catalog_environment("h100-sxm");
  EXPECT_GT(run_job(model("llama-3.1-8b"), b, h)->seconds, 1.9 * run_job(model("llama-3.1-8b"), a, h)->seconds * 0.9);
}

TEST(Job, BadSizesNameTheFlag) {
  Job j = training(0);
  EXPECT_EQ(validate(j).error().message, "--tokens: expected a positive number, got 0");
  Job s = serving();
  s.output = 0;
  EXPECT_EQ(validate(s).error().message, "--output: expected a positive number, got 0");
  EXPECT_EQ(parse_job_mode("serve").error().message, "--mode: expected train, finetune or infer, got 'serve'");
}

}  // namespace
}  // namespace flopscope
