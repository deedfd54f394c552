#include "flopscope/api/edge.h"

#include <fmt/format.h>

#include <charconv>
#include <cmath>

#include "flopscope/api/options.h"
#include "flopscope/plan/edge.h"
#include "flopscope/report/table.h"
#include "flopscope/util/units.h"

namespace flopscope::api {

namespace {

Json opt(const std::optional<double>& v) { return v ? Json(*v) : Json(nullptr); }

Result<std::map<std::string, double>> parse_prices(const std::vector<std::string>& items) {
  std::map<std::string, double> out;
  for (const std::string& item : items) {
    const size_t eq = item.find('=');
    double usd = 0;
    const char* begin = eq == std::string::npos ? nullptr : item.data() + eq + 1;
    const char* end = item.data() + item.size();
    auto [ptr, ec] = begin ? std::from_chars(begin, end, usd) : std::from_chars_result{nullptr, std::errc::invalid_argument};
    if (eq == std::string::npos || eq == 0 || ec != std::errc() || ptr != end) {
      return bad_input(fmt::format("--purchase-usd: expected HARDWARE=USD (e.g. jetson-agx-orin-64gb=1999), got '{}'", item));
    }
    out[item.substr(0, eq)] = usd;
  }
  return out;
}

Json option_json(const EdgeOption& o) {
  Json j = {{"name", o.name},
            {"hardware", o.hardware},
            {"kind", o.edge ? "edge" : "cloud"},
            {"devices", o.devices},
            {"dtype", std::string(dtype_name(o.dtype))},
            {"weights", std::string(dtype_name(o.weights))},
            {"compared", o.compared},
            {"note", o.note.empty() ? Json(nullptr) : Json(o.note)},
            {"fits", o.fits}};
  if (!o.fits || o.seconds_latency <= 0) return j;
  j["seconds_latency"] = o.seconds_latency;
  j["seconds_first_token"] = o.seconds_first_token;
  j["requests_per_day_per_unit"] = o.requests_per_day_per_unit;
  j["units"] = o.units;
  j["usd_per_day_unit"] = opt(o.usd_per_day_unit);
  j["usd_per_request_marginal"] = o.usd_per_request_marginal;
  j["usd_per_day"] = opt(o.usd_per_day);
  j["usd_per_request"] = opt(o.usd_per_request);
  j["price_source"] = o.price_source;
  j["joules_per_request"] = opt(o.joules_per_request);
  j["energy_upper_bound"] = o.energy_upper_bound;
  j["grams_co2_per_request"] = opt(o.grams_co2_per_request);
  j["carbon"] = carbon_json(o.carbon);
  if (o.edge) {
    j["break_even_requests_per_day"] = opt(o.break_even_requests_per_day);
    j["edge_cheaper_below_break_even"] = o.edge_cheaper_below;
    j["break_even_note"] = o.break_even_note.empty() ? Json(nullptr) : Json(o.break_even_note);
  }
  return j;
}

std::string usd_small(double usd) {
  if (usd >= 1) return format_usd(usd);
  if (usd >= 0.01) return fmt::format("${:.3f}", usd);
  return fmt::format("${:.3g}", usd);
}

std::string joules_text(const std::optional<double>& j) {
  if (!j) return "not known";
  return *j >= 3600 ? format_si(*j / 3600, "Wh") : format_si(*j, "J");
}

}  // namespace

Result<Output> edge(const EdgeOptions& o, const Render& render) {
  EdgeRequest rq;
  rq.prompt = o.prompt;
  rq.output = o.output;
  rq.batch = o.batch;
  rq.requests_per_day = o.requests_per_day;
  rq.utilization = o.utilization;
  rq.lifetime_years = o.lifetime_years;
  rq.usd_per_kwh = o.usd_per_kwh;
  rq.edge_region = o.edge_region;
  rq.edge_carbon_g_per_kwh = o.edge_carbon_g_per_kwh;
  rq.edge_devices = o.edge;
  if (!o.dtype.empty()) {
    auto d = parse_dtype(o.dtype);
    if (!d) return d.error();
    rq.dtype = *d;
  }
  auto prices = parse_prices(o.purchase_usd);
  if (!prices) return prices.error();
  rq.purchase_usd = *prices;
  if (!rq.edge_region.empty()) {
    auto g = CarbonCatalog::builtin().find(rq.edge_region);
    if (!g) return bad_input("--edge-region: " + g.error().message);
  }
  if (auto s = validate(rq); !s) return s.error();
  EnvironmentSet set;
  if (!o.envs.empty()) {
    auto loaded = load_environments(o.envs);
    if (!loaded) return loaded.error();
    set = std::move(*loaded);
  }
  if (!o.cloud.empty()) {
    for (const std::string& name : o.cloud) {
      auto env = set.find(name);
      if (!env) return bad_input("--cloud: " + env.error().message);
      rq.cloud.push_back(*env);
    }
  } else if (!set.envs.empty()) {
    rq.cloud = set.envs;
  } else {
    rq.cloud = priced_cloud_environments();
  }
  if (auto st = apply_carbon(o.region, o.carbon_g_per_kwh, rq.cloud); !st) return st.error();
  auto spec = load_model_option(o.model, o.model_config);
  if (!spec) return spec.error();
  auto cmp = compare_edge_cloud(*spec, rq);
  if (!cmp) return cmp.error();
  const EdgeRequest& r = cmp->request;

  Output result;
  if (render.json) {
    Json options = Json::array();
    for (const EdgeOption& x : cmp->options) options.push_back(option_json(x));
    auto name_at = [&](const std::optional<size_t>& i) { return i ? Json(cmp->options[*i].name) : Json(nullptr); };
    result.json = {{"model", spec->name},
                   {"prompt", r.prompt},
                   {"output", r.output},
                   {"batch", r.batch},
                   {"requests_per_day", r.requests_per_day},
                   {"utilization", r.utilization},
                   {"lifetime_years", r.lifetime_years},
                   {"lifetime_note", cmp->lifetime_note},
                   {"usd_per_kwh", r.usd_per_kwh},
                   {"usd_per_kwh_source", cmp->usd_per_kwh_source},
                   {"edge_region", r.edge_region},
                   {"cheapest_edge", name_at(cmp->cheapest_edge)},
                   {"cheapest_cloud", name_at(cmp->cheapest_cloud)},
                   {"break_even_searched_to", cmp->requests_per_day_searched},
                   {"options", options}};
    return result;
  }

  std::string& s = result.text;
  s += style(render, fmt::format("{}: prompt {}, output {}, batch {}, {} requests/day", spec->name, r.prompt, r.output,
                                 r.batch, format_count(static_cast<int64_t>(std::llround(r.requests_per_day)))),
             "1") +
       "\n";
  s += fmt::format("Units sized for {} busy; edge owned: purchase over {:g} years + electricity at ${:g}/kWh; cloud: "
                   "on-demand hourly prices, 24 h a day\n\n",
                   format_percent(r.utilization), r.lifetime_years, r.usd_per_kwh);
  for (bool edge_group : {true, false}) {
    Table t({edge_group ? "edge device" : "cloud", "precision", "latency", "first token", "req/day/unit", "units",
             "$/request", "$/day", "energy/req", "CO2e/req", edge_group ? "break-even req/day" : ""},
            {false, false, true, true, true, true, true, true, true, true, true});
    for (const EdgeOption& x : cmp->options) {
      if (x.edge != edge_group || !x.compared) continue;
      std::string be;
      if (edge_group) {
        be = x.break_even_requests_per_day ? format_count(static_cast<int64_t>(*x.break_even_requests_per_day))
                                           : std::string("none");
      }
      t.add({x.name + (x.devices > 1 ? fmt::format(" x{}", x.devices) : ""),
             fmt::format("{}/{}", dtype_name(x.dtype), dtype_name(x.weights)), format_seconds(x.seconds_latency),
             format_seconds(x.seconds_first_token),
             format_count(static_cast<int64_t>(std::floor(x.requests_per_day_per_unit))), std::to_string(x.units),
             usd_small(*x.usd_per_request), format_usd(*x.usd_per_day),
             joules_text(x.joules_per_request) + (x.energy_upper_bound ? "*" : ""),
             x.grams_co2_per_request ? format_co2(*x.grams_co2_per_request) : std::string("not known"), be});
    }
    if (t.rows() > 0) s += t.render(2) + "\n";
  }
  if (cmp->cheapest_cloud) {
    const EdgeOption& c = cmp->options[*cmp->cheapest_cloud];
    for (const EdgeOption& x : cmp->options) {
      if (!x.edge || !x.compared) continue;
      if (x.break_even_requests_per_day) {
        s += fmt::format("  {}: {} than the cheapest cloud below {} requests/day, {} from there\n", x.name,
                         x.edge_cheaper_below ? "cheaper" : "dearer",
                         format_count(static_cast<int64_t>(*x.break_even_requests_per_day)),
                         x.edge_cheaper_below ? "dearer" : "cheaper");
      } else if (!x.break_even_note.empty()) {
        s += "  " + x.name + ": " + x.break_even_note + "\n";
      }
    }
    s += fmt::format("  (cheapest cloud at this volume: {}, {} per request)\n", c.name, usd_small(*c.usd_per_request));
  }
  bool any_upper = false;
  for (const EdgeOption& x : cmp->options) any_upper = any_upper || (x.compared && x.energy_upper_bound);
  if (any_upper) s += "  * board power all day (no idle figure): an upper bound\n";
  s += fmt::format("  edge grid: {}; cloud grid: {}\n", r.edge_carbon_g_per_kwh > 0 ? "given" : r.edge_region,
                   o.carbon_g_per_kwh > 0 ? std::string("given")
                   : !o.region.empty()    ? o.region
                                          : std::string("the region of each price (--region to set)"));
  bool header = false;
  for (const EdgeOption& x : cmp->options) {
    if (x.compared) continue;
    if (!header) s += "\nNot compared:\n";
    header = true;
    s += "  " + x.name + ": " + x.note + "\n";
  }
  return result;
}

Result<EdgeOptions> edge_options(const Json& j) {
  EdgeOptions o;
  OptionsReader r(j, "edge");
  r.model("model", o.model, o.model_config)
      .read("prompt", o.prompt)
      .read("output", o.output)
      .read("batch", o.batch)
      .read("requests_per_day", o.requests_per_day)
      .read("utilization", o.utilization)
      .read("edge", o.edge)
      .read("cloud", o.cloud)
      .read("envs", o.envs)
      .read("dtype", o.dtype)
      .read("lifetime_years", o.lifetime_years)
      .read("usd_per_kwh", o.usd_per_kwh)
      .read("purchase_usd", o.purchase_usd)
      .read("edge_region", o.edge_region)
      .read("edge_carbon_g_per_kwh", o.edge_carbon_g_per_kwh)
      .read("region", o.region)
      .read("carbon_g_per_kwh", o.carbon_g_per_kwh);
  if (auto st = r.done(); !st) return st.error();
  return o;
}

}  // namespace flopscope::api
