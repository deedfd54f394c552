// `flopscope edge` prints what api::edge returns (tests/api/cli_check.h), and rank and
// transition carry the carbon of the region their price comes from.
#include <gtest/gtest.h>

#include "cli_check.h"
#include "flopscope/api/api.h"

namespace flopscope::api {
namespace {

using cli_check::CliCase;

TEST(EdgeApi, CliJsonEqualsTheLibraryDocument) {
  cli_check::expect_same_document(
      {"edge", "edge llama-3.2-1b --prompt 256 --output 32 --requests-per-day 5000 --edge jetson-orin-nano-super,rtx-4090 --cloud l4",
       {{"model", "llama-3.2-1b"},
        {"prompt", 256},
        {"output", 32},
        {"requests_per_day", 5000},
        {"edge", {"jetson-orin-nano-super", "rtx-4090"}},
        {"cloud", {"l4"}}}});
}

TEST(EdgeApi, CliErrorsEqualTheLibraryErrors) {
  cli_check::expect_same_error({"edge", "edge llama-3.2-1b --prompt 256 --output 32 --requests-per-day 5000 --edge-region germnay",
                                {{"model", "llama-3.2-1b"}, {"prompt", 256}, {"output", 32}, {"requests_per_day", 5000},
                                 {"edge_region", "germnay"}}});
  cli_check::expect_same_error({"edge", "edge llama-3.2-1b --prompt 256 --output 32 --requests-per-day 5000 --purchase-usd rtx-4090",
                                {{"model", "llama-3.2-1b"}, {"prompt", 256}, {"output", 32}, {"requests_per_day", 5000},
                                 {"purchase_usd", {"rtx-4090"}}}});
  cli_check::expect_same_error({"rank", "rank llama-3.2-1b --mode infer --prompt 64 --output 8 --region us-centrall",
                                {{"model", "llama-3.2-1b"}, {"mode", "infer"}, {"prompt", 64}, {"output", 8},
                                 {"region", "us-centrall"}}});
}

TEST(EdgeApi, RankChargesEachPricesRegion) {
  auto doc = call("rank", {{"model", "llama-3.2-1b"}, {"mode", "infer"}, {"prompt", 64}, {"output", 8}, {"devices", 1}});
  ASSERT_TRUE(doc) << doc.error().message;
  int with_region = 0;
  for (const auto& e : (*doc)["environments"]) {
    if (!e.contains("carbon") || e["carbon"].is_null()) continue;
    if (e["joules"].is_null()) {  // a region but no power figure (tpu-v5p): CO2e not known, not 0
      EXPECT_TRUE(e["grams_co2"].is_null()) << e["env"];
      continue;
    }
    ++with_region;
    const double g = e["carbon"]["g_co2e_per_kwh"].get<double>();
    EXPECT_NEAR(e["grams_co2"].get<double>(), e["joules"].get<double>() / 3.6e6 * g, 1e-9 * e["grams_co2"].get<double>());
  }
  EXPECT_GT(with_region, 0);  // AWS / GCP / Azure prices name their region
  auto fr = call("rank", {{"model", "llama-3.2-1b"}, {"mode", "infer"}, {"prompt", 64}, {"output", 8}, {"devices", 1}, {"region", "fr"}});
  ASSERT_TRUE(fr);
  for (const auto& e : (*fr)["environments"]) {
    if (e["ranked"].get<bool>() && !e["joules"].is_null()) {
      EXPECT_EQ(e["carbon"]["g_co2e_per_kwh"].get<double>(), 56) << e["env"];
    }
  }
}

}  // namespace
}  // namespace flopscope::api
