#include "flopscope/plan/environment.h"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cctype>
#include <filesystem>
#include <toml++/toml.h>

#include "flopscope/hw/carbon.h"
#include "flopscope/plan/price_catalog.h"
#include "flopscope/util/file.h"
#include "flopscope/util/limits.h"
#include "flopscope/util/spellcheck.h"
#include "flopscope/util/toml_parse.h"
#include "flopscope/util/toml_reader.h"

namespace flopscope {
namespace {

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

const std::vector<std::string> kFields = {"hardware", "description", "devices", "bytes_per_second_interconnect",
                                          "dtype", "weights", "software", "profile", "flash_attention",
                                          "provider", "pricing", "usd_per_device_hour", "watts", "idle_watts", "pue",
                                          "carbon_g_per_kwh", "region"};

// One [env.NAME] table, field by field, so each error names the file and the field.
Result<Environment> read_environment(const toml::table& t, const std::string& name, const TomlReader& r) {
  if (auto err = r.check_keys(t, kFields)) return *err;
  Environment e;
  e.name = name;
  std::string text;
  if (const toml::node* n = t.get("hardware")) {
    if (!n->is_string()) return r.expected("hardware", "a catalog hardware id", *n);
    auto hw = HardwareCatalog::builtin().find(n->as_string()->get());
    if (!hw) return r.at("hardware", hw.error().message);
    e.hardware_id = (*hw)->id;
  } else {
    return r.at("hardware", "missing, expected a catalog hardware id (see flopscope hardware)");
  }
  if (auto err = r.read(t, "description", e.description)) return *err;
  if (auto err = r.read(t, "devices", Sign::kPositive, e.devices)) return *err;
  if (auto err = r.read(t, "bytes_per_second_interconnect", Sign::kPositive, e.bytes_per_second_interconnect)) {
    return *err;
  }
  if (t.get("dtype")) {
    if (auto err = r.read(t, "dtype", text)) return *err;
    auto d = parse_dtype(text, r.prefix("dtype"));
    if (!d) return d.error();
    e.dtype = *d;
  }
  if (t.get("weights")) {
    if (auto err = r.read(t, "weights", text)) return *err;
    auto d = parse_dtype(text, r.prefix("weights"));
    if (!d) return d.error();
    e.weights = *d;
  }
  if (t.get("software")) {
    if (auto err = r.read(t, "software", text)) return *err;
    auto sw = parse_software(text, r.prefix("software"));
    if (!sw) return sw.error();
    e.software = *sw;
  }
  if (auto err = r.read(t, "profile", e.profile_path)) return *err;
  if (auto err = r.read(t, "flash_attention", e.flash_attention)) return *err;
  if (auto err = r.read(t, "provider", e.provider)) return *err;
  if (auto err = r.read(t, "pricing", e.pricing)) return *err;
  if (e.pricing != "on-demand" && e.pricing != "spot" && e.pricing != "reserved-1y" && e.pricing != "reserved-3y") {
    return r.at("pricing", "expected on-demand, spot, reserved-1y or reserved-3y, got '" + e.pricing + "'");
  }
  if (auto err = r.read(t, "usd_per_device_hour", Sign::kPositive, e.usd_per_device_hour)) return *err;
  if (auto err = r.read(t, "watts", Sign::kPositive, e.watts)) return *err;
  if (auto err = r.read(t, "idle_watts", Sign::kPositive, e.idle_watts)) return *err;
  if (t.get("pue")) {
    if (auto err = r.read(t, "pue", Sign::kPositive, e.pue)) return *err;
    if (e.pue < 1) return r.at("pue", fmt::format("expected a number >= 1, got {}", e.pue));
  }
  if (auto err = r.read(t, "carbon_g_per_kwh", Sign::kNonNegative, e.carbon_g_per_kwh)) return *err;
  if (t.get("region")) {
    if (auto err = r.read(t, "region", text)) return *err;
    auto g = CarbonCatalog::builtin().find(text);
    if (!g) return r.at("region", g.error().message);
    e.region = (*g)->id;
  }
  // Upper bounds (docs/limits.md): far above any real figure, far below where a price or
  // power times hours overflows to $inf.
  struct Bound {
    const char* key;
    double value, max;
  };
  auto shown = [](double v) {
    return v == static_cast<double>(static_cast<int64_t>(std::min(v, 1e15))) ? fmt::format("{:.0f}", v) : fmt::format("{:g}", v);
  };
  for (const Bound& b : {Bound{"devices", static_cast<double>(e.devices), static_cast<double>(limits::kDevices)},
                         Bound{"bytes_per_second_interconnect", e.bytes_per_second_interconnect, 1e16},
                         Bound{"usd_per_device_hour", e.usd_per_device_hour, 1e6}, Bound{"watts", e.watts, 1e6},
                         Bound{"idle_watts", e.idle_watts, 1e6}, Bound{"pue", e.pue, 10}, Bound{"carbon_g_per_kwh", e.carbon_g_per_kwh, 1e5}}) {
    if (b.value > b.max) {
      return r.at(b.key, fmt::format("expected at most {} (docs/limits.md), got {}", shown(b.max), shown(b.value)));
    }
  }
  return e;
}

}  // namespace

Result<Environment> catalog_environment(std::string_view hardware_id) {
  auto hw = HardwareCatalog::builtin().find(hardware_id);
  if (!hw) return hw.error();
  Environment e;
  e.name = std::string(hardware_id);
  e.hardware_id = (*hw)->id;
  return e;
}

std::vector<std::string> EnvironmentSet::names() const {
  std::vector<std::string> n;
  for (const auto& e : envs) n.push_back(e.name);
  return n;
}

Result<Environment> EnvironmentSet::find(std::string_view name) const {
  for (const auto& e : envs) {
    if (e.name == name) return e;
  }
  if (HardwareCatalog::builtin().find(name)) return catalog_environment(name);
  // "<hardware>-x<N>": N devices of a catalog accelerator (what rank names them).
  if (size_t x = name.rfind("-x"); x != std::string_view::npos && x + 2 < name.size()) {
    std::string_view digits = name.substr(x + 2);
    int64_t n = 0;
    auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), n);
    if (ec == std::errc() && ptr == digits.data() + digits.size() && n >= 1 && n <= 1048576 &&
        HardwareCatalog::builtin().find(name.substr(0, x))) {
      auto e = catalog_environment(name.substr(0, x));
      if (!e) return e.error();
      e->devices = n;
      e->name = std::string(name);
      return e;
    }
  }
  std::vector<std::string> candidates = names();
  for (const auto& id : HardwareCatalog::builtin().ids()) candidates.push_back(id);
  std::string where = origin.empty() ? "the hardware catalog; name an env file with --envs" : origin + " or the hardware catalog";
  return not_found(fmt::format("unknown environment '{}'{} (looked in {})", name, did_you_mean(name, candidates), where));
}

