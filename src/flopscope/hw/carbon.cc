#include "flopscope/hw/carbon.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "flopscope/data/embedded.h"
#include "flopscope/util/spellcheck.h"
#include "flopscope/util/text.h"
#include "flopscope/util/toml_parse.h"
#include "flopscope/util/toml_reader.h"

namespace flopscope {

std::string GridIntensity::describe() const {
  std::string where = provider.empty() ? location : provider + ", " + location;
  return fmt::format("{} ({}): {:g} gCO2e/kWh, {}{} ({})", id, where, g_co2e_per_kwh, year,
                     basis.empty() ? "" : "; " + basis, source.url);
}

Result<CarbonCatalog> CarbonCatalog::parse(std::string_view toml, std::string_view origin) {
  auto doc = parse_toml(toml, origin);
  if (!doc) return doc.error();
  const TomlReader root(origin);
  if (auto e = root.check_keys(*doc, {"source", "grid"})) return *e;
  std::map<std::string, SourceRef> sources;
  const toml::table* src = nullptr;
  if (auto e = root.sub_table(*doc, "source", src)) return *e;
  if (src) {
    for (const auto& [key, node] : *src) {
      std::string id(key.str());
      const TomlReader r = root.nested("source").nested(id);
      const toml::table* t = node.as_table();
      if (!t) return root.expected("source." + id, "a table with what, url, date", node);
      if (auto e = r.check_keys(*t, {"what", "url", "date"})) return *e;
      SourceRef s;
      if (auto e = r.read(*t, "what", s.what)) return *e;
      if (auto e = r.read(*t, "url", s.url)) return *e;
      if (auto e = r.read(*t, "date", s.date)) return *e;
      if (s.what.empty() || s.url.empty() || s.date.empty()) return r.at("", "expected what, url and date");
      sources[id] = std::move(s);
    }
  }
  CarbonCatalog c;
  const toml::table* grid = nullptr;
  if (auto e = root.sub_table(*doc, "grid", grid)) return *e;
  if (!grid) return root.at("grid", "missing, expected [grid.<region>] tables");
  for (const auto& [key, node] : *grid) {
    GridIntensity g;
    g.id = ascii_lower(key.str());
    const TomlReader r = root.nested("grid").nested(key.str());
    const toml::table* t = node.as_table();
    if (!t) return root.expected("grid." + g.id, "a table", node);
    if (auto e = r.check_keys(*t, {"kind", "provider", "location", "aliases", "g_co2e_per_kwh", "year", "source", "basis"})) {
      return *e;
    }
    if (auto e = r.read(*t, "kind", g.kind)) return *e;
    if (g.kind != "cloud-region" && g.kind != "country" && g.kind != "world") {
      return r.at("kind", fmt::format("expected cloud-region, country or world, got '{}'", g.kind));
    }
    if (auto e = r.read(*t, "provider", g.provider)) return *e;
    if (auto e = r.read(*t, "location", g.location)) return *e;
    if (auto e = r.read(*t, "basis", g.basis)) return *e;
    if (const toml::node* a = t->get("aliases")) {
      const toml::array* arr = a->as_array();
      if (!arr) return r.expected("aliases", "an array of strings", *a);
      for (const auto& item : *arr) {
        if (!item.is_string()) return r.expected("aliases", "an array of strings", item);
        g.aliases.push_back(ascii_lower(item.as_string()->get()));
      }
    }
    std::optional<double> g_per_kwh;
    if (auto e = r.read(*t, "g_co2e_per_kwh", Sign::kPositive, g_per_kwh)) return *e;
    if (!g_per_kwh) return r.at("g_co2e_per_kwh", "missing, expected grams CO2e per kWh");
    if (*g_per_kwh > kMaxGramsPerKwh) {
      return r.at("g_co2e_per_kwh", fmt::format("expected at most {:g}, got {:g}", kMaxGramsPerKwh, *g_per_kwh));
    }
    g.g_co2e_per_kwh = *g_per_kwh;
    if (auto e = r.require(*t, "year", Sign::kPositive, g.year)) return *e;
    std::string source_id;
    if (auto e = r.read(*t, "source", source_id)) return *e;
    auto it = sources.find(source_id);
    if (it == sources.end()) {
      std::vector<std::string> known;
      for (const auto& [k, v] : sources) known.push_back(k);
      return r.at("source", fmt::format("expected the id of a [source.<id>] table, got '{}'{}", source_id,
                                        did_you_mean(source_id, known)));
    }
    g.source = it->second;
    c.entries_.push_back(std::move(g));
  }
  return c;
}

const CarbonCatalog& CarbonCatalog::builtin() {
  static const CarbonCatalog catalog = data::parse_embedded("carbon/grid.toml", &CarbonCatalog::parse);
  return catalog;
}

std::vector<std::string> CarbonCatalog::ids() const {
  std::vector<std::string> out;
  for (const auto& g : entries_) out.push_back(g.id);
  return out;
}

Result<const GridIntensity*> CarbonCatalog::find(std::string_view region) const {
  const std::string key = ascii_lower(region);
  for (const auto& g : entries_) {
    if (g.id == key) return &g;
  }
  for (const auto& g : entries_) {
    if (std::find(g.aliases.begin(), g.aliases.end(), key) != g.aliases.end()) return &g;
  }
  std::vector<std::string> names = ids();
  for (const auto& g : entries_) names.insert(names.end(), g.aliases.begin(), g.aliases.end());
  std::string hint = did_you_mean(key, names);
  if (hint.empty()) hint = " (known: cloud regions such as us-east-1, eastus, us-central1 and country codes such as us, de, fr)";
  return bad_input(fmt::format("unknown region '{}'{}; see data/carbon/grid.toml", region, hint));
}

double grams_co2e(double joules, double g_per_kwh) { return joules / kJoulesPerKilowattHour * g_per_kwh; }

Status validate_grams_per_kwh(double g_per_kwh, std::string_view field) {
  if (g_per_kwh == 0) return {};
  if (!(g_per_kwh > 0 && g_per_kwh <= kMaxGramsPerKwh)) {
    return bad_input(fmt::format("{}: expected a number in (0, {:g}] gCO2e/kWh, got {}", field, kMaxGramsPerKwh, g_per_kwh));
  }
  return {};
}

}  // namespace flopscope
