#include "flopscope/plan/edge.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "flopscope/data/embedded.h"
#include "flopscope/plan/price_catalog.h"
#include "flopscope/plan/rank.h"
#include "flopscope/util/limits.h"
#include "flopscope/util/units.h"
#include "flopscope/util/toml_parse.h"
#include "flopscope/util/toml_reader.h"

namespace flopscope {
namespace {

constexpr double kSecondsPerDay = 86400;
constexpr double kDaysPerYear = 365;
/// The break-even search stops here (about 11,600 requests per second) or where the number
/// of unit steps to walk would pass kMaxSteps.
constexpr double kMaxRequestsPerDay = 1e9;
constexpr double kMaxSteps = 4e6;

}  // namespace

// ------------------------------------------------------------------------------ OwnedCatalog

Result<OwnedCatalog> OwnedCatalog::parse(std::string_view toml, std::string_view origin) {
  auto doc = parse_toml(toml, origin);
  if (!doc) return doc.error();
  const TomlReader root(origin);
  if (auto e = root.check_keys(*doc, {"defaults", "device"})) return *e;
  OwnedCatalog c;
  const toml::table* d = nullptr;
  if (auto e = root.sub_table(*doc, "defaults", d)) return *e;
  if (!d) return root.at("defaults", "missing, expected a [defaults] table");
  const TomlReader dr = root.nested("defaults");
  if (auto e = dr.check_keys(*d, {"lifetime_years", "lifetime_note", "usd_per_kwh", "what", "url", "date", "region"})) return *e;
  if (auto e = dr.read(*d, "lifetime_years", Sign::kPositive, c.defaults_.lifetime_years)) return *e;
  if (auto e = dr.read(*d, "lifetime_note", c.defaults_.lifetime_note)) return *e;
  if (auto e = dr.read(*d, "usd_per_kwh", Sign::kPositive, c.defaults_.usd_per_kwh)) return *e;
  if (!(c.defaults_.usd_per_kwh > 0)) return dr.at("usd_per_kwh", "missing, expected the electricity price in USD per kWh");
  if (auto e = dr.read(*d, "what", c.defaults_.usd_per_kwh_source.what)) return *e;
  if (auto e = dr.read(*d, "url", c.defaults_.usd_per_kwh_source.url)) return *e;
  if (auto e = dr.read(*d, "date", c.defaults_.usd_per_kwh_source.date)) return *e;
  if (c.defaults_.usd_per_kwh_source.url.empty()) return dr.at("url", "missing, expected the electricity price's source");
  if (auto e = dr.read(*d, "region", c.defaults_.region)) return *e;
  if (!c.defaults_.region.empty()) {
    auto g = CarbonCatalog::builtin().find(c.defaults_.region);
    if (!g) return dr.at("region", g.error().message);
  }
  const toml::table* devices = nullptr;
  if (auto e = root.sub_table(*doc, "device", devices)) return *e;
  if (!devices) return c;
  for (const auto& [key, node] : *devices) {
    std::string id(key.str());
    const TomlReader r = root.nested("device").nested(id);
    const toml::table* t = node.as_table();
    if (!t) return root.expected("device." + id, "a table", node);
    if (auto e = r.check_keys(*t, {"purchase_usd", "what", "sources"})) return *e;
    auto hw = HardwareCatalog::builtin().find(id);
    if (!hw) return r.at("", hw.error().message);
    OwnedPrice p;
    p.hardware_id = (*hw)->id;
    if (auto e = r.read(*t, "purchase_usd", Sign::kPositive, p.purchase_usd)) return *e;
    if (!(p.purchase_usd > 0)) return r.at("purchase_usd", "missing, expected the purchase price in USD");
    if (auto e = r.read(*t, "what", p.what)) return *e;
    if (const toml::node* n = t->get("sources")) {
      if (auto st = read_sources(*n, origin, "device." + id + ".sources", p.sources); !st) return st.error();
    }
    if (p.sources.empty()) return r.at("sources", "missing, expected at least one source for the price");
    c.prices_.push_back(std::move(p));
  }
  return c;
}

const OwnedCatalog& OwnedCatalog::builtin() {
  static const OwnedCatalog catalog = data::parse_embedded("edge/owned.toml", &OwnedCatalog::parse);
  return catalog;
}

const OwnedPrice* OwnedCatalog::find(std::string_view hardware_id) const {
  for (const auto& p : prices_) {
    if (p.hardware_id == hardware_id) return &p;
  }
  return nullptr;
}

std::vector<std::string> default_edge_devices() {
  std::vector<std::string> ids = {"jetson-orin-nano-super", "jetson-agx-orin-64gb", "apple-m2-ultra", "rtx-4090",
                                  "epyc-9654"};
  for (const auto& p : OwnedCatalog::builtin().all()) {
    if (std::find(ids.begin(), ids.end(), p.hardware_id) == ids.end()) ids.push_back(p.hardware_id);
  }
  return ids;
}

std::vector<Environment> priced_cloud_environments(int64_t devices) {
  std::vector<Environment> out;
  std::set<std::string> seen;
  for (const InstancePrice& p : PriceCatalog::builtin().all()) {
    if (!p.current || !seen.insert(p.hardware_id).second) continue;
    auto e = catalog_environment(p.hardware_id);
    if (!e) continue;
    e->devices = devices;
    if (devices > 1) e->name = fmt::format("{}-x{}", p.hardware_id, devices);
    out.push_back(*e);
  }
  return out;
}

Status validate(const EdgeRequest& r) {
  auto count = [](const char* flag, int64_t v, int64_t max) -> Status {
    if (v <= 0 || v > max) return bad_input(fmt::format("{}: expected an integer in [1, {}], got {}", flag, max, v));
    return {};
  };
  if (auto s = count("--prompt", r.prompt, limits::kPositions); !s) return s;
  if (auto s = count("--output", r.output, limits::kPositions); !s) return s;
  if (auto s = count("--batch", r.batch, limits::kBatch); !s) return s;
  if (r.prompt + r.output > limits::kPositions) {
    return bad_input(fmt::format("--prompt + --output: expected at most {} tokens, got {}", limits::kPositions, r.prompt + r.output));
  }
  auto range = [](const char* flag, double v, double lo, double hi, bool zero_ok) -> Status {
    if (zero_ok && v == 0) return {};
    if (!(v > lo && v <= hi)) return bad_input(fmt::format("{}: expected a number in ({:g}, {:g}], got {}", flag, lo, hi, v));
    return {};
  };
  if (auto s = range("--requests-per-day", r.requests_per_day, 0, kMaxRequestsPerDay, false); !s) return s;
  if (auto s = range("--utilization", r.utilization, 0, 1, false); !s) return s;
  if (auto s = range("--lifetime-years", r.lifetime_years, 0, 50, true); !s) return s;
  if (auto s = range("--usd-per-kwh", r.usd_per_kwh, 0, 100, true); !s) return s;
  if (auto s = validate_grams_per_kwh(r.edge_carbon_g_per_kwh, "--edge-carbon-g-per-kwh"); !s) return s;
  for (const auto& [id, usd] : r.purchase_usd) {
    if (!(usd > 0 && usd <= 1e9)) return bad_input(fmt::format("--purchase-usd: {}: expected a price in (0, 1e9] USD, got {}", id, usd));
    if (auto hw = HardwareCatalog::builtin().find(id); !hw) return bad_input("--purchase-usd: " + hw.error().message);
  }
  for (const auto& id : r.edge_devices) {
    if (auto hw = HardwareCatalog::builtin().find(id); !hw) return bad_input("--edge: " + hw.error().message);
  }
  return {};
}

int64_t units_at(const EdgeOption& o, double v) {
  if (!(o.requests_per_day_per_unit > 0)) return 1;
  return std::max<int64_t>(1, static_cast<int64_t>(std::ceil(v / o.requests_per_day_per_unit - 1e-12)));
}

std::optional<double> usd_per_day_at(const EdgeOption& o, double v) {
  if (!o.usd_per_day_unit) return std::nullopt;
  return static_cast<double>(units_at(o, v)) * *o.usd_per_day_unit + v * o.usd_per_request_marginal;
}

namespace {

// The dtype an option computes in: the requested one when the hardware has a peak for it,
// else fp16, else fp32 compute with 16-bit weights (Apple GPUs, AMD CPUs: docs/edge.md).
void choose_dtype(Environment& env, std::optional<DType> wanted) {
  const Hardware* hw = *HardwareCatalog::builtin().find(env.hardware_id);
  const DType want = wanted.value_or(DType::kBF16);
  env.dtype = want;
  if (hw->supports(want)) return;
  if (!wanted && hw->supports(DType::kFP16)) {
    env.dtype = DType::kFP16;
  } else if (hw->supports(DType::kFP32)) {
    env.dtype = DType::kFP32;
    env.weights = want == DType::kFP32 ? DType::kFP32 : DType::kFP16;
  }
}

double idle_watts(const EnergyEstimate& e) {
  return e.knowledge == PowerKnowledge::kIdleToBoard ? e.watts_idle : e.watts_board;
}

// Fills the timing, capacity, cost coefficients and energy of one option from its run.
void fill(EdgeOption& o, const JobRun& round, const JobRun& first, const EdgeRequest& rq, double usd_per_day_unit_known,
          bool has_price, double usd_per_kwh) {
  o.run = round;
  o.fits = round.fits;
  o.seconds_latency = round.seconds;
  o.seconds_first_token = first.seconds;
  const double batch = static_cast<double>(rq.batch);
  o.requests_per_day_per_unit = round.seconds > 0 ? rq.utilization * kSecondsPerDay / round.seconds * batch : 0;
  o.units = units_at(o, rq.requests_per_day);
  const double n = static_cast<double>(round.devices);
  if (round.has_power()) {
    const double pue = round.energy.pue;
    const double idle = idle_watts(round.energy);
    o.energy_upper_bound = round.energy.knowledge == PowerKnowledge::kBoardOnly;
    const double joules_above_idle = std::max(0.0, round.joules - n * idle * round.seconds * pue);
    if (o.edge) o.usd_per_request_marginal = joules_above_idle / batch / kJoulesPerKwh * usd_per_kwh;
    const double v = rq.requests_per_day;
    const double joules_day = static_cast<double>(o.units) * n * idle * kSecondsPerDay * pue + v / batch * joules_above_idle;
    o.joules_per_request = joules_day / v;
    if (o.edge) usd_per_day_unit_known += idle * 24 / 1000 * usd_per_kwh;
  }
  if (has_price) {
    o.usd_per_day_unit = usd_per_day_unit_known;
    o.usd_per_day = usd_per_day_at(o, rq.requests_per_day);
    o.usd_per_request = *o.usd_per_day / rq.requests_per_day;
  }
  o.grams_co2_per_request = grams_co2_of(o.joules_per_request, o.carbon);
}

// sign(edge - cheapest cloud) < 0 at V: edge cheaper.
struct Gap {
  const EdgeOption* edge;
  std::vector<const EdgeOption*> clouds;
  double at(double v) const {
    double best = std::numeric_limits<double>::infinity();
    for (const EdgeOption* c : clouds) best = std::min(best, *usd_per_day_at(*c, v));
    return *usd_per_day_at(*edge, v) - best;
  }
};

// The break-even of `edge` against the cheapest of `clouds` (header comment).
void break_even(EdgeOption& edge, const std::vector<const EdgeOption*>& clouds, double& searched) {
  Gap gap{&edge, clouds};
  const bool cheaper_at_one = gap.at(1) < 0;
  edge.edge_cheaper_below = cheaper_at_one;
  // Step points: V where some option adds a unit (integer requests: floor(k x capacity) + 1).
  double v_max = kMaxRequestsPerDay;
  std::vector<const EdgeOption*> all = clouds;
  all.push_back(&edge);
  double steps = 0;
  for (const EdgeOption* o : all) steps += v_max / o->requests_per_day_per_unit;
  if (steps > kMaxSteps) v_max = std::max(1.0, std::floor(v_max * kMaxSteps / steps));
  searched = std::max(searched, v_max);
  std::vector<double> points = {1};
  for (const EdgeOption* o : all) {
    for (double k = 1;; ++k) {
      double p = std::floor(k * o->requests_per_day_per_unit) + 1;
      if (p > v_max) break;
      points.push_back(p);
    }
  }
  points.push_back(v_max + 1);
  std::sort(points.begin(), points.end());
  points.erase(std::unique(points.begin(), points.end()), points.end());
  auto flipped = [&](double v) { return (gap.at(v) < 0) != cheaper_at_one; };
  for (size_t i = 0; i + 1 < points.size(); ++i) {
    const double a = points[i], b = points[i + 1] - 1;  // units constant on [a, b]
    if (flipped(a)) {
      edge.break_even_requests_per_day = a;
      return;
    }
    if (b <= a || !flipped(b)) continue;
    // Linear on [a, b]: the root of gap(v) = ga + (gb - ga) (v - a) / (b - a), then the first
    // integer past it on the flipped side.
    const double ga = gap.at(a), gb = gap.at(b);
    double v = std::clamp(std::ceil(a + ga * (b - a) / (ga - gb)), a + 1, b);
    while (v > a + 1 && flipped(v - 1)) --v;
    while (v < b && !flipped(v)) ++v;
    edge.break_even_requests_per_day = v;
    return;
  }
  edge.break_even_note = fmt::format("{} at every volume up to {} requests/day", cheaper_at_one ? "edge is cheaper" : "cloud is cheaper",
                                     format_count(static_cast<int64_t>(v_max)));
}

}  // namespace

Result<EdgeComparison> compare_edge_cloud(const TransformerSpec& spec, EdgeRequest rq) {
  if (auto s = validate(rq); !s) return s.error();
  const OwnedCatalog& owned = OwnedCatalog::builtin();
  EdgeComparison out;
  if (rq.lifetime_years <= 0) rq.lifetime_years = owned.defaults().lifetime_years;
  if (rq.usd_per_kwh <= 0) rq.usd_per_kwh = owned.defaults().usd_per_kwh;
  if (rq.edge_region.empty()) rq.edge_region = owned.defaults().region;
  out.lifetime_note = owned.defaults().lifetime_note;
  out.usd_per_kwh_source = rq.usd_per_kwh == owned.defaults().usd_per_kwh
                               ? owned.defaults().usd_per_kwh_source.what + " (" + owned.defaults().usd_per_kwh_source.url + ")"
                               : "given";
  if (rq.edge_devices.empty()) rq.edge_devices = default_edge_devices();
  if (rq.cloud.empty()) rq.cloud = priced_cloud_environments();

  Job job;
  job.mode = JobMode::kInfer;
  job.requests = rq.batch;
  job.batch = rq.batch;
  job.prompt = rq.prompt;
  job.output = rq.output;
  Job first = job;
  first.output = 1;

  auto run_option = [&](EdgeOption& o, const Environment& env) -> Status {
    auto round = run_job(spec, job, env);
    if (!round) {
      o.note = "cannot run: " + round.error().message;
      return {};
    }
    o.devices = round->devices;
    o.dtype = round->dtype;
    o.weights = round->weights;
    o.fits = round->fits;
    if (!round->fits) {
      o.note = round->fit_note;
      o.run = *round;
      return {};
    }
    auto one = run_job(spec, first, env);
    if (!one) return one.error();
    o.carbon = round->carbon;
    double usd_per_day_unit = 0;
    bool has_price = false;
    if (o.edge) {
      double purchase = 0;
      if (auto it = rq.purchase_usd.find(env.hardware_id); it != rq.purchase_usd.end()) {
        purchase = it->second;
        o.price_source = "given";
      } else if (const OwnedPrice* p = owned.find(env.hardware_id)) {
        purchase = p->purchase_usd;
        o.price_source = fmt::format("{} ${:g} ({}, {})", p->what, p->purchase_usd, p->sources.front().url, p->sources.front().date);
      }
      has_price = purchase > 0;
      usd_per_day_unit = purchase / (rq.lifetime_years * kDaysPerYear);
      if (!has_price) o.note = "no purchase price (give one with --purchase-usd " + env.hardware_id + "=USD)";
    } else {
      has_price = round->has_price();
      usd_per_day_unit = static_cast<double>(round->devices) * round->usd_per_device_hour * 24;
      o.price_source = round->price_source;
      if (!has_price) o.note = "no price";
    }
    fill(o, *round, *one, rq, usd_per_day_unit, has_price, rq.usd_per_kwh);
    o.compared = has_price;
    return {};
  };

  // Edge devices: one device each, PUE 1, the edge's grid.
  for (const std::string& id : rq.edge_devices) {
    auto env = catalog_environment(id);
    if (!env) return env.error();
    choose_dtype(*env, rq.dtype);
    env->pue = 1;
    env->region = rq.edge_region;
    env->carbon_g_per_kwh = rq.edge_carbon_g_per_kwh;
    EdgeOption o;
    o.edge = true;
    o.name = env->hardware_id;
    o.hardware = env->hardware_id;
    if (auto st = run_option(o, *env); !st) return st.error();
    out.options.push_back(std::move(o));
  }
  // Cloud: the fewest devices (1, 2, 4, 8) on which the model fits.
  for (Environment env : rq.cloud) {
    choose_dtype(env, rq.dtype);
    if (auto scaled = scale_to_fit(spec, job, env, {1, 2, 4, 8})) env = std::move(*scaled);
    EdgeOption o;
    o.name = env.name;
    o.hardware = env.hardware_id;
    if (auto st = run_option(o, env); !st) return st.error();
    out.options.push_back(std::move(o));
  }

  // Each group cheapest first at the volume; options not compared last, in input order.
  std::stable_sort(out.options.begin(), out.options.end(), [](const EdgeOption& a, const EdgeOption& b) {
    if (a.edge != b.edge) return a.edge;
    if (a.compared != b.compared) return a.compared;
    return a.compared && *a.usd_per_request < *b.usd_per_request;
  });
  std::vector<const EdgeOption*> clouds;
  for (size_t i = 0; i < out.options.size(); ++i) {
    const EdgeOption& o = out.options[i];
    if (!o.compared) continue;
    if (o.edge && !out.cheapest_edge) out.cheapest_edge = i;
    if (!o.edge) {
      if (!out.cheapest_cloud) out.cheapest_cloud = i;
      clouds.push_back(&o);
    }
  }
  for (EdgeOption& o : out.options) {
    if (!o.edge || !o.compared) continue;
    if (clouds.empty()) {
      o.break_even_note = "no cloud option to compare with";
      continue;
    }
    break_even(o, clouds, out.requests_per_day_searched);
  }
  out.request = std::move(rq);
  return out;
}

}  // namespace flopscope