Result<EnvironmentSet> parse_environments(std::string_view toml_text, std::string_view origin) {
  auto parsed = parse_toml(toml_text, origin);
  if (!parsed) return parsed.error();
  const toml::table& root = *parsed;
  TomlReader r(origin);
  EnvironmentSet set;
  set.origin = std::string(origin);
  for (const auto& [key, node] : root) {
    if (key.str() != "env") return r.at("", fmt::format("unknown table '{}', expected [env.NAME] tables", key.str()));
  }
  const toml::node* envs = root.get("env");
  if (!envs) return r.at("", "no [env.NAME] tables");
  if (!envs->is_table()) return r.expected("env", "[env.NAME] tables", *envs);
  for (const auto& [key, node] : *envs->as_table()) {
    std::string name(key.str());
    TomlReader env = r.nested("env").nested(name);
    if (!node.is_table()) return env.expected("", "a table", node);
    auto e = read_environment(*node.as_table(), name, env);
    if (!e) return e.error();
    set.envs.push_back(std::move(*e));
  }
  return set;
}

Result<EnvironmentSet> load_environments(const std::string& path) {
  auto text = read_file(path, size_t{16} << 20);
  if (!text) return text.error();
  auto set = parse_environments(*text, path);
  if (!set) return set.error();
  std::filesystem::path folder = std::filesystem::path(path).parent_path();
  for (Environment& e : set->envs) {
    if (e.profile_path.empty()) continue;
    std::filesystem::path p(e.profile_path);
    if (p.is_relative()) p = folder / p;
    auto profile = load_calibration_profile(p.string());
    if (!profile) return bad_input(fmt::format("{}: env.{}.profile: {}", path, e.name, profile.error().message));
    e.profile = std::move(*profile);
  }
  return set;
}

PriceQuote price_of(const Environment& env) {
  if (env.usd_per_device_hour > 0) return {env.usd_per_device_hour, "given"};
  for (const InstancePrice* p : PriceCatalog::builtin().for_hardware(env.hardware_id)) {
    if (!p->current || p->pricing != env.pricing) continue;
    if (!env.provider.empty() && !iequals(p->provider, env.provider)) continue;
    std::string where = p->region.empty() ? p->date : p->region + ", " + p->date;
    return {p->usd_per_device_hour, fmt::format("{} {} {} ({})", p->provider, p->instance, p->pricing, where), p->region};
  }
  return {};
}

PowerModel power_model_of(const Environment& env, const Hardware& hw) {
  return PowerCatalog::builtin().model_of(hw, env.watts, env.idle_watts);
}

Pue pue_of(const Environment& env) {
  if (env.pue > 0) return {env.pue, "given"};
  return PowerCatalog::builtin().default_pue();
}

}  // namespace flopscope
