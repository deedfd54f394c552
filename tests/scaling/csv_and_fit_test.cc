#include <cmath>
#include <gtest/gtest.h>
#include <random>

#include "flopscope/scaling/fit.h"
#include "flopscope/scaling/quality_frontier.h"
#include "flopscope/util/csv_table.h"
#include "flopscope/util/file.h"

namespace flopscope {

namespace {
std::string fixture(const std::string& name) {
  auto text = read_file(std::string(FLOPSCOPE_TEST_DATA) + "/scaling/" + name);
  EXPECT_TRUE(text) << name;
  return text ? *text : std::string();
}

std::vector<TrainingRunPoint> synthetic_runs(const LossLaw& truth, double noise, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> eps(0, noise);
  std::vector<TrainingRunPoint> runs;
  // An isoFLOP-like design: 6 budgets x 8 model sizes, as in Hoffmann's approach 2.
  for (double c : {1e18, 3e18, 1e19, 3e19, 1e20, 3e20}) {
    double n_mid = std::sqrt(c / 6 / 20);
    for (int k = -4; k <= 3; ++k) {
      double n = n_mid * std::pow(2.0, k * 0.75);
      double d = c / (6 * n);
      runs.push_back({n, d, truth(n, d) * std::exp(eps(rng)), 0});
    }
  }
  return runs;
}
}  // namespace

TEST(CsvTable, BadRowIsReportedByLineNumber) {
  auto t = CsvTable::parse(fixture("bad_runs.csv"), "runs.csv");
  ASSERT_TRUE(t) << t.error().message;
  auto runs = read_runs_csv(*t);
  ASSERT_FALSE(runs);
  EXPECT_EQ(runs.error().message, "runs.csv:7: column 'loss': expected a positive number, got 'abc'");
  EXPECT_EQ(runs.error().kind, ErrorKind::kBadInput);
}

TEST(CsvTable, WrongFieldCountNamesTheLine) {
  auto t = CsvTable::parse("N,D,loss\n1,2,3\n1,2\n", "runs.csv");
  ASSERT_FALSE(t);
  EXPECT_EQ(t.error().message, "runs.csv:3: expected 3 fields (as in the header), got 2");
}

TEST(CsvTable, MissingColumnNamesTheHeader) {
  auto t = CsvTable::parse("N,tokens,perplexity\n1,2,3\n", "runs.csv");
  ASSERT_TRUE(t);
  auto runs = read_runs_csv(*t);
  ASSERT_FALSE(runs);
  EXPECT_EQ(runs.error().message, "runs.csv: header: expected a column 'loss', got 'N,tokens,perplexity'");
}

TEST(CsvTable, ComputeColumnMustAgreeWithSixND) {
  auto t = CsvTable::parse("N,D,loss,C\n1e9,2e10,2.9,1.2e20\n1e9,2e10,2.9,5e20\n", "runs.csv");
  ASSERT_TRUE(t);
  auto runs = read_runs_csv(*t);
  ASSERT_FALSE(runs);
  EXPECT_EQ(runs.error().message, "runs.csv:3: column 'C': 5e+20 disagrees with 6*N*D = 1.2e+20 by more than 10%");
}

TEST(CsvTable, QuotedFieldsAndNegativeNumbers) {
  auto t = CsvTable::parse("name,flops,score\n\"a, b\",1e20,0.5\nc,-1,0.4\n", "m.csv");
  ASSERT_TRUE(t);
  EXPECT_EQ(t->rows()[0].fields[0], "a, b");
  auto v = t->number(t->rows()[1], 1);
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error().message, "m.csv:3: column 'flops': expected a positive number, got '-1'");
}

// Recovers Hoffmann's approach 3 parameters from noisy synthetic runs (1% log-normal noise).
TEST(Fit, RecoversKnownParametersFromNoisyRuns) {
  LossLaw truth;
  truth.E = 1.8172, truth.A = 482.01, truth.B = 2085.43, truth.alpha = 0.3478, truth.beta = 0.3658;
  auto runs = synthetic_runs(truth, 0.01, 7);
  FitOptions opts;
  opts.bootstrap_samples = 40;
  auto fit = fit_chinchilla(runs, opts);
  ASSERT_TRUE(fit) << fit.error().message;
  EXPECT_EQ(fit->starts, 4500);
  EXPECT_NEAR(fit->alpha.value, truth.alpha, 0.05);
  EXPECT_NEAR(fit->beta.value, truth.beta, 0.05);
  EXPECT_NEAR(fit->E.value, truth.E, 0.1);
  EXPECT_NEAR(fit->a.value, truth.beta / (truth.alpha + truth.beta), 0.03);
  EXPECT_LT(fit->rmse_log, 0.015);
  // The intervals bracket the estimate, and the truth lies inside the exponent intervals
  // or within their width of them.
  EXPECT_LE(fit->alpha.lo, fit->alpha.value);
  EXPECT_GE(fit->alpha.hi, fit->alpha.value);
  EXPECT_EQ(fit->bootstrap_samples, 40);
  double width = fit->a.hi - fit->a.lo;
  EXPECT_GT(width, 0);
  EXPECT_LT(std::fabs(fit->a.value - 0.5126), 2 * width + 0.01);
}

