#include "flopscope/scaling/scaling_law.h"

#include <cmath>
#include <fmt/format.h>
#include <gtest/gtest.h>

namespace flopscope {

namespace {

const ScalingLaw& law(const std::string& id) {
  for (const auto& l : builtin_laws()) {
    if (l.id == id) return l;
  }
  ADD_FAILURE() << "no built-in law " << id;
  static ScalingLaw none;
  return none;
}

// A published value printed as `printed` with 3 significant digits ("1.92e+19").
std::string three_digits(double v) { return fmt::format("{:.2e}", v); }

// Compute budget at which `params` is optimal: invert N_opt(C) by bisection on log C.
double budget_for_params(const ScalingLaw& l, double params) {
  double lo = std::log(1e10), hi = std::log(1e35);
  for (int i = 0; i < 200; ++i) {
    double mid = (lo + hi) / 2;
    if (compute_optimal(l, std::exp(mid)).params < params) lo = mid;
    else hi = mid;
  }
  return std::exp((lo + hi) / 2);
}

// Tokens are printed in billions or trillions with one decimal.
double unit(double tokens) { return tokens >= 1e12 ? 1e12 : 1e9; }

struct TableRow {
  double params;
  double flops;   // as printed
  double tokens;  // as printed
};

}  // namespace

TEST(ScalingLaws, BuiltinFileParsesAllFiveLaws) {
  auto ids = builtin_law_ids();
  EXPECT_EQ(ids, (std::vector<std::string>{"hoffmann-1", "hoffmann-2", "hoffmann-3", "besiroglu", "kaplan"}));
}

// Hoffmann et al. 2022, Table 3 (approach 1). IN-SAMPLE: the hoffmann-1 coefficients are the
// power law fitted through these same rows (docs/scaling-laws.md), so this checks the fit
// and its rounding, not a prediction; Section D.4 (below) is the out-of-sample check. The
// 67B row sits at Gopher's budget (5.76e23 FLOPs) and is off C = 6ND (6 * 67e9 * 1.5e12 =
// 6.0e23); it is checked apart.
TEST(ScalingLaws, Hoffmann1ReproducesTable3) {
  const std::vector<TableRow> rows = {
      {400e6, 1.92e19, 8.0e9},    {1e9, 1.21e20, 20.2e9},     {10e9, 1.23e22, 205.1e9},
      {175e9, 3.85e24, 3.7e12},   {280e9, 9.90e24, 5.9e12},   {520e9, 3.43e25, 11.0e12},
      {1e12, 1.27e26, 21.2e12},   {10e12, 1.30e28, 216.2e12},
  };
  const auto& l = law("hoffmann-1");
  for (const auto& r : rows) {
    double c = budget_for_params(l, r.params);
    EXPECT_EQ(three_digits(c), three_digits(r.flops)) << "params " << r.params;
    // Tokens follow C / 6N and match the printed digit ("8.0 Billion", "3.7 Trillion"); the
    // paper fitted D_opt separately, so 4-digit counts (205.1B, 216.2B) may differ from
    // C / 6N in the last digit: we allow half a printed digit plus 0.15%.
    Allocation a = compute_optimal(l, r.flops);
    EXPECT_NEAR(a.params / r.params, 1.0, 0.01) << "params " << r.params;
    EXPECT_NEAR(compute_optimal(l, c).tokens / unit(r.tokens), r.tokens / unit(r.tokens),
                0.05 + 0.0015 * r.tokens / unit(r.tokens))
        << "params " << r.params;
  }
  // The Gopher-budget row: 67B printed, 67.9B from the frontier through the other rows.
  EXPECT_NEAR(compute_optimal(l, 5.76e23).params / 67e9, 1.0, 0.02);
}

// Hoffmann et al. Section D.4: "From our approach 1, we estimate a 2.86 billion parameter
// model should be optimal" at 1e21 FLOPs.
TEST(ScalingLaws, Hoffmann1GivesSectionD4ModelAt1e21) {
  EXPECT_EQ(fmt::format("{:.2f}", compute_optimal(law("hoffmann-1"), 1e21).params / 1e9), "2.86");
}

// Hoffmann et al. Table A3, approach 2 columns.
TEST(ScalingLaws, Hoffmann2ReproducesTableA3) {
  const std::vector<TableRow> rows = {
      {400e6, 1.84e19, 7.7e9},  {1e9, 1.20e20, 20.0e9},  {10e9, 1.32e22, 219.5e9},  {175e9, 4.54e24, 4.3e12},
      {280e9, 1.18e25, 7.1e12}, {520e9, 4.19e25, 13.4e12}, {1e12, 1.59e26, 26.5e12}, {10e12, 1.75e28, 292.0e12},
  };
  const auto& l = law("hoffmann-2");
  for (const auto& r : rows) {
    double c = budget_for_params(l, r.params);
    EXPECT_EQ(three_digits(c), three_digits(r.flops)) << "params " << r.params;
    EXPECT_NEAR(compute_optimal(l, c).tokens / unit(r.tokens), r.tokens / unit(r.tokens),
                0.05 + 0.0015 * r.tokens / unit(r.tokens))
        << "params " << r.params;
  }
}

// Table 2 prints the exponents a (N_opt ∝ C^a) and b (D_opt ∝ C^b) to two digits.
TEST(ScalingLaws, ExponentsMatchTable2) {
  auto two = [](double v) { return fmt::format("{:.2f}", v); };
  EXPECT_EQ(two(optimal_exponents(law("hoffmann-1")).a), "0.50");
  EXPECT_EQ(two(optimal_exponents(law("hoffmann-1")).b), "0.50");
  EXPECT_EQ(two(optimal_exponents(law("hoffmann-2")).a), "0.49");
  EXPECT_EQ(two(optimal_exponents(law("hoffmann-2")).b), "0.51");
  EXPECT_EQ(two(optimal_exponents(law("hoffmann-3")).a), "0.46");
  EXPECT_EQ(two(optimal_exponents(law("hoffmann-3")).b), "0.54");
  EXPECT_EQ(two(optimal_exponents(law("kaplan")).a), "0.73");
  EXPECT_EQ(two(optimal_exponents(law("kaplan")).b), "0.27");
  // Besiroglu et al. 2024, Section 4: a = 0.5126 from the refit.
  EXPECT_EQ(fmt::format("{:.4f}", optimal_exponents(law("besiroglu")).a), "0.5126");
}

// Table A3, approach 3 columns do not follow from the published coefficients through eq. 4
// (Besiroglu et al. 2024 discuss the inconsistency): the closed form puts them 6% to 18%
// higher in compute. This pins the direction and size of that disagreement.
TEST(ScalingLaws, Hoffmann3DisagreesWithTableA3AsDocumented) {
  const std::vector<TableRow> rows = {{400e6, 2.21e19, 9.2e9}, {10e9, 2.46e22, 410.1e9}, {10e12, 8.55e28, 1425.5e12}};
  const auto& l = law("hoffmann-3");
  for (const auto& r : rows) {
    double ratio = budget_for_params(l, r.params) / r.flops;
    EXPECT_GT(ratio, 1.0) << r.params;
    EXPECT_LT(ratio, 1.2) << r.params;
  }
}

// Kaplan et al. 2020, Table 6: N_opt = 1.3e9 * C_min^0.73 with C_min in PF-days.
TEST(ScalingLaws, KaplanTable6InPetaflopDays) {
  const auto& l = law("kaplan");
  EXPECT_DOUBLE_EQ(compute_optimal(l, 8.64e19).params, 1.3e9);
  EXPECT_NEAR(compute_optimal(l, 8.64e20).params, 1.3e9 * std::pow(10.0, 0.73), 1);
  // Tokens from C = 6ND.
  Allocation a = compute_optimal(l, 1e21);
  EXPECT_NEAR(6 * a.params * a.tokens, 1e21, 1e9);
}

// Besiroglu et al. 2024, Table 1 coefficients; about 20 tokens per parameter at scale.
TEST(ScalingLaws, BesirogluCoefficientsAndTokensPerParam) {
  const auto& l = law("besiroglu");
  ASSERT_TRUE(l.loss);
  EXPECT_DOUBLE_EQ(l.loss->E, 1.8172);
  EXPECT_DOUBLE_EQ(l.loss->A, 482.01);
  EXPECT_DOUBLE_EQ(l.loss->B, 2085.43);
  EXPECT_DOUBLE_EQ(l.loss->alpha, 0.3478);
  EXPECT_DOUBLE_EQ(l.loss->beta, 0.3658);
  double tpp = compute_optimal(l, 5.76e23).tokens_per_param();
  EXPECT_GT(tpp, 15);
  EXPECT_LT(tpp, 30);
}

TEST(ScalingLaws, OptimumMinimisesTheLossOnItsIsoFlopCurve) {
  for (const char* id : {"hoffmann-3", "besiroglu"}) {
    IsoFlopCurve c = isoflop_curve(law(id), 1e22, 201, 10);
    ASSERT_FALSE(c.params_loss.empty());
    for (auto [n, loss] : c.params_loss) EXPECT_GE(loss, *c.optimum.loss - 1e-12) << id << " N=" << n;
  }
}

TEST(ScalingLaws, LeastComputeForLossInvertsTheFrontier) {
  const auto& l = law("besiroglu");
  Allocation a = compute_optimal(l, 1e23);
  auto back = least_compute_for_loss(l, *a.loss);
  ASSERT_TRUE(back);
  EXPECT_NEAR(back->flops / 1e23, 1.0, 1e-6);
  EXPECT_FALSE(least_compute_for_loss(l, 1.0));  // below E = 1.8172: unreachable
}

TEST(ScalingLaws, ParseErrorsNameTheFieldAndLaw) {
  auto r = parse_laws("[[law]]\nid = \"x\"\n[law.loss]\nE = 1\nA = 1\nB = 1\nalpha = -1\nbeta = 1\n", "my.toml");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "my.toml: law 'x': loss: field 'alpha': expected a positive number");
  auto r2 = parse_laws("[[law]]\nid = \"y\"\n", "my.toml");
  ASSERT_FALSE(r2);
  EXPECT_EQ(r2.error().message, "my.toml: law 'y': expected a [law.frontier] or a [law.loss] table");
  auto r3 = parse_laws("[[law]\n", "bad.toml");
  ASSERT_FALSE(r3);
  EXPECT_TRUE(r3.error().message.starts_with("bad.toml:1:7: invalid TOML: ")) << r3.error().message;
}

