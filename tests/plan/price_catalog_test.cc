#include "flopscope/plan/price_catalog.h"

#include <gtest/gtest.h>

#include <string>

#include "flopscope/data/embedded.h"
#include "flopscope/hw/hardware.h"

namespace flopscope {
namespace {

TEST(PriceCatalog, EmbeddedPricesParse) {
  auto text = data::find_embedded("prices/cloud.toml");
  ASSERT_TRUE(text.has_value());
  auto r = PriceCatalog::parse(*text, "data/prices/cloud.toml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_GE(r->all().size(), 30u);
  EXPECT_EQ(r->all().size(), PriceCatalog::builtin().all().size());
}

TEST(PriceCatalog, EveryPriceNamesACatalogAcceleratorAndADateAndSource) {
  auto hardware = HardwareCatalog::load("");  // the embedded catalog, not $FLOPSCOPE_HARDWARE
  ASSERT_TRUE(hardware.ok()) << hardware.error().message;
  for (const auto& p : PriceCatalog::builtin().all()) {
    EXPECT_TRUE(hardware->find(p.hardware_id).ok()) << p.instance << ": " << p.hardware_id;
    EXPECT_FALSE(p.date.empty()) << p.instance;
    EXPECT_FALSE(p.source.empty()) << p.instance;
    EXPECT_GT(p.usd_per_device_hour, 0) << p.instance;
    EXPECT_NEAR(p.usd_per_device_hour * static_cast<double>(p.device_count), p.usd_per_hour, 0.01 * p.usd_per_hour)
        << p.instance;
  }
}

TEST(PriceCatalog, CheapestOnDemandSkipsSupersededPrices) {
  const auto& prices = PriceCatalog::builtin();
  const InstancePrice* p = prices.cheapest_on_demand("h100-sxm");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->pricing, "on-demand");
  EXPECT_TRUE(p->current);
  for (const auto* q : prices.for_hardware("h100-sxm")) {
    if (q->pricing == "on-demand" && q->current) {
      EXPECT_LE(p->usd_per_device_hour, q->usd_per_device_hour);
    }
  }
  EXPECT_EQ(prices.cheapest_on_demand("gaudi3"), nullptr);
}

TEST(PriceCatalog, ForHardwareIsCheapestFirst) {
  auto list = PriceCatalog::builtin().for_hardware("a100-sxm-40gb");
  ASSERT_GE(list.size(), 2u);
  for (size_t i = 1; i < list.size(); ++i) EXPECT_LE(list[i - 1]->usd_per_device_hour, list[i]->usd_per_device_hour);
}

TEST(PriceCatalog, PerDeviceHourDefaultsToInstancePriceOverCount) {
  auto r = PriceCatalog::parse(R"(
[[price]]
provider = "X"
instance = "x8"
hardware = "h100-sxm"
device_count = 8
usd_per_hour = 16
pricing = "on-demand"
date = "2026-01-01"
source = "test"
)",
                               "p.toml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_DOUBLE_EQ(r->all()[0].usd_per_device_hour, 2.0);
  EXPECT_TRUE(r->all()[0].current);
  EXPECT_EQ(r->cheapest_on_demand("h100-sxm"), &r->all()[0]);
}

TEST(PriceCatalog, WrongTypeNamesTheEntry) {
  auto r = PriceCatalog::parse("[[price]]\nprovider = \"X\"\nusd_per_hour = \"12\"\n", "p.toml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "p.toml: price[0].usd_per_hour: expected a non-negative number, got '12'");
}

TEST(PriceCatalog, DeviceCountMustBePositive) {
  auto r = PriceCatalog::parse("[[price]]\ndevice_count = 0\n", "p.toml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "p.toml: price[0].device_count: expected a positive integer, got 0");
}

TEST(PriceCatalog, UnknownFieldSuggestsTheNearestOne) {
  auto r = PriceCatalog::parse("[[price]]\nprovder = \"X\"\n", "p.toml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "p.toml: price[0]: unknown field 'provder', did you mean 'provider'?");
}

TEST(PriceCatalog, MissingFieldIsNamed) {
  auto r = PriceCatalog::parse("[[price]]\nprovider = \"X\"\n", "p.toml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "p.toml: price[0]: missing field 'instance'");
}

TEST(PriceCatalog, InconsistentPerDevicePriceIsRejected) {
  auto r = PriceCatalog::parse(R"(
[[price]]
provider = "X"
instance = "x8"
hardware = "h100-sxm"
device_count = 8
usd_per_hour = 16
usd_per_device_hour = 3
pricing = "on-demand"
date = "2026-01-01"
source = "test"
)",
                               "p.toml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "p.toml: price[0].usd_per_device_hour: expected usd_per_hour / device_count = 2.0000, got 3");
}

}  // namespace
}  // namespace flopscope