TEST(Fit, NoiselessRunsAreFitExactly) {
  LossLaw truth;
  truth.E = 1.69, truth.A = 406.4, truth.B = 410.7, truth.alpha = 0.34, truth.beta = 0.28;
  auto fit = fit_chinchilla(synthetic_runs(truth, 0, 1), {.bootstrap_samples = 0, .full_grid = true});
  ASSERT_TRUE(fit);
  EXPECT_NEAR(fit->alpha.value, 0.34, 1e-3);
  EXPECT_NEAR(fit->beta.value, 0.28, 1e-3);
  EXPECT_NEAR(fit->E.value, 1.69, 1e-2);
}

TEST(Fit, FittedLawRoundTripsThroughToml) {
  auto t = CsvTable::parse(fixture("runs_small.csv"), "runs_small.csv");
  ASSERT_TRUE(t);
  auto runs = read_runs_csv(*t);
  ASSERT_TRUE(runs) << runs.error().message;
  auto fit = fit_chinchilla(*runs, {.bootstrap_samples = 10, .full_grid = false});
  ASSERT_TRUE(fit);
  ScalingLaw l = fitted_law(*fit, "mine", "runs_small.csv");
  auto back = parse_laws(law_to_toml(l), "fit.toml");
  ASSERT_TRUE(back) << back.error().message << "\n" << law_to_toml(l);
  EXPECT_EQ((*back)[0].id, "mine");
  EXPECT_NEAR((*back)[0].loss->alpha, fit->alpha.value, 1e-9);
}

TEST(Fit, TooFewRunsIsBadInput) {
  std::vector<TrainingRunPoint> runs = {{1e8, 1e9, 3, 0}, {1e9, 1e10, 2.5, 0}};
  auto fit = fit_chinchilla(runs);
  ASSERT_FALSE(fit);
  EXPECT_EQ(fit.error().message, "fit: expected at least 5 runs for 5 parameters, got 2");
}

TEST(QualityFrontier, DominatedModelIsNamedWithItsComputeExcess) {
  auto t = CsvTable::parse(fixture("models_quality.csv"), "models.csv");
  ASSERT_TRUE(t);
  auto points = read_quality_csv(*t, "", nullptr);
  ASSERT_TRUE(points) << points.error().message;
  auto f = pareto_frontier(*points);
  ASSERT_EQ(f.size(), 4u);
  EXPECT_EQ(f[2].point.name, "wasteful");
  EXPECT_FALSE(f[2].on_frontier);
  EXPECT_EQ(*f[2].dominated_by, "medium");
  EXPECT_DOUBLE_EQ(f[2].compute_excess, 3.0);
  EXPECT_TRUE(f[0].on_frontier && f[1].on_frontier && f[3].on_frontier);
  EXPECT_DOUBLE_EQ(f[0].quality_per_flop, 0.5 / 1e21);
}

TEST(QualityFrontier, F1FromConfusionCounts) {
  auto t = CsvTable::parse(fixture("classifier_counts.csv"), "counts.csv");
  ASSERT_TRUE(t);
  auto points = read_quality_csv(*t, "", nullptr);
  ASSERT_TRUE(points) << points.error().message;
  // a: P = 0.8, R = 0.8, F1 = 0.8. b: P = 0.9, R = 0.75, F1 = 0.818. c: P = 0.583, R = 0.636.
  EXPECT_NEAR((*points)[0].quality, 0.8, 1e-12);
  EXPECT_NEAR(*(*points)[1].precision, 0.9, 1e-12);
  EXPECT_NEAR(*(*points)[1].recall, 0.75, 1e-12);
  EXPECT_NEAR((*points)[1].quality, 2 * 0.9 * 0.75 / 1.65, 1e-12);
  auto f = pareto_frontier(*points);
  EXPECT_EQ(f[1].point.name, "c");
  EXPECT_EQ(*f[1].dominated_by, "a");
  EXPECT_DOUBLE_EQ(f[1].compute_excess, 2.0);
}

TEST(QualityFrontier, ModelColumnUsesTheResolver) {
  auto t = CsvTable::parse("model,tokens,score\nllama,1e12,0.6\n", "m.csv");
  ASSERT_TRUE(t);
  auto points = read_quality_csv(*t, "", [](const std::string& m, std::optional<double> d, int line) {
    EXPECT_EQ(m, "llama");
    EXPECT_EQ(line, 2);
    return Result<std::pair<double, std::string>>(std::pair{6 * 1e9 * *d, std::string("6 * N_active * D")});
  });
  ASSERT_TRUE(points);
  EXPECT_DOUBLE_EQ((*points)[0].flops, 6e21);
}

TEST(QualityFrontier, BadQualityValueNamesLineAndColumn) {
  auto t = CsvTable::parse("name,flops,accuracy\na,1e20,0.5\nb,2e20,high\n", "results.csv");
  ASSERT_TRUE(t);
  auto points = read_quality_csv(*t, "", nullptr);
  ASSERT_FALSE(points);
  EXPECT_EQ(points.error().message, "results.csv:3: column 'accuracy': expected a non-negative number, got 'high'");
}

}  // namespace flopscope
