// The price catalog (price_catalog.h): [[price]] tables of data/prices/*.toml.
#include "flopscope/plan/price_catalog.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <toml++/toml.h>

#include "flopscope/data/embedded.h"
#include "flopscope/util/toml_parse.h"
#include "flopscope/util/toml_reader.h"

namespace flopscope {

namespace {

// Listed prices are rounded: usd_per_device_hour x device_count may differ from
// usd_per_hour by a rounding error, not by more.
constexpr double kPriceTolerance = 0.01;

const std::vector<std::string>& price_keys() {
  static const std::vector<std::string> keys = {
      "provider", "instance", "hardware", "device_count", "usd_per_hour", "usd_per_device_hour", "pricing",
      "region",   "date",     "current",  "source",       "confidence",   "note"};
  return keys;
}

Result<InstancePrice> read_price(const toml::table& t, const TomlReader& r) {
  InstancePrice p;
  bool has_per_hour = false;
  bool has_per_device = false;
  for (const auto& [key, value] : t) {
    std::string k(key.str());
    std::string* str = k == "provider"     ? &p.provider
                       : k == "instance"   ? &p.instance
                       : k == "hardware"   ? &p.hardware_id
                       : k == "pricing"    ? &p.pricing
                       : k == "region"     ? &p.region
                       : k == "date"       ? &p.date
                       : k == "source"     ? &p.source
                       : k == "confidence" ? &p.confidence
                       : k == "note"       ? &p.note
                                           : nullptr;
    if (str) {
      auto s = r.string(value, k);
      if (!s) return s.error();
      *str = std::move(*s);
    } else if (k == "device_count") {
      auto v = r.integer(value, k, Sign::kPositive);
      if (!v) return v.error();
      p.device_count = *v;
    } else if (k == "usd_per_hour" || k == "usd_per_device_hour") {
      auto v = r.number(value, k, Sign::kNonNegative);
      if (!v) return v.error();
      (k == "usd_per_hour" ? p.usd_per_hour : p.usd_per_device_hour) = *v;
      (k == "usd_per_hour" ? has_per_hour : has_per_device) = true;
    } else if (k == "current") {
      auto v = r.boolean(value, k);
      if (!v) return v.error();
      p.current = *v;
    } else {
      return r.unknown_field(k, price_keys());
    }
  }
  for (const char* required : {"provider", "instance", "hardware", "device_count", "usd_per_hour", "pricing", "date",
                               "source"}) {
    if (!t.contains(required)) return r.at("", fmt::format("missing field '{}'", required));
  }
  double per_device = p.usd_per_hour / static_cast<double>(p.device_count);
  if (!has_per_device) {
    p.usd_per_device_hour = per_device;
  } else if (has_per_hour && std::fabs(p.usd_per_device_hour - per_device) > kPriceTolerance * per_device) {
    return r.at("usd_per_device_hour",
                fmt::format("expected usd_per_hour / device_count = {:.4f}, got {}", per_device, p.usd_per_device_hour));
  }
  return p;
}

}  // namespace

Result<PriceCatalog> PriceCatalog::parse(std::string_view toml, std::string_view origin) {
  auto doc = parse_toml(toml, origin);
  if (!doc) return doc.error();
  PriceCatalog catalog;
  for (const auto& [key, value] : *doc) {
    if (key.str() != "price") return TomlReader(origin).at(key.str(), "unknown field, expected [[price]] tables");
  }
  const toml::node* root = doc->get("price");
  if (!root) return catalog;
  const toml::array* arr = root->as_array();
  if (!arr) return TomlReader(origin).expected("price", "an array of tables ([[price]])", *root);
  for (size_t i = 0; i < arr->size(); ++i) {
    TomlReader r(origin, fmt::format("price[{}]", i));
    const toml::table* t = (*arr)[i].as_table();
    if (!t) return r.expected("", "a table", (*arr)[i]);
    auto p = read_price(*t, r);
    if (!p) return p.error();
    catalog.entries_.push_back(std::move(*p));
  }
  return catalog;
}

const PriceCatalog& PriceCatalog::builtin() {
  static const PriceCatalog catalog = [] {
    PriceCatalog all;
    for (const auto& file : data::embedded_under("prices/")) {
      // The embedded files are checked by the tests; a broken one is a build defect, and
      // leaving it out is better than refusing to run.
      auto part = parse(file.contents, "data/" + std::string(file.path));
      if (!part) continue;
      for (auto& p : part->entries_) all.entries_.push_back(std::move(p));
    }
    return all;
  }();
  return catalog;
}

std::vector<const InstancePrice*> PriceCatalog::for_hardware(std::string_view hardware_id) const {
  std::vector<const InstancePrice*> out;
  for (const auto& p : entries_) {
    if (p.hardware_id == hardware_id) out.push_back(&p);
  }
  std::stable_sort(out.begin(), out.end(), [](const InstancePrice* a, const InstancePrice* b) {
    return a->usd_per_device_hour < b->usd_per_device_hour;
  });
  return out;
}

const InstancePrice* PriceCatalog::cheapest_on_demand(std::string_view hardware_id) const {
  const InstancePrice* best = nullptr;
  for (const auto* p : for_hardware(hardware_id)) {
    if (p->pricing == "on-demand" && p->current && (!best || p->usd_per_device_hour < best->usd_per_device_hour)) {
      best = p;
    }
  }
  return best;
}

}  // namespace flopscope
