// Environments: the TOML file, catalog ids as environments, prices.
#include "flopscope/plan/environment.h"

#include <gtest/gtest.h>

#include "flopscope/plan/price_catalog.h"

namespace flopscope {
namespace {

const std::string kEnvs = std::string(FLOPSCOPE_TEST_DATA) + "/envs.toml";

std::string parse_error(const std::string& toml) {
  auto r = parse_environments(toml, "envs.toml");
  EXPECT_FALSE(r.ok());
  return r.ok() ? "" : r.error().message;
}

TEST(Environment, ReadsEveryFieldOfAnEnvFile) {
  auto set = load_environments(kEnvs);
  ASSERT_TRUE(set.ok()) << set.error().message;
  auto fp8 = set->find("h100-fp8");
  ASSERT_TRUE(fp8.ok());
  EXPECT_EQ(fp8->hardware_id, "h100-sxm");
  EXPECT_EQ(fp8->dtype, DType::kFP8);
  EXPECT_EQ(fp8->weights, DType::kFP8);
  EXPECT_EQ(fp8->software, Software::kGraphs);
  EXPECT_EQ(fp8->provider, "AWS");
  auto reserved = set->find("a100-x8-reserved");
  ASSERT_TRUE(reserved.ok());
  EXPECT_EQ(reserved->devices, 8);
  EXPECT_EQ(reserved->pricing, "reserved-1y");
  EXPECT_DOUBLE_EQ(reserved->usd_per_device_hour, 2.10);
  EXPECT_DOUBLE_EQ(reserved->watts, 350);
  EXPECT_DOUBLE_EQ(reserved->pue, 1.2);
  EXPECT_DOUBLE_EQ(reserved->carbon_g_per_kwh, 380);
  EXPECT_EQ(price_of(*reserved).source, "given");
}

TEST(Environment, CatalogIdWithADeviceCountIsThatManyDevices) {
  EnvironmentSet none;
  auto e = none.find("h100-sxm-x8");
  ASSERT_TRUE(e.ok()) << e.error().message;
  EXPECT_EQ(e->devices, 8);
  EXPECT_EQ(e->hardware_id, "h100-sxm");
  EXPECT_EQ(e->name, "h100-sxm-x8");
  EXPECT_FALSE(none.find("h100-sxm-x0").ok());
  EXPECT_FALSE(none.find("h100-sxm-x").ok());
  EXPECT_FALSE(none.find("h100-sxm-x8k").ok());
}

TEST(Environment, CatalogHardwareIdIsAOneDeviceOnDemandEnvironment) {
  EnvironmentSet none;
  auto e = none.find("h100-sxm");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(e->devices, 1);
  EXPECT_EQ(e->dtype, DType::kBF16);
  EXPECT_EQ(e->pricing, "on-demand");
  PriceQuote p = price_of(*e);
  EXPECT_GT(p.usd_per_device_hour, 0);
  EXPECT_EQ(p.usd_per_device_hour, PriceCatalog::builtin().cheapest_on_demand("h100-sxm")->usd_per_device_hour);
}

TEST(Environment, ProviderSelectsItsPrice) {
  Environment e = *catalog_environment("h100-sxm");
  e.provider = "lambda";
  PriceQuote p = price_of(e);
  EXPECT_NE(p.source.find("Lambda"), std::string::npos) << p.source;
  e.provider = "NoSuchCloud";
  EXPECT_EQ(price_of(e).usd_per_device_hour, 0);
}

TEST(Environment, NegativeDeviceCountNamesFileAndField) {
  EXPECT_EQ(parse_error("[env.h100-fp8]\nhardware = \"h100-sxm\"\ndevices = -1\n"),
            "envs.toml: env.h100-fp8.devices: expected a positive integer, got -1");
}

TEST(Environment, MissingHardwareIsAnError) {
  EXPECT_EQ(parse_error("[env.x]\ndevices = 2\n"),
            "envs.toml: env.x.hardware: missing, expected a catalog hardware id (see flopscope hardware)");
}

TEST(Environment, UnknownFieldGetsASuggestion) {
  EXPECT_EQ(parse_error("[env.x]\nhardware = \"h100-sxm\"\ndevice = 2\n"),
            "envs.toml: env.x: unknown field 'device', did you mean 'devices'?");
}

TEST(Environment, BadValuesNameTheField) {
  EXPECT_EQ(parse_error("[env.x]\nhardware = \"h100-sxm\"\nusd_per_device_hour = 0\n"),
            "envs.toml: env.x.usd_per_device_hour: expected a positive number, got 0");
  EXPECT_EQ(parse_error("[env.x]\nhardware = \"h100-sxm\"\nflash_attention = \"yes\"\n"),
            "envs.toml: env.x.flash_attention: expected true or false, got 'yes'");
  EXPECT_EQ(parse_error("[env.x]\nhardware = \"h100-sxm\"\nsoftware = \"jit\"\n"),
            "envs.toml: env.x.software: expected eager, graphs or compiled, got 'jit'");
  EXPECT_EQ(parse_error("[env.x]\nhardware = \"h100-sxm\"\npue = 0.5\n"), "envs.toml: env.x.pue: expected a number >= 1, got 0.5");
  EXPECT_NE(parse_error("[env.x]\nhardware = \"h10\"\n").find("envs.toml: env.x.hardware: unknown hardware 'h10'"),
            std::string::npos);
  EXPECT_EQ(parse_error("[machines.x]\nhardware = \"h100-sxm\"\n"),
            "envs.toml: unknown table 'machines', expected [env.NAME] tables");
}

// Issue 11: prices or watts of 1e308 printed $inf; an unknown pricing was accepted.
TEST(Environment, ValuesBeyondTheirLimitsAreRefused) {
  EXPECT_EQ(parse_error("[env.x]\nhardware = \"h100-sxm\"\nusd_per_device_hour = 1e308\n"),
            "envs.toml: env.x.usd_per_device_hour: expected at most 1000000 (docs/limits.md), got 1e+308");
  EXPECT_EQ(parse_error("[env.x]\nhardware = \"h100-sxm\"\nwatts = 1e308\n"),
            "envs.toml: env.x.watts: expected at most 1000000 (docs/limits.md), got 1e+308");
  EXPECT_EQ(parse_error("[env.x]\nhardware = \"h100-sxm\"\ndevices = 9223372036854775807\n"),
            "envs.toml: env.x.devices: expected at most 1048576 (docs/limits.md), got 9.22337e+18");
  EXPECT_EQ(parse_error("[env.x]\nhardware = \"h100-sxm\"\npricing = \"free\"\n"),
            "envs.toml: env.x.pricing: expected on-demand, spot, reserved-1y or reserved-3y, got 'free'");
}

TEST(Environment, UnknownEnvironmentNameGetsASuggestion) {
  auto set = load_environments(kEnvs);
  ASSERT_TRUE(set.ok());
  auto e = set->find("h100-fp9");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().message, "unknown environment 'h100-fp9', did you mean 'h100-fp8'? (looked in " + kEnvs +
                                   " or the hardware catalog)");
  EXPECT_EQ(e.error().kind, ErrorKind::kNotFound);
}

}  // namespace
}  // namespace flopscope

namespace flopscope {
namespace {

TEST(Environment, DocumentedExampleFileLoads) {
  auto set = load_environments(std::string(FLOPSCOPE_TEST_DATA) + "/../../docs/examples/envs.toml");
  ASSERT_TRUE(set.ok()) << set.error().message;
  EXPECT_GE(set->envs.size(), 6u);
  for (const Environment& e : set->envs) {
    EXPECT_TRUE(e.usd_per_device_hour > 0 || price_of(e).usd_per_device_hour > 0) << e.name << " has no price";
  }
}

}  // namespace
}  // namespace flopscope
