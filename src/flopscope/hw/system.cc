#include "flopscope/hw/system.h"

#include <fmt/format.h>

#include <algorithm>

#include "flopscope/data/embedded.h"
#include "flopscope/util/spellcheck.h"
#include "flopscope/util/text.h"
#include "flopscope/util/toml_parse.h"
#include "flopscope/util/toml_reader.h"

namespace flopscope {

namespace {

// Hardware with no interconnect in the catalog talks over PCIe Gen4 x16: 32 GB/s per
// direction (PCI-SIG, PCIe 4.0 base specification: 16 GT/s x 16 lanes, 128b/130b).
constexpr double kPcieGen4x16 = 32e9;

const std::vector<std::string>& system_keys() {
  static const std::vector<std::string> keys = {
      "name", "hardware", "gpus_per_node", "intra_node", "link_gbps", "inter_node", "nics_per_node",
      "nic_gbps", "busbw_intra_gbps", "allreduce_busbw_intra_gbps", "busbw_inter_gbps", "latency_intra_us", "latency_intra_hop_us",
      "latency_inter_us",
      "notes", "sources"};
  return keys;
}

Status apply(const toml::table& t, std::string_view origin, const std::string& where, System& s) {
  TomlReader r(origin, where);
  if (auto e = r.check_keys(t, system_keys())) return *e;
  if (auto e = r.read(t, "name", s.name)) return *e;
  if (auto e = r.read(t, "hardware", s.hardware)) return *e;
  if (auto e = r.require(t, "gpus_per_node", Sign::kPositive, s.gpus_per_node)) return *e;
  if (s.gpus_per_node > 1024) return r.at("gpus_per_node", fmt::format("expected at most 1024, got {}", s.gpus_per_node));
  if (auto e = r.read(t, "intra_node", s.intra_node)) return *e;
  if (auto e = r.read(t, "inter_node", s.inter_node)) return *e;
  if (auto e = r.read(t, "nics_per_node", Sign::kNonNegative, s.nics_per_node)) return *e;
  if (s.nics_per_node > 1024) return r.at("nics_per_node", fmt::format("expected at most 1024, got {}", s.nics_per_node));
  double link = 0, nic = 0, intra = 0, intra_ar = 0, inter = 0, lat_intra = 0, lat_hop = 0, lat_inter = 0;
  if (auto e = r.read(t, "link_gbps", Sign::kPositive, link)) return *e;
  if (auto e = r.read(t, "nic_gbps", Sign::kNonNegative, nic)) return *e;
  if (auto e = r.read(t, "busbw_intra_gbps", Sign::kNonNegative, intra)) return *e;
  if (auto e = r.read(t, "allreduce_busbw_intra_gbps", Sign::kNonNegative, intra_ar)) return *e;
  if (auto e = r.read(t, "busbw_inter_gbps", Sign::kNonNegative, inter)) return *e;
  if (auto e = r.read(t, "latency_intra_us", Sign::kNonNegative, lat_intra)) return *e;
  if (auto e = r.read(t, "latency_intra_hop_us", Sign::kNonNegative, lat_hop)) return *e;
  if (auto e = r.read(t, "latency_inter_us", Sign::kNonNegative, lat_inter)) return *e;
  for (const auto& [key, us] : {std::pair{"latency_intra_us", lat_intra}, std::pair{"latency_intra_hop_us", lat_hop},
                                 std::pair{"latency_inter_us", lat_inter}}) {
    if (us > 1e6) return r.at(key, fmt::format("expected at most 1e6 microseconds (1 s), got {}", us));
  }
  if (auto e = r.read(t, "notes", s.notes)) return *e;
  s.bytes_per_second_link = link * 1e9;
  s.bits_per_second_nic = nic * 1e9;
  s.bytes_per_second_busbw_intra = intra * 1e9;
  s.bytes_per_second_busbw_intra_allreduce = intra_ar * 1e9;
  s.bytes_per_second_busbw_inter = inter * 1e9;
  s.seconds_latency_intra = lat_intra * 1e-6;
  s.seconds_latency_intra_hop = lat_hop * 1e-6;
  s.seconds_latency_inter = lat_inter * 1e-6;
  if (const toml::node* n = t.get("sources")) {
    if (auto st = read_sources(*n, origin, where + ".sources", s.sources); !st) return st;
  }
  if (s.name.empty()) return r.at("name", "missing, expected the system's name");
  if (s.hardware.empty()) return r.at("hardware", "missing, expected a hardware catalog id");
  if (s.bytes_per_second_link <= 0) return r.at("link_gbps", "missing, expected the intra-node GB/s per GPU");
  if (s.sources.empty()) return r.at("sources", "missing (every entry needs at least one source)");
  return {};
}

}  // namespace

Network System::network() const {
  Network n;
  n.gpus_per_node = gpus_per_node;
  n.bytes_per_second_intra = bytes_per_second_busbw_intra > 0 ? bytes_per_second_busbw_intra : bytes_per_second_link;
  n.bytes_per_second_intra_allreduce =
      bytes_per_second_busbw_intra_allreduce > 0 ? bytes_per_second_busbw_intra_allreduce : n.bytes_per_second_intra;
  double nics = static_cast<double>(nics_per_node) * bits_per_second_nic / 8;
  n.bytes_per_second_inter = bytes_per_second_busbw_inter > 0 ? bytes_per_second_busbw_inter : nics;
  if (nics <= 0) n.bytes_per_second_inter = 0;  // no network: one node only
  n.seconds_latency_intra = seconds_latency_intra;
  n.seconds_latency_intra_hop = seconds_latency_intra_hop;
  n.seconds_latency_inter = seconds_latency_inter;
  return n;
}

Result<SystemCatalog> SystemCatalog::parse(std::string_view text, std::string_view origin) {
  auto doc = parse_toml(text, origin);
  if (!doc) return doc.error();
  const TomlReader r(origin);
  SystemCatalog c;
  for (const auto& [key, value] : *doc) {
    if (key.str() != "system") return r.at(key.str(), "unknown field, expected [system.<id>] tables");
  }
  const toml::node* root = doc->get("system");
  if (!root) return c;
  const toml::table* systems = root->as_table();
  if (!systems) return r.expected("system", "a table of [system.<id>] entries", *root);
  // File order: the first system of each hardware is its reference node.
  for (const std::string& id : keys_in_file_order(*systems)) {
    std::string where = "system." + id;
    const toml::table* t = systems->get(id)->as_table();
    if (!t) return r.expected(where, "a table", *systems->get(id));
    System s;
    s.id = id;
    if (auto st = apply(*t, origin, where, s); !st) return st.error();
    c.entries_.push_back(std::move(s));
  }
  return c;
}

const SystemCatalog& SystemCatalog::builtin() {
  static const SystemCatalog catalog = [] {
    auto text = data::find_embedded("hardware/systems.toml");
    if (!text) return SystemCatalog{};
    auto c = parse(*text, "data/hardware/systems.toml");
    return c ? std::move(*c) : SystemCatalog{};  // tested: the embedded file parses
  }();
  return catalog;
}

Result<const System*> SystemCatalog::find(std::string_view id) const {
  std::string key = ascii_lower(id);
  std::vector<std::string> ids;
  for (const auto& s : entries_) {
    if (s.id == key) return &s;
    ids.push_back(s.id);
  }
  return bad_input(fmt::format("--system: unknown system '{}'{} (see flopscope hardware --systems)", id,
                               did_you_mean(key, ids)));
}

const System* SystemCatalog::for_hardware(std::string_view hardware_id) const {
  for (const auto& s : entries_) {
    if (s.hardware == hardware_id) return &s;
  }
  return nullptr;
}

System standalone_system(const Hardware& hw) {
  System s;
  s.id = hw.id + "-node";
  s.name = "one node of " + hw.name + " (no system in the catalog)";
  s.hardware = hw.id;
  s.gpus_per_node = 8;
  s.intra_node = hw.interconnect.empty() ? "PCIe Gen4 x16" : hw.interconnect;
  s.bytes_per_second_link = hw.bytes_per_second_interconnect > 0 ? hw.bytes_per_second_interconnect : kPcieGen4x16;
  s.notes = "link rates, not measured bus bandwidth: an upper bound";
  return s;
}

}  // namespace flopscope
