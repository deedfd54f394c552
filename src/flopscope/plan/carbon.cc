#include "flopscope/plan/carbon.h"

#include <fmt/format.h>

namespace flopscope {

Result<CarbonQuote> carbon_of(const Environment& env, const PriceQuote& price) {
  CarbonQuote q;
  if (env.carbon_g_per_kwh > 0) {
    q.g_per_kwh = env.carbon_g_per_kwh;
    q.region = env.region;
    q.source = "given";
    return q;
  }
  const CarbonCatalog& grid = CarbonCatalog::builtin();
  if (!env.region.empty()) {
    auto g = grid.find(env.region);
    if (!g) return bad_input(fmt::format("{}: region: {}", env.name, g.error().message));
    q.g_per_kwh = (*g)->g_co2e_per_kwh;
    q.region = (*g)->id;
    q.source = (*g)->describe();
    return q;
  }
  if (!price.region.empty()) {
    if (auto g = grid.find(price.region)) {
      q.g_per_kwh = (*g)->g_co2e_per_kwh;
      q.region = (*g)->id;
      q.source = (*g)->describe() + " (the region of its price)";
    }
  }
  return q;
}

std::optional<double> grams_co2_of(std::optional<double> joules, const CarbonQuote& quote) {
  if (!joules || !quote.known()) return std::nullopt;
  return grams_co2e(*joules, quote.g_per_kwh);
}

Status apply_carbon(const std::string& region, double g_per_kwh, std::vector<Environment>& envs,
                    std::string_view region_field, std::string_view g_field) {
  if (auto st = validate_grams_per_kwh(g_per_kwh, g_field); !st) return st;
  if (!region.empty()) {
    auto g = CarbonCatalog::builtin().find(region);
    if (!g) return bad_input(fmt::format("{}: {}", region_field, g.error().message));
    for (Environment& e : envs) e.region = (*g)->id;
  }
  if (g_per_kwh > 0) {
    for (Environment& e : envs) e.carbon_g_per_kwh = g_per_kwh;
  }
  return {};
}

nlohmann::json carbon_json(const CarbonQuote& q) {
  if (!q.known()) return nullptr;
  return {{"g_co2e_per_kwh", q.g_per_kwh},
          {"region", q.region.empty() ? nlohmann::json(nullptr) : nlohmann::json(q.region)},
          {"source", q.source}};
}

std::string format_co2(std::optional<double> grams) {
  if (!grams) return "not known";
  if (*grams >= 1e6) return fmt::format("{:.3g} t CO2e", *grams / 1e6);
  if (*grams >= 1e3) return fmt::format("{:.3g} kg CO2e", *grams / 1e3);
  if (*grams >= 1) return fmt::format("{:.3g} g CO2e", *grams);
  return fmt::format("{:.3g} mg CO2e", *grams * 1e3);
}

}  // namespace flopscope
