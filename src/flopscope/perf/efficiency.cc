#include "flopscope/perf/efficiency.h"

#include <map>
#include <mutex>
#include <optional>

#include <fmt/format.h>

#include <cstdlib>
#include <string>
#include <toml++/toml.h>

#include "flopscope/util/file.h"
#include "flopscope/util/toml_parse.h"

#include "flopscope/data/embedded.h"

namespace flopscope {

namespace {

constexpr std::string_view kEmbeddedPath = "hardware/efficiency.toml";

struct Field {
  std::string_view key;
  double Efficiency::*member;
  bool fraction;  // must lie in (0, 1]; otherwise any value >= 0
};

constexpr Field kFields[] = {
    {"gemm_ceiling", &Efficiency::gemm_ceiling, true},
    {"memory_fraction", &Efficiency::memory_fraction, true},
    {"attention_forward", &Efficiency::attention_forward, true},
    {"attention_backward", &Efficiency::attention_backward, true},
    {"interconnect_fraction", &Efficiency::interconnect_fraction, true},
    {"seconds_launch", &Efficiency::seconds_launch, false},
    {"seconds_launch_stream", &Efficiency::seconds_launch_stream, false},
    {"seconds_host_eager", &Efficiency::seconds_host_eager, false},
    {"seconds_host_compiled", &Efficiency::seconds_host_compiled, false},
    {"seconds_collective_step", &Efficiency::seconds_collective_step, false},
    {"k_pipeline_fill", &Efficiency::k_pipeline_fill, false},
    {"seconds_gemm_fixed", &Efficiency::seconds_gemm_fixed, false},
    {"gemm_stream_fraction", &Efficiency::gemm_stream_fraction, true},
    {"attention_softmax_fraction", &Efficiency::attention_softmax_fraction, true},
    {"exp_per_flop", &Efficiency::exp_per_flop, true},
    {"attention_cta_overhead", &Efficiency::attention_cta_overhead, false},
    {"attention_cta_overhead_backward", &Efficiency::attention_cta_overhead_backward, false},
    {"attention_mask_overhead", &Efficiency::attention_mask_overhead, false},
    {"sustained_clock_fraction", &Efficiency::sustained_clock_fraction, true},
    {"strided_elementwise_fraction", &Efficiency::strided_elementwise_fraction, true},
};

// Per-dtype keys: "<prefix><dtype>" sets one entry of an array member.
struct DtypeField {
  std::string_view prefix;
  std::array<double, static_cast<size_t>(DType::kCount)> Efficiency::*member;
};

constexpr DtypeField kDtypeFields[] = {
    {"gemm_ceiling_", &Efficiency::gemm_ceiling_by_dtype},
    {"gemm_stream_fraction_", &Efficiency::gemm_stream_fraction_by_dtype},
};

std::optional<Error> check_value(std::string_view origin, std::string_view field, const toml::node& n, bool fraction,
                                 double& out) {
  std::optional<double> v;
  if (auto f = n.as_floating_point()) v = f->get();
  if (auto i = n.as_integer()) v = static_cast<double>(i->get());
  const char* expected = fraction ? "a number in (0, 1]" : "a number >= 0";
  if (!v) return bad_input(fmt::format("{}: {}: expected {}, got a non-number", origin, field, expected));
  bool ok = fraction ? (*v > 0 && *v <= 1) : (*v >= 0);
  if (!ok) return bad_input(fmt::format("{}: {}: expected {}, got {}", origin, field, expected, *v));
  out = *v;
  return std::nullopt;
}

// Applies the keys of one [efficiency.<id>] table over `e`; unknown keys are errors so a
// typo never silently leaves a default in place.
std::optional<Error> apply(std::string_view origin, std::string_view table_name, const toml::table& t, Efficiency& e) {
  for (const auto& [key, node] : t) {
    std::string field = fmt::format("efficiency.{}.{}", table_name, key.str());
    bool known = false;
    for (const auto& f : kFields) {
      if (key.str() == f.key) {
        if (auto err = check_value(origin, field, node, f.fraction, e.*(f.member))) return err;
        known = true;
      }
    }
    for (const auto& f : kDtypeFields) {
      if (known || !key.str().starts_with(f.prefix)) continue;
      auto dt = parse_dtype(key.str().substr(f.prefix.size()), field);
      if (!dt) return bad_input(fmt::format("{}: {}: unknown dtype in key", origin, field));
      if (auto err = check_value(origin, field, node, true, (e.*(f.member))[static_cast<size_t>(*dt)])) return err;
      known = true;
    }
    if (key.str() == "source" || key.str() == "sources" || key.str() == "notes" || key.str() == "applies_to") {
      known = true;
    }
    if (!known) return bad_input(fmt::format("{}: {}: unknown key", origin, field));
  }
  return std::nullopt;
}

// The efficiency of `hardware_id` from the parsed file.
Result<Efficiency> efficiency_of(const toml::table& root, std::string_view origin, std::string_view hardware_id) {
  const toml::node* section = root.get("efficiency");
  const toml::table* all = section ? section->as_table() : nullptr;
  if (!all) return bad_input(fmt::format("{}: efficiency: expected a table of [efficiency.<id>] entries", origin));
  Efficiency e;
  if (const toml::table* d = (*all)["default"].as_table()) {
    if (auto err = apply(origin, "default", *d, e)) return *err;
  }
  // Family tables (a kernel generation) list the hardware they apply to; every family is
  // checked, so a bad value anywhere in the file is reported whatever the id.
  for (const auto& [name, node] : *all) {
    const toml::table* t = node.as_table();
    if (!t || name.str() == "default") continue;
    const toml::node* list = t->get("applies_to");
    if (!list) continue;
    const toml::array* ids = list->as_array();
    if (!ids) {
      return bad_input(fmt::format("{}: efficiency.{}.applies_to: expected an array of hardware ids", origin, name.str()));
    }
    bool applies = false;
    for (const auto& id : *ids) {
      auto str = id.value<std::string_view>();
      if (!str) {
        return bad_input(
            fmt::format("{}: efficiency.{}.applies_to: expected an array of hardware ids", origin, name.str()));
      }
      applies = applies || *str == hardware_id;
    }
    Efficiency scratch = e;
    if (auto err = apply(origin, name.str(), *t, applies ? e : scratch)) return *err;
  }
  if (!hardware_id.empty() && hardware_id != "default") {
    if (const toml::table* h = (*all)[hardware_id].as_table(); h && !h->get("applies_to")) {
      if (auto err = apply(origin, hardware_id, *h, e)) return *err;
    }
  }
  return e;
}

}  // namespace

Result<Efficiency> parse_efficiency(std::string_view toml_text, std::string_view origin, std::string_view hardware_id) {
  auto parsed = parse_toml(toml_text, origin);
  if (!parsed) return parsed.error();
  return efficiency_of(*parsed, origin, hardware_id);
}

namespace {

struct Source {
  std::string text;
  std::string origin;
  Status status;
  std::optional<toml::table> root;  ///< the text, parsed: here for a user's file (to check it), else on first use
};

// The efficiency text: $FLOPSCOPE_EFFICIENCY when set and readable, else the embedded file.
const Source& source() {
  static const Source s = [] {
    Source out;
    out.origin = "data/hardware/efficiency.toml";
    if (auto text = data::find_embedded(kEmbeddedPath)) out.text = std::string(*text);
    const char* env = std::getenv("FLOPSCOPE_EFFICIENCY");
    if (env == nullptr || *env == '\0') return out;  // parsed when first needed (default_efficiency)
    auto file = read_file(env);
    if (!file) {
      out.status = bad_input(fmt::format("$FLOPSCOPE_EFFICIENCY: {}", file.error().message));
      return out;
    }
    auto root = parse_toml(*file, env);
    auto check = root ? efficiency_of(*root, env, "default") : Result<Efficiency>(root.error());
    if (!check) {
      out.status = check.error();
      return out;
    }
    out.text = std::move(*file);
    out.origin = env;
    out.root = std::move(*root);
    return out;
  }();
  return s;
}

}  // namespace

Status efficiency_override_status() { return source().status; }

Efficiency default_efficiency(std::string_view hardware_id) {
  // Parsed once, applied once per hardware id: a TimingEngine is made for every device and
  // layout a plan tries (report's devices-to-train table makes dozens), and each parse of
  // the file cost about 4M instructions (callgrind), a fifth of `flopscope report`. The
  // server asks from several threads at once.
  static std::mutex mutex;
  static std::map<std::string, Efficiency, std::less<>> cache;
  constexpr size_t kMaxCached = 1024;  // ids come from the catalog; a bound all the same
  std::lock_guard<std::mutex> lock(mutex);
  if (auto it = cache.find(hardware_id); it != cache.end()) return it->second;
  const Source& s = source();
  static std::optional<toml::table> embedded_root;  // not parsed at start-up: most commands never ask
  if (!s.root && !embedded_root && !s.text.empty()) {
    if (auto root = parse_toml(s.text, s.origin)) embedded_root = std::move(*root);
  }
  const toml::table* root = s.root ? &*s.root : embedded_root ? &*embedded_root : nullptr;
  if (!root) return Efficiency{};
  auto r = efficiency_of(*root, s.origin, hardware_id);
  // The embedded file is checked by tests; a broken build falls back to the built-in values.
  Efficiency e = r ? *r : Efficiency{};
  if (cache.size() < kMaxCached) cache.emplace(std::string(hardware_id), e);
  return e;
}

}  // namespace flopscope
