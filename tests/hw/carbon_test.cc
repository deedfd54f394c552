// Grid carbon intensity (hw/carbon.h) and its data file (data/carbon/grid.toml).
#include "flopscope/hw/carbon.h"

#include <gtest/gtest.h>

#include <string>

namespace flopscope {
namespace {

const char* kSource = "[source.s]\nwhat = \"a survey\"\nurl = \"https://example.org\"\ndate = \"2024\"\n";

std::string parse_error(const std::string& toml) {
  auto r = CarbonCatalog::parse(toml, "grid.toml");
  EXPECT_FALSE(r.ok()) << "parsed: " << toml;
  return r.ok() ? "" : r.error().message;
}

TEST(Carbon, GramsAreKwhTimesIntensity) {
  // 3.6 MJ is one kWh.
  EXPECT_DOUBLE_EQ(grams_co2e(3.6e6, 400), 400);
  EXPECT_DOUBLE_EQ(grams_co2e(7.2e6, 400), 800);
  EXPECT_DOUBLE_EQ(grams_co2e(3.6e6, 50), 50);
  // The header's example: 19.2 MJ in us-east-1.
  EXPECT_NEAR(grams_co2e(19.2e6, 343.48), 1831.9, 0.1);
  EXPECT_DOUBLE_EQ(grams_co2e(0, 500), 0);
}

TEST(Carbon, BuiltinHasThePriceCatalogRegionsWithSources) {
  const CarbonCatalog& c = CarbonCatalog::builtin();
  for (const char* region : {"us-east-1", "eastus", "us-central1"}) {
    auto g = c.find(region);
    ASSERT_TRUE(g.ok()) << region;
    EXPECT_GT((*g)->g_co2e_per_kwh, 0) << region;
    EXPECT_FALSE((*g)->source.url.empty()) << region;
    EXPECT_GE((*g)->year, 2020) << region;
  }
  for (const auto& g : c.all()) {
    EXPECT_FALSE(g.source.url.empty()) << g.id;
    EXPECT_FALSE(g.source.date.empty()) << g.id;
    EXPECT_GT(g.g_co2e_per_kwh, 0) << g.id;
    EXPECT_LT(g.g_co2e_per_kwh, 1500) << g.id;  // no grid emits more than coal (~1,000 g/kWh)
  }
}

TEST(Carbon, LooksUpTheRightRegion) {
  const CarbonCatalog& c = CarbonCatalog::builtin();
  // Each lookup returns its own region's figure, as data/carbon/grid.toml writes it.
  EXPECT_DOUBLE_EQ((*c.find("us-central1"))->g_co2e_per_kwh, 431.95);   // Iowa, Google 2025
  EXPECT_DOUBLE_EQ((*c.find("europe-west9"))->g_co2e_per_kwh, 15.83);   // Paris
  EXPECT_DOUBLE_EQ((*c.find("us-east-1"))->g_co2e_per_kwh, 343.48);     // Northern Virginia
  EXPECT_DOUBLE_EQ((*c.find("fr"))->g_co2e_per_kwh, 56);
  EXPECT_DOUBLE_EQ((*c.find("in"))->g_co2e_per_kwh, 713);
  // Ids and aliases, any case.
  EXPECT_EQ((*c.find("US-EAST-1"))->id, "us-east-1");
  EXPECT_EQ((*c.find("germany"))->id, "de");
  EXPECT_EQ((*c.find("global"))->id, "world");
  // us-east1 (GCP, South Carolina) is not us-east-1 (AWS, Virginia).
  EXPECT_NE((*c.find("us-east1"))->g_co2e_per_kwh, (*c.find("us-east-1"))->g_co2e_per_kwh);
}

TEST(Carbon, UnknownRegionIsOneLineWithASuggestion) {
  auto r = CarbonCatalog::builtin().find("us-centrall");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kBadInput);
  EXPECT_EQ(r.error().message, "unknown region 'us-centrall', did you mean 'us-central1'?; see data/carbon/grid.toml");
  auto far = CarbonCatalog::builtin().find("atlantis");
  ASSERT_FALSE(far.ok());
  EXPECT_NE(far.error().message.find("known: cloud regions such as us-east-1"), std::string::npos) << far.error().message;
  EXPECT_EQ(far.error().message.find('\n'), std::string::npos);
}

TEST(Carbon, ParseChecksEveryField) {
  std::string ok = std::string(kSource) + "[grid.x]\nkind = \"country\"\ng_co2e_per_kwh = 100\nyear = 2024\nsource = \"s\"\n";
  auto c = CarbonCatalog::parse(ok, "grid.toml");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->all().size(), 1u);
  EXPECT_EQ(c->all()[0].source.what, "a survey");
  EXPECT_EQ(parse_error(std::string(kSource) + "[grid.x]\nkind = \"country\"\ng_co2e_per_kwh = -3\nyear = 2024\nsource = \"s\"\n"),
            "grid.toml: grid.x.g_co2e_per_kwh: expected a positive number, got -3");
  EXPECT_EQ(parse_error(std::string(kSource) + "[grid.x]\nkind = \"country\"\ng_co2e_per_kwh = 3\nyear = 2024\nsource = \"t\"\n"),
            "grid.toml: grid.x.source: expected the id of a [source.<id>] table, got 't', did you mean 's'?");
  EXPECT_EQ(parse_error(std::string(kSource) + "[grid.x]\nkind = \"country\"\ng_co2e_per_kwh = 3\nsource = \"s\"\n"),
            "grid.toml: grid.x.year: missing, expected a positive integer");
  EXPECT_EQ(parse_error(std::string(kSource) + "[grid.x]\nkind = \"planet\"\ng_co2e_per_kwh = 3\nyear = 1\nsource = \"s\"\n"),
            "grid.toml: grid.x.kind: expected cloud-region, country or world, got 'planet'");
  EXPECT_EQ(parse_error(std::string(kSource) + "[grid.x]\nkind = \"country\"\ng_co2e_per_kwh = 3\nyear = 1\nsource = \"s\"\nintensity = 4\n"),
            "grid.toml: grid.x: unknown field 'intensity'");
}

TEST(Carbon, ValidatesGivenIntensity) {
  EXPECT_TRUE(validate_grams_per_kwh(0, "--carbon-g-per-kwh").ok());
  EXPECT_TRUE(validate_grams_per_kwh(400, "--carbon-g-per-kwh").ok());
  auto bad = validate_grams_per_kwh(-1, "--carbon-g-per-kwh");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "--carbon-g-per-kwh: expected a number in (0, 100000] gCO2e/kWh, got -1");
  EXPECT_FALSE(validate_grams_per_kwh(1e9, "x").ok());
}

}  // namespace
}  // namespace flopscope