TEST(ScalingLaws, UnknownLawSuggestsTheClosestId) {
  auto r = resolve_laws("hofmann-3");
  ASSERT_FALSE(r);
  EXPECT_TRUE(r.error().message.starts_with("--law: unknown law 'hofmann-3', did you mean 'hoffmann-3'?"))
      << r.error().message;
}

TEST(ScalingLaws, TomlRoundTripKeepsCoefficients) {
  for (const auto& l : builtin_laws()) {
    auto back = parse_laws(law_to_toml(l), "roundtrip");
    ASSERT_TRUE(back) << back.error().message;
    ASSERT_EQ(back->size(), 1u);
    EXPECT_DOUBLE_EQ(compute_optimal((*back)[0], 1e22).params, compute_optimal(l, 1e22).params) << l.id;
  }
}

}  // namespace flopscope

namespace flopscope {
// Hoffmann et al. Figure 4 caption: "We project the optimal model size given the Gopher
// FLOP budget to be 40B parameters" (approach 3).
TEST(ScalingLaws, Hoffmann3Gives40BAtGopherBudget) {
  for (const auto& l : builtin_laws()) {
    if (l.id == "hoffmann-3") {
      EXPECT_EQ(fmt::format("{:.0f}", compute_optimal(l, 5.76e23).params / 1e9), "40");
    }
  }
}
}  // namespace flopscope
