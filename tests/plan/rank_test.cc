// Ranking environments: the front never holds a dominated environment; what cannot run
// the job is reported and not ranked.
#include "flopscope/plan/rank.h"

#include <gtest/gtest.h>

#include <random>

#include "flopscope/model/load.h"

namespace flopscope {
namespace {

std::vector<Environment> candidates() {
  auto set = *load_environments(std::string(FLOPSCOPE_TEST_DATA) + "/envs.toml");
  std::vector<Environment> all = set.envs;
  for (const char* id : {"h100-sxm", "a100-sxm-40gb", "l4", "l40s", "a10g"}) all.push_back(*catalog_environment(id));
  return all;
}

Job serving(const char*) {
  Job j;
  j.mode = JobMode::kInfer;
  j.requests = 512;
  j.batch = 8;
  j.prompt = 512;
  j.output = 128;
  return j;
}

bool dominates(const JobRun& a, const JobRun& b) {
  return a.seconds <= b.seconds && a.usd <= b.usd && (a.seconds < b.seconds || a.usd < b.usd);
}

TEST(ParetoFront, NeverHoldsADominatedPoint) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<double> u(1, 100);
  for (int trial = 0; trial < 50; ++trial) {
    std::vector<std::pair<double, double>> pts(20);
    for (auto& p : pts) p = {std::round(u(rng)), std::round(u(rng))};  // ties happen
    auto front = pareto_front(pts);
    ASSERT_FALSE(front.empty());
    std::vector<bool> on(pts.size());
    for (size_t i : front) on[i] = true;
    for (size_t i = 0; i < pts.size(); ++i) {
      bool dominated = false;
      for (size_t j = 0; j < pts.size(); ++j) {
        dominated |= pts[j].first <= pts[i].first && pts[j].second <= pts[i].second && pts[j] != pts[i];
      }
      EXPECT_EQ(on[i], !dominated) << "point " << i;
    }
  }
}

TEST(Rank, FrontHoldsNoDominatedEnvironmentAndRanksFollowTheObjective) {
  auto spec = *load_model("llama-3.1-8b");
  for (RankObjective obj : {RankObjective::kTime, RankObjective::kCost, RankObjective::kEnergy}) {
    RankOptions o;
    o.objective = obj;
    auto entries = rank_environments(spec, serving(""), candidates(), o);
    int ranked = 0;
    for (size_t i = 0; i < entries.size(); ++i) {
      const RankEntry& e = entries[i];
      if (!e.ranked) {
        EXPECT_FALSE(e.pareto);
        EXPECT_FALSE(e.reason.empty());
        continue;
      }
      ++ranked;
      EXPECT_EQ(e.rank, ranked);
      if (i > 0 && entries[i - 1].ranked) {
        const JobRun& p = entries[i - 1].run;
        double prev = obj == RankObjective::kTime ? p.seconds : obj == RankObjective::kCost ? p.usd : p.joules;
        double cur = obj == RankObjective::kTime ? e.run.seconds : obj == RankObjective::kCost ? e.run.usd : e.run.joules;
        EXPECT_LE(prev, cur);
      }
      if (!e.pareto) continue;
      for (const RankEntry& other : entries) {
        if (other.ranked) {
          EXPECT_FALSE(dominates(other.run, e.run)) << other.env << " dominates " << e.env;
        }
      }
    }
    EXPECT_GE(ranked, 3);
  }
}

TEST(Rank, EnvironmentWhereTheModelDoesNotFitIsReportedNotRanked) {
  auto spec = *load_model("llama-3.1-70b");
  auto entries = rank_environments(spec, serving(""), candidates(), {});
  bool saw_l40s = false, saw_v100 = false;
  for (const RankEntry& e : entries) {
    if (e.env == "l40s") {
      saw_l40s = true;
      EXPECT_FALSE(e.ranked);
      EXPECT_TRUE(e.ran);
      EXPECT_FALSE(e.run.fits);
      EXPECT_EQ(e.reason.rfind("does not fit", 0), 0u) << e.reason;
    }
    if (e.env == "v100-fp8") {
      saw_v100 = true;
      EXPECT_FALSE(e.ranked);
      EXPECT_FALSE(e.ran);
      EXPECT_EQ(e.reason, "cannot run: hardware 'v100-sxm' has no fp8 support (see flopscope hardware v100-sxm)");
    }
    if (e.ranked) {
      EXPECT_TRUE(e.run.fits);
    }
  }
  EXPECT_TRUE(saw_l40s);
  EXPECT_TRUE(saw_v100);
}

TEST(Rank, A70BIsRankedOnEnvironmentsOfSeveralDevices) {
  auto spec = *load_model("llama-3.1-70b");
  std::vector<Environment> scaled;
  for (const char* id : {"h100-sxm", "a100-sxm-80gb", "l40s"}) {
    auto e = scale_to_fit(spec, serving(""), *catalog_environment(id), {1, 2, 4, 8});
    ASSERT_TRUE(e.ok()) << e.error().message;
    EXPECT_GT(e->devices, 1) << id;  // 141 GB of bf16 weights fit on no single one of them
    EXPECT_EQ(e->name, std::string(id) + "-x" + std::to_string(e->devices));
    scaled.push_back(*e);
  }
  auto entries = rank_environments(spec, serving(""), scaled, {});
  int ranked = 0;
  for (const RankEntry& e : entries) {
    if (!e.ranked) continue;
    ++ranked;
    EXPECT_TRUE(e.run.fits);
    EXPECT_EQ(e.run.layout.rfind("tp ", 0), 0u) << e.env << ": " << e.run.layout;
  }
  EXPECT_EQ(ranked, 3);
}

TEST(Rank, DeadlineAndBudgetLeaveOutWhatMissesThem) {
  auto spec = *load_model("llama-3.1-8b");
  auto all = rank_environments(spec, serving(""), candidates(), {});
  double fastest = all.front().run.seconds;
  RankOptions o;
  o.seconds_deadline = fastest * 1.0000001;
  for (const RankEntry& e : rank_environments(spec, serving(""), candidates(), o)) {
    if (e.ranked) {
      EXPECT_LE(e.run.seconds, *o.seconds_deadline);
    }
    if (e.ran && e.run.fits && e.run.has_price() && !e.ranked) {
      EXPECT_EQ(e.reason.rfind("misses the deadline", 0), 0u);
    }
  }
  RankOptions b;
  b.usd_budget = 1e-9;
  for (const RankEntry& e : rank_environments(spec, serving(""), candidates(), b)) {
    EXPECT_FALSE(e.ranked);
  }
}

TEST(Rank, ParsesDurations) {
  EXPECT_DOUBLE_EQ(*parse_duration("36h"), 36 * 3600);
  EXPECT_DOUBLE_EQ(*parse_duration("2d"), 2 * 86400);
  EXPECT_DOUBLE_EQ(*parse_duration("90m"), 5400);
  EXPECT_DOUBLE_EQ(*parse_duration("3600"), 3600);
  EXPECT_EQ(parse_duration("soon").error().message,
            "--deadline: expected a positive duration such as 36h, 2d, 90m or 3600 (seconds), got 'soon'");
  EXPECT_EQ(parse_rank_objective("speed").error().message, "--objective: expected time, cost or energy, got 'speed'");
}

}  // namespace
}  // namespace flopscope
