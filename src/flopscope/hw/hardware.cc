// The hardware catalog: TOML in human units (data/hardware/*.toml; schema at the top of
// those files and in docs/hardware-catalog.md), read into SI units.
//
// Unit conversions, in one place:
//   tflops_* / tops_*         x 1e12  -> FLOP/s (OP/s)
//   memory_gb                 x 2^30  -> bytes (device DRAM "GB" are binary: an "80GB" H100
//                                        holds 5 stacks of 16 GiB)
//   memory_bandwidth_gbps,
//   interconnect_gbps         x 1e9   -> bytes/s (link and DRAM rates are decimal)
//   l2_mb                     x 2^20  -> bytes (on-chip SRAM "MB" are binary)
#include "flopscope/hw/hardware.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <optional>
#include <toml++/toml.h>

#include "flopscope/data/embedded.h"
#include "flopscope/util/text.h"
#include "flopscope/util/file.h"
#include "flopscope/util/spellcheck.h"
#include "flopscope/util/toml_parse.h"
#include "flopscope/util/toml_reader.h"

namespace flopscope {

std::string missing_peak_message(const std::string& id, DType t, bool any_peak_sourced) {
  if (any_peak_sourced) return fmt::format("hardware '{}' has no {} support (see flopscope hardware {})", id, dtype_name(t), id);
  return fmt::format("hardware '{}' has no sourced {} peak in the catalog (see flopscope hardware {})", id, dtype_name(t), id);
}

std::string missing_peak_message(const Hardware& hw, DType t) {
  bool any = std::any_of(hw.flops_peak.begin(), hw.flops_peak.end(), [](double p) { return p > 0; });
  return missing_peak_message(hw.id, t, any);
}

namespace {

constexpr double kTera = 1e12;
constexpr double kGiga = 1e9;
constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
constexpr double kMiB = 1024.0 * 1024.0;

// ------------------------------------------------------------------------------ hardware

// Peak keys: tflops_<float dtype>, tops_<integer dtype>, each also with a sparse_ prefix.
std::optional<DType> peak_key_dtype(std::string_view key) {
  for (size_t i = 0; i < kDTypeNames.size(); ++i) {
    auto t = static_cast<DType>(i);
    bool integer = t == DType::kINT8 || t == DType::kINT4;
    if (key == fmt::format("{}_{}", integer ? "tops" : "tflops", kDTypeNames[i])) return t;
  }
  return std::nullopt;
}

const std::vector<std::string>& hardware_keys() {
  static const std::vector<std::string> keys = [] {
    std::vector<std::string> k = {"name",          "vendor",           "kind",
                                  "release_year",  "aliases",          "memory_gb",
                                  "memory_type",   "memory_bandwidth_gbps", "tdp_w",
                                  "interconnect",  "interconnect_gbps", "compute_units",
                                  "l2_mb",         "notes",            "sources"};
    for (size_t i = 0; i < kDTypeNames.size(); ++i) {
      auto t = static_cast<DType>(i);
      std::string unit = (t == DType::kINT8 || t == DType::kINT4) ? "tops_" : "tflops_";
      k.push_back(unit + std::string(kDTypeNames[i]));
      k.push_back("sparse_" + unit + std::string(kDTypeNames[i]));
    }
    return k;
  }();
  return keys;
}

bool valid_id(std::string_view id) {
  if (id.empty() || !std::isalnum(static_cast<unsigned char>(id.front()))) return false;
  return std::all_of(id.begin(), id.end(), [](unsigned char c) {
    return std::islower(c) || std::isdigit(c) || c == '-' || c == '.';
  });
}


// Applies the keys of one [hardware.<id>] table onto `hw` (which may hold an entry being
// overridden). `where` is "hardware.<id>".
Status apply_entry(const toml::table& t, std::string_view origin, const std::string& where, Hardware& hw) {
  const TomlReader r(origin);
  for (const auto& [key, value] : t) {
    std::string k(key.str());
    std::string field = where + "." + k;
    // Strings.
    std::string* str = k == "name"           ? &hw.name
                       : k == "vendor"       ? &hw.vendor
                       : k == "kind"         ? &hw.kind
                       : k == "memory_type"  ? &hw.memory_type
                       : k == "interconnect" ? &hw.interconnect
                       : k == "notes"        ? &hw.notes
                                             : nullptr;
    if (str) {
      auto s = r.string(value, field);
      if (!s) return s.error();
      *str = std::move(*s);
      continue;
    }
    // Counts.
    int64_t* count = k == "release_year" ? &hw.release_year : k == "compute_units" ? &hw.compute_units : nullptr;
    if (count) {
      auto v = r.integer(value, field, Sign::kNonNegative);
      if (!v) return v.error();
      *count = *v;
      continue;
    }
    // Quantities in human units, stored in SI.
    struct Scaled {
      const char* key;
      double Hardware::*member;
      double scale;
    };
    static const Scaled kScaled[] = {
        {"memory_gb", &Hardware::bytes_memory, kGiB},
        {"memory_bandwidth_gbps", &Hardware::bytes_per_second_memory, kGiga},
        {"tdp_w", &Hardware::watts_tdp, 1.0},
        {"interconnect_gbps", &Hardware::bytes_per_second_interconnect, kGiga},
        {"l2_mb", &Hardware::bytes_l2, kMiB},
    };
    auto scaled = std::find_if(std::begin(kScaled), std::end(kScaled), [&](const Scaled& s) { return k == s.key; });
    if (scaled != std::end(kScaled)) {
      auto v = r.number(value, field, Sign::kNonNegative);
      if (!v) return v.error();
      hw.*(scaled->member) = *v * scaled->scale;
      continue;
    }
    bool sparse = k.rfind("sparse_", 0) == 0;
    if (auto dt = peak_key_dtype(sparse ? std::string_view(k).substr(7) : std::string_view(k))) {
      auto v = r.number(value, field, Sign::kNonNegative);
      if (!v) return v.error();
      (sparse ? hw.flops_peak_sparse : hw.flops_peak)[static_cast<size_t>(*dt)] = *v * kTera;
      continue;
    }
    if (k == "aliases") {
      const toml::array* arr = value.as_array();
      if (!arr) return r.expected(field, "an array of strings", value);
      hw.aliases.clear();
      for (size_t i = 0; i < arr->size(); ++i) {
        auto s = r.string((*arr)[i], fmt::format("{}[{}]", field, i));
        if (!s) return s.error();
        hw.aliases.push_back(ascii_lower(*s));
      }
      continue;
    }
    if (k == "sources") {
      Status st = read_sources(value, origin, field, hw.sources);
      if (!st) return st;
      continue;
    }
    return TomlReader(origin, where).unknown_field(k, hardware_keys());
  }
  if (!hw.kind.empty() && hw.kind != "gpu" && hw.kind != "tpu" && hw.kind != "accelerator" && hw.kind != "cpu") {
    return r.at(where + ".kind", fmt::format("expected one of gpu, tpu, accelerator, cpu, got '{}'", hw.kind));
  }
  return {};
}

// The [hardware.<id>] tables of a document, in file order (toml++ keeps tables sorted by
// key; file order keeps related entries together and makes "h10" suggest "h100-sxm").
Result<std::vector<std::pair<std::string, const toml::table*>>> hardware_tables(const toml::table& doc,
                                                                                 std::string_view origin) {
  const TomlReader r(origin);
  std::vector<std::pair<std::string, const toml::table*>> out;
  for (const auto& [key, value] : doc) {
    if (key.str() != "hardware") {
      return r.at(key.str(), "unknown field, expected [hardware.<id>] tables");
    }
  }
  const toml::node* root = doc.get("hardware");
  if (!root) return out;
  const toml::table* hw = root->as_table();
  if (!hw) return r.expected("hardware", "a table of [hardware.<id>] entries", *root);
  for (const std::string& id : keys_in_file_order(*hw)) {
    std::string where = "hardware." + id;
    if (!valid_id(id)) {
      return r.at(where, "expected a kebab-case id (lowercase letters, digits, '-', '.')");
    }
    const toml::node* n = hw->get(id);
    if (!n->is_table()) return r.expected(where, "a table", *n);
    out.emplace_back(id, n->as_table());
  }
  return out;
}

}  // namespace

Status read_sources(const toml::node& n, std::string_view origin, const std::string& field,
                    std::vector<SourceRef>& out) {
  const TomlReader r(origin);
  const toml::array* arr = n.as_array();
  if (!arr) return r.expected(field, "an array of tables ([[...sources]])", n);
  static const std::vector<std::string> kKeys = {"what", "url", "date"};
  out.clear();
  for (size_t i = 0; i < arr->size(); ++i) {
    std::string item = fmt::format("{}[{}]", field, i);
    const toml::table* t = (*arr)[i].as_table();
    if (!t) return r.expected(item, "a table with what, url, date", (*arr)[i]);
    SourceRef ref;
    for (const auto& [key, value] : *t) {
      std::string k(key.str());
      if (std::find(kKeys.begin(), kKeys.end(), k) == kKeys.end()) return TomlReader(origin, item).unknown_field(k, kKeys);
      auto s = r.string(value, item + "." + k);
      if (!s) return s.error();
      (k == "what" ? ref.what : k == "url" ? ref.url : ref.date) = std::move(*s);
    }
    if (ref.what.empty()) return r.at(item + ".what", "missing, expected what the source is");
    out.push_back(std::move(ref));
  }
  return {};
}

// ------------------------------------------------------------------------- HardwareCatalog

Result<HardwareCatalog> HardwareCatalog::parse(std::string_view toml, std::string_view origin) {
  const TomlReader r(origin);
  auto doc = parse_toml(toml, origin);
  if (!doc) return doc.error();
  auto tables = hardware_tables(*doc, origin);
  if (!tables) return tables.error();
  HardwareCatalog catalog;
  for (const auto& [id, table] : *tables) {
    std::string where = "hardware." + id;
    Hardware hw;
    hw.id = id;
    Status st = apply_entry(*table, origin, where, hw);
    if (!st) return st.error();
    if (hw.name.empty()) return r.at(where, "missing field 'name'");
    if (hw.sources.empty()) return r.at(where, "missing field 'sources' (every entry needs at least one source)");
    catalog.entries_.push_back(std::move(hw));
  }
  return catalog;
}

Status HardwareCatalog::merge_toml(std::string_view toml, std::string_view origin) {
  const TomlReader r(origin);
  auto doc = parse_toml(toml, origin);
  if (!doc) return doc.error();
  auto tables = hardware_tables(*doc, origin);
  if (!tables) return tables.error();
  // Build the result aside so that a bad entry leaves the catalog unchanged.
  std::vector<Hardware> merged = entries_;
  for (const auto& [id, table] : *tables) {
    std::string where = "hardware." + id;
    auto it = std::find_if(merged.begin(), merged.end(), [&](const Hardware& h) { return h.id == id; });
    Hardware hw;
    if (it != merged.end()) hw = *it;
    hw.id = id;
    Status st = apply_entry(*table, origin, where, hw);
    if (!st) return st;
    if (hw.name.empty()) return r.at(where, "missing field 'name'");
    if (it != merged.end()) {
      *it = std::move(hw);
    } else {
      merged.push_back(std::move(hw));
    }
  }
  entries_ = std::move(merged);
  return {};
}

Status HardwareCatalog::merge_file(const std::string& path) {
  auto text = read_file(path, size_t{16} << 20);
  if (!text) return text.error();
  return merge_toml(*text, path);
}

Result<HardwareCatalog> HardwareCatalog::load(const std::string& user_file) {
  // Other files under data/hardware/ (efficiency.toml, ...) belong to other stages.
  static const char* const kFiles[] = {"hardware/accelerators.toml", "hardware/cpus.toml"};
  HardwareCatalog catalog;
  for (const char* path : kFiles) {
    std::string origin = std::string("data/") + path;
    auto text = data::find_embedded(path);
    if (!text) return failure(origin + ": not embedded in this build");
    auto part = parse(*text, origin);
    if (!part) return part.error();
    for (auto& hw : part->entries_) {
      if (std::any_of(catalog.entries_.begin(), catalog.entries_.end(),
                      [&](const Hardware& h) { return h.id == hw.id; })) {
        return TomlReader(origin).at("hardware." + hw.id, "duplicate id, already defined in another data/hardware file");
      }
      catalog.entries_.push_back(std::move(hw));
    }
  }
  if (!user_file.empty()) {
    Status st = catalog.merge_file(user_file);
    if (!st) return st.error();
  }
  return catalog;
}

namespace {
struct BuiltinHardware {
  HardwareCatalog catalog;
  Status status;
};

const BuiltinHardware& builtin_hardware() {
  static const BuiltinHardware state = [] {
    BuiltinHardware b;
    const char* env = std::getenv("FLOPSCOPE_HARDWARE");
    std::string user = env ? env : "";
    auto loaded = HardwareCatalog::load(user);
    if (loaded) {
      b.catalog = std::move(*loaded);
      return b;
    }
    Error e = loaded.error();
    if (!user.empty()) e.message = "$FLOPSCOPE_HARDWARE: " + e.message;
    b.status = e;
    // The user's file is at fault (the embedded catalog is tested): keep the embedded one.
    auto embedded = HardwareCatalog::load("");
    if (embedded) b.catalog = std::move(*embedded);
    return b;
  }();
  return state;
}
}  // namespace

const HardwareCatalog& HardwareCatalog::builtin() { return builtin_hardware().catalog; }
const Status& HardwareCatalog::builtin_status() { return builtin_hardware().status; }

Result<const Hardware*> HardwareCatalog::find(std::string_view id) const {
  std::string key = ascii_lower(id);
  for (const auto& hw : entries_) {
    if (hw.id == key) return &hw;
  }
  for (const auto& hw : entries_) {
    if (std::find(hw.aliases.begin(), hw.aliases.end(), key) != hw.aliases.end()) return &hw;
  }
  return bad_input(fmt::format("unknown hardware '{}'{} (see flopscope hardware)", id, did_you_mean(key, ids())));
}

std::vector<std::string> HardwareCatalog::ids() const {
  std::vector<std::string> out;
  out.reserve(entries_.size());
  for (const auto& hw : entries_) out.push_back(hw.id);
  return out;
}

}  // namespace flopscope
