// Edge or cloud (plan/edge.h) and the carbon of runs (plan/carbon.h): owned-cost data,
// break-even volume checked against the per-request costs the comparison reports, costs
// monotone in volume, a model too big for a device reported as not fitting, and CO2e as
// energy times the intensity of the right region.
#include "flopscope/plan/edge.h"

#include <gtest/gtest.h>

#include <cmath>

#include "flopscope/model/load.h"

namespace flopscope {
namespace {

const TransformerSpec& small_model() {
  static const TransformerSpec spec = *load_model("llama-3.2-1b");
  return spec;
}

EdgeRequest request(double per_day) {
  EdgeRequest r;
  r.prompt = 512;
  r.output = 128;
  r.batch = 1;
  r.requests_per_day = per_day;
  r.edge_devices = {"jetson-orin-nano-super", "rtx-4090"};
  r.cloud = {*catalog_environment("l4"), *catalog_environment("h100-sxm")};
  return r;
}

// Prefill-heavy requests: the M2 Ultra (fp32, 21.5 TFLOP/s) is cheap to keep but slow, an
// H100 replica dear but ~40x faster, so the cloud wins at a high enough volume.
EdgeRequest prefill_heavy(double per_day) {
  EdgeRequest r;
  r.prompt = 2048;
  r.output = 4;
  r.batch = 16;
  r.requests_per_day = per_day;
  r.edge_devices = {"apple-m2-ultra"};
  r.cloud = {*catalog_environment("h100-sxm")};
  return r;
}

const EdgeOption* find(const EdgeComparison& c, const std::string& name) {
  for (const auto& o : c.options) {
    if (o.name == name) return &o;
  }
  return nullptr;
}

double cheapest_cloud_per_request(const EdgeComparison& c) {
  double best = INFINITY;
  for (const auto& o : c.options) {
    if (!o.edge && o.compared) best = std::min(best, *o.usd_per_request);
  }
  return best;
}

TEST(OwnedCatalog, BuiltinPricesAreSourcedCatalogDevices) {
  const OwnedCatalog& c = OwnedCatalog::builtin();
  EXPECT_GT(c.defaults().usd_per_kwh, 0);
  EXPECT_FALSE(c.defaults().usd_per_kwh_source.url.empty());
  EXPECT_EQ(c.defaults().lifetime_years, 3);
  ASSERT_FALSE(c.all().empty());
  for (const auto& p : c.all()) {
    EXPECT_TRUE(HardwareCatalog::builtin().find(p.hardware_id).ok()) << p.hardware_id;
    EXPECT_GT(p.purchase_usd, 0) << p.hardware_id;
    ASSERT_FALSE(p.sources.empty()) << p.hardware_id;
    EXPECT_FALSE(p.sources.front().url.empty()) << p.hardware_id;
  }
  EXPECT_DOUBLE_EQ(c.find("rtx-4090")->purchase_usd, 1599);
}

TEST(OwnedCatalog, ParseErrorsNameTheField) {
  const std::string defaults =
      "[defaults]\nlifetime_years = 3\nusd_per_kwh = 0.1\nwhat = \"w\"\nurl = \"u\"\ndate = \"d\"\n";
  auto bad = OwnedCatalog::parse(defaults + "[device.rtx-4090]\npurchase_usd = -1\nwhat = \"x\"\n", "owned.toml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "owned.toml: device.rtx-4090.purchase_usd: expected a positive number, got -1");
  auto unknown = OwnedCatalog::parse(defaults + "[device.rtx-4900]\npurchase_usd = 1\n", "owned.toml");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("unknown hardware 'rtx-4900', did you mean 'rtx-4090'?"), std::string::npos)
      << unknown.error().message;
  auto unsourced = OwnedCatalog::parse(defaults + "[device.rtx-4090]\npurchase_usd = 1\n", "owned.toml");
  ASSERT_FALSE(unsourced.ok());
  EXPECT_EQ(unsourced.error().message, "owned.toml: device.rtx-4090.sources: missing, expected at least one source for the price");
}

TEST(Edge, CostCoefficientsFollowTheOwnedAndHourlyModels) {
  auto c = compare_edge_cloud(small_model(), request(1000));
  ASSERT_TRUE(c.ok()) << c.error().message;
  const EdgeOption* rtx = find(*c, "rtx-4090");
  ASSERT_NE(rtx, nullptr);
  ASSERT_TRUE(rtx->compared) << rtx->note;
  // 1599 over 3 years plus board power (no idle figure: an upper bound) all day.
  const double kwh_price = OwnedCatalog::builtin().defaults().usd_per_kwh;
  EXPECT_TRUE(rtx->energy_upper_bound);
  EXPECT_NEAR(*rtx->usd_per_day_unit, 1599 / (3 * 365.0) + 450 * 24 / 1000.0 * kwh_price, 1e-9);
  // Board power throughout: nothing above idle, so no marginal energy cost.
  EXPECT_NEAR(rtx->usd_per_request_marginal, 0, 1e-15);
  const EdgeOption* l4 = find(*c, "l4");
  ASSERT_NE(l4, nullptr);
  ASSERT_TRUE(l4->compared) << l4->note;
  EXPECT_NEAR(*l4->usd_per_day_unit, l4->devices * l4->run.usd_per_device_hour * 24, 1e-9);
  // Capacity: utilization x seconds per day / latency.
  EXPECT_NEAR(l4->requests_per_day_per_unit, 0.5 * 86400 / l4->seconds_latency, 1e-6);
  // Cost per request at the volume is the day's cost over the volume.
  EXPECT_NEAR(*l4->usd_per_request, *usd_per_day_at(*l4, 1000) / 1000, 1e-12);
}

TEST(Edge, BreakEvenIsWhereTheReportedPerRequestCostsCross) {
  auto c = compare_edge_cloud(small_model(), prefill_heavy(1000));
  ASSERT_TRUE(c.ok()) << c.error().message;
  const EdgeOption* mac = find(*c, "apple-m2-ultra");
  ASSERT_NE(mac, nullptr);
  ASSERT_TRUE(mac->compared) << mac->note;
  EXPECT_EQ(mac->dtype, DType::kFP32);  // no sourced 16-bit peak: fp32 compute, fp16 weights
  EXPECT_EQ(mac->weights, DType::kFP16);
  ASSERT_TRUE(mac->break_even_requests_per_day.has_value()) << mac->break_even_note;
  const double v = *mac->break_even_requests_per_day;
  EXPECT_TRUE(mac->edge_cheaper_below);  // one Mac a day costs less than one H100 replica a day
  // Independently: the per-request costs the comparison reports at a volume, just under and
  // at the break-even, are on opposite sides.
  auto edge_minus_cloud = [&](double per_day) {
    auto at = compare_edge_cloud(small_model(), prefill_heavy(per_day));
    EXPECT_TRUE(at.ok());
    return *find(*at, "apple-m2-ultra")->usd_per_request - cheapest_cloud_per_request(*at);
  };
  EXPECT_LT(edge_minus_cloud(1), 0);
  EXPECT_LT(edge_minus_cloud(v - 1), 0) << "just under the break-even " << v;
  EXPECT_GE(edge_minus_cloud(v), 0) << "at the break-even " << v;
  EXPECT_GT(edge_minus_cloud(10 * v), 0) << "far past it the cloud is cheaper";
  // And no volume under it is on the cloud's side: a scan of the reported coefficients.
  std::vector<const EdgeOption*> clouds;
  for (const auto& o : c->options) {
    if (!o.edge && o.compared) clouds.push_back(&o);
  }
  ASSERT_FALSE(clouds.empty());
  for (double x = 1; x < v; x += std::max(1.0, std::floor(v / 5000))) {
    double best = INFINITY;
    for (const EdgeOption* o : clouds) best = std::min(best, *usd_per_day_at(*o, x));
    ASSERT_LT(*usd_per_day_at(*mac, x), best) << "at " << x;
  }
}

TEST(Edge, CheapDevicesBeatOnDemandReplicasAtEveryVolume) {
  // A $249 Jetson serving a 1B model costs less per request than a whole L4 or H100 replica
  // at any volume: no break-even, and the output says why.
  auto c = compare_edge_cloud(small_model(), request(1000));
  ASSERT_TRUE(c.ok());
  const EdgeOption* nano = find(*c, "jetson-orin-nano-super");
  ASSERT_TRUE(nano->compared) << nano->note;
  EXPECT_FALSE(nano->break_even_requests_per_day.has_value());
  EXPECT_EQ(nano->break_even_note.rfind("edge is cheaper at every volume up to", 0), 0u) << nano->break_even_note;
}

TEST(Edge, CostsAreMonotoneInVolume) {
  auto c = compare_edge_cloud(small_model(), request(1000));
  ASSERT_TRUE(c.ok());
  for (const auto& o : c->options) {
    if (!o.compared) continue;
    double last_day = 0;
    int64_t last_units = 0;
    for (double v = 1; v < 20 * o.requests_per_day_per_unit; v *= 1.37) {
      double day = *usd_per_day_at(o, v);
      EXPECT_GE(day, last_day) << o.name << " at " << v;  // more requests never cost less in all
      EXPECT_GE(units_at(o, v), last_units) << o.name;
      last_day = day;
      last_units = units_at(o, v);
    }
    // Within one unit, the cost per request falls as the volume grows.
    const double cap = o.requests_per_day_per_unit;
    if (cap > 4) {
      EXPECT_LT(*usd_per_day_at(o, cap) / cap, *usd_per_day_at(o, cap / 4) / (cap / 4)) << o.name;
    }
  }
  // The comparison at a larger volume needs at least as many units of each option.
  auto big = compare_edge_cloud(small_model(), request(1e6));
  ASSERT_TRUE(big.ok());
  for (const auto& o : big->options) {
    if (!o.compared) continue;
    EXPECT_GE(o.units, find(*c, o.name)->units) << o.name;
  }
}

TEST(Edge, ModelTooBigForAnEdgeDeviceIsReportedAsNotFitting) {
  EdgeRequest r = request(1000);
  r.edge_devices = {"jetson-orin-nano-super"};
  auto c = compare_edge_cloud(*load_model("llama-3.1-70b"), r);
  ASSERT_TRUE(c.ok()) << c.error().message;
  const EdgeOption* nano = find(*c, "jetson-orin-nano-super");
  ASSERT_NE(nano, nullptr);
  EXPECT_FALSE(nano->fits);
  EXPECT_FALSE(nano->compared);
  EXPECT_NE(nano->note.find("does not fit"), std::string::npos) << nano->note;
  EXPECT_FALSE(nano->break_even_requests_per_day.has_value());
}

TEST(Edge, DeviceWithoutAPriceIsNotComparedAndSaysHowToGiveOne) {
  EdgeRequest r = request(1000);
  r.edge_devices = {"jetson-agx-orin-64gb"};
  auto c = compare_edge_cloud(small_model(), r);
  ASSERT_TRUE(c.ok());
  const EdgeOption* agx = find(*c, "jetson-agx-orin-64gb");
  ASSERT_NE(agx, nullptr);
  EXPECT_FALSE(agx->compared);
  EXPECT_NE(agx->note.find("--purchase-usd jetson-agx-orin-64gb=USD"), std::string::npos) << agx->note;
  r.purchase_usd["jetson-agx-orin-64gb"] = 2000;
  auto priced = compare_edge_cloud(small_model(), r);
  ASSERT_TRUE(priced.ok());
  EXPECT_TRUE(find(*priced, "jetson-agx-orin-64gb")->compared);
}

TEST(Edge, BadInputNamesTheFlag) {
  EdgeRequest r = request(0);
  auto c = compare_edge_cloud(small_model(), r);
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().message, "--requests-per-day: expected a number in (0, 1e+09], got 0");
  r = request(10);
  r.utilization = 1.5;
  EXPECT_EQ(compare_edge_cloud(small_model(), r).error().message, "--utilization: expected a number in (0, 1], got 1.5");
  r = request(10);
  r.edge_devices = {"jetson-nano-supr"};
  EXPECT_FALSE(compare_edge_cloud(small_model(), r).ok());
}

TEST(Edge, EdgeCarbonIsEnergyTimesTheEdgeRegion) {
  EdgeRequest r = request(5000);
  r.edge_region = "fr";
  auto fr = compare_edge_cloud(small_model(), r);
  r.edge_region = "in";
  auto in = compare_edge_cloud(small_model(), r);
  ASSERT_TRUE(fr.ok() && in.ok());
  const EdgeOption* a = find(*fr, "rtx-4090");
  const EdgeOption* b = find(*in, "rtx-4090");
  EXPECT_NEAR(*a->grams_co2_per_request, *a->joules_per_request / 3.6e6 * 56, 1e-12);
  EXPECT_NEAR(*b->grams_co2_per_request, *b->joules_per_request / 3.6e6 * 713, 1e-12);
}

// --------------------------------------------------------------------------- carbon of runs

Job serving() {
  Job j;
  j.mode = JobMode::kInfer;
  j.requests = 64;
  j.batch = 8;
  j.prompt = 512;
  j.output = 64;
  return j;
}

TEST(Carbon, RunChargesItsRegionsIntensity) {
  Environment env = *catalog_environment("h100-sxm");
  env.region = "us-east-1";
  JobRun virginia = *run_job(small_model(), serving(), env);
  ASSERT_TRUE(virginia.has_carbon());
  EXPECT_NEAR(virginia.grams_co2, virginia.joules / 3.6e6 * 343.48, 1e-9 * virginia.grams_co2);
  env.region = "us-east1";  // GCP South Carolina, not AWS Virginia
  JobRun carolina = *run_job(small_model(), serving(), env);
  EXPECT_NEAR(carolina.grams_co2, carolina.joules / 3.6e6 * 579.44, 1e-9 * carolina.grams_co2);
  EXPECT_NEAR(carolina.grams_co2 / virginia.grams_co2, 579.44 / 343.48, 1e-9);
}

TEST(Carbon, DefaultsToThePricesRegionAndGivenIntensityWins) {
  Environment env = *catalog_environment("h100-sxm");
  env.provider = "AWS";  // p5.48xlarge, us-east-1
  JobRun aws = *run_job(small_model(), serving(), env);
  ASSERT_TRUE(aws.carbon.known());
  EXPECT_EQ(aws.carbon.region, "us-east-1");
  EXPECT_NEAR(aws.grams_co2, aws.joules / 3.6e6 * 343.48, 1e-9 * aws.grams_co2);
  env.provider = "GCP";  // a3-highgpu-8g, us-central1
  JobRun gcp = *run_job(small_model(), serving(), env);
  EXPECT_EQ(gcp.carbon.region, "us-central1");
  EXPECT_NEAR(gcp.grams_co2, gcp.joules / 3.6e6 * 431.95, 1e-9 * gcp.grams_co2);
  env.carbon_g_per_kwh = 100;
  JobRun given = *run_job(small_model(), serving(), env);
  EXPECT_EQ(given.carbon.source, "given");
  EXPECT_NEAR(given.grams_co2, given.joules / 3.6e6 * 100, 1e-9 * given.grams_co2);
}

TEST(Carbon, ApplyCarbonChecksTheRegion) {
  std::vector<Environment> envs = {*catalog_environment("l4")};
  auto st = apply_carbon("us-eats-1", 0, envs);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message, "--region: unknown region 'us-eats-1', did you mean 'us-east-1'?; see data/carbon/grid.toml");
  ASSERT_TRUE(apply_carbon("Germany", 0, envs).ok());
  EXPECT_EQ(envs[0].region, "de");
  EXPECT_EQ(format_co2(1832), "1.83 kg CO2e");
  EXPECT_EQ(format_co2(std::nullopt), "not known");
}

TEST(Carbon, EnvironmentFileRegionIsChecked) {
  auto bad = parse_environments("[env.a]\nhardware = \"l4\"\nregion = \"atlantis\"\n", "envs.toml");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message.rfind("envs.toml: env.a.region: unknown region 'atlantis'", 0), 0u) << bad.error().message;
  auto good = parse_environments("[env.a]\nhardware = \"l4\"\nregion = \"europe-west9\"\n", "envs.toml");
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(good->envs[0].region, "europe-west9");
}

}  // namespace
}  // namespace flopscope
