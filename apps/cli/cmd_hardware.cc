// `flopscope hardware [--json] [--prices] [ID]`: the hardware catalog as a table, one entry
// in detail (with its sources and prices), or JSON in SI units (docs/hardware-catalog.md).
#include <fmt/format.h>

#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "command.h"
#include "flopscope/hw/hardware.h"
#include "flopscope/hw/system.h"
#include "flopscope/plan/price_catalog.h"
#include "flopscope/util/units.h"

namespace flopscope::cli {
namespace {

// ------------------------------------------------------------------------------- helpers

// Left-aligned text columns, right-aligned numeric ones, two spaces apart.
void print_table(const std::vector<std::string>& header, const std::vector<bool>& right,
                 const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> width(header.size());
  for (size_t c = 0; c < header.size(); ++c) width[c] = header[c].size();
  for (const auto& row : rows) {
    for (size_t c = 0; c < row.size(); ++c) width[c] = std::max(width[c], row[c].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string out;
    for (size_t c = 0; c < cells.size(); ++c) {
      bool last = c + 1 == cells.size();
      if (right[c]) {
        out += fmt::format("{:>{}}", cells[c], width[c]);
      } else {
        out += last ? cells[c] : fmt::format("{:<{}}", cells[c], width[c]);
      }
      if (!last) out += "  ";
    }
    return out;
  };
  std::cout << style(line(header), "1") << "\n";
  for (const auto& row : rows) std::cout << line(row) << "\n";
}

// TFLOP/s with one decimal, so a column compares at a glance; "-" when unsupported.
std::string tflops(double flops) {
  if (flops <= 0) return "-";
  double t = flops / 1e12;
  return t < 10 ? fmt::format("{:.2f}", t) : fmt::format("{:.1f}", t);
}
std::string or_dash(double v, const std::string& text) { return v > 0 ? text : "-"; }

nlohmann::json si_or_null(double v) { return v > 0 ? nlohmann::json(v) : nlohmann::json(nullptr); }

nlohmann::json price_json(const InstancePrice& p) {
  return {{"provider", p.provider},
          {"instance", p.instance},
          {"hardware_id", p.hardware_id},
          {"device_count", p.device_count},
          {"usd_per_hour", p.usd_per_hour},
          {"usd_per_device_hour", p.usd_per_device_hour},
          {"pricing", p.pricing},
          {"region", p.region.empty() ? nlohmann::json(nullptr) : nlohmann::json(p.region)},
          {"date", p.date},
          {"current", p.current},
          {"source", p.source},
          {"confidence", p.confidence},
          {"note", p.note}};
}

nlohmann::json hardware_json(const Hardware& hw, const PriceCatalog* prices) {
  nlohmann::json j = {{"id", hw.id},
                      {"name", hw.name},
                      {"vendor", hw.vendor},
                      {"kind", hw.kind},
                      {"release_year", hw.release_year > 0 ? nlohmann::json(hw.release_year) : nlohmann::json(nullptr)},
                      {"aliases", hw.aliases}};
  for (size_t i = 0; i < kDTypeNames.size(); ++i) {
    j["flops_peak_" + std::string(kDTypeNames[i])] = si_or_null(hw.flops_peak[i]);
  }
  for (size_t i = 0; i < kDTypeNames.size(); ++i) {
    j["flops_peak_sparse_" + std::string(kDTypeNames[i])] = si_or_null(hw.flops_peak_sparse[i]);
  }
  j["bytes_memory"] = si_or_null(hw.bytes_memory);
  j["memory_type"] = hw.memory_type;
  j["bytes_per_second_memory"] = si_or_null(hw.bytes_per_second_memory);
  j["watts_tdp"] = si_or_null(hw.watts_tdp);
  j["interconnect"] = hw.interconnect;
  j["bytes_per_second_interconnect"] = si_or_null(hw.bytes_per_second_interconnect);
  j["compute_units"] = hw.compute_units > 0 ? nlohmann::json(hw.compute_units) : nlohmann::json(nullptr);
  j["bytes_l2"] = si_or_null(hw.bytes_l2);
  j["notes"] = hw.notes;
  nlohmann::json sources = nlohmann::json::array();
  for (const auto& s : hw.sources) sources.push_back({{"what", s.what}, {"url", s.url}, {"date", s.date}});
  j["sources"] = sources;
  if (prices) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto* p : prices->for_hardware(hw.id)) list.push_back(price_json(*p));
    j["prices"] = list;
  }
  return j;
}

void print_prices(const PriceCatalog& prices, const Hardware& hw) {
  auto list = prices.for_hardware(hw.id);
  if (list.empty()) {
    std::cout << "\nPrices: none in the catalog.\n";
    return;
  }
  std::cout << "\nPrices (cheapest per device-hour first; list prices, check the date):\n";
  std::vector<std::vector<std::string>> rows;
  for (const auto* p : list) {
    rows.push_back({p->provider, p->instance, std::to_string(p->device_count), format_usd(p->usd_per_device_hour),
                    format_usd(p->usd_per_hour), p->current ? p->pricing : p->pricing + " (superseded)",
                    p->region.empty() ? "-" : p->region, p->date});
  }
  print_table({"PROVIDER", "INSTANCE", "DEVICES", "$/DEVICE-H", "$/H", "PRICING", "REGION", "DATE"},
              {false, false, true, true, true, false, false, false}, rows);
}

void print_detail(const Hardware& hw, const PriceCatalog& prices) {
  std::cout << style(hw.name, "1") << "  (" << hw.id << ")\n";
  auto field = [](const std::string& label, const std::string& value) {
    std::cout << fmt::format("  {:<22}{}\n", label, value);
  };
  field("vendor / kind", hw.vendor + " / " + hw.kind);
  if (hw.release_year > 0) field("release year", std::to_string(hw.release_year));
  if (!hw.aliases.empty()) {
    std::string a;
    for (const auto& s : hw.aliases) a += (a.empty() ? "" : ", ") + s;
    field("also accepted as", a);
  }
  std::cout << "\n  Dense peak (no sparsity):\n";
  for (size_t i = 0; i < kDTypeNames.size(); ++i) {
    auto t = static_cast<DType>(i);
    bool integer = t == DType::kINT8 || t == DType::kINT4;
    // One prefix for every row (T), so the rows compare at a glance.
    std::string unit = integer ? " TOP/s" : " TFLOP/s";
    std::string value = hw.flops_peak[i] > 0 ? tflops(hw.flops_peak[i]) + unit : "unsupported or unknown";
    if (hw.flops_peak_sparse[i] > 0) {
      value += "  (vendor, with sparsity: " + tflops(hw.flops_peak_sparse[i]) + unit + ")";
    }
    field("  " + std::string(kDTypeNames[i]), value);
  }
  std::cout << "\n";
  std::string memory_type = hw.memory_type.empty() ? "" : " (" + hw.memory_type + ")";
  field("memory", (hw.bytes_memory > 0 ? format_bytes(hw.bytes_memory) : "unknown") + memory_type);
  field("memory bandwidth", or_dash(hw.bytes_per_second_memory, format_si(hw.bytes_per_second_memory, "B/s")));
  field("TDP", or_dash(hw.watts_tdp, fmt::format("{:.0f} W", hw.watts_tdp)));
  field("interconnect", hw.interconnect.empty() ? "-" : hw.interconnect);
  double link = hw.bytes_per_second_interconnect;
  field("  per direction", or_dash(link, format_si(link, "B/s")));
  field("compute units", hw.compute_units > 0 ? std::to_string(hw.compute_units) : "-");
  field("last-level cache", or_dash(hw.bytes_l2, format_bytes(hw.bytes_l2)));
  if (!hw.notes.empty()) std::cout << "\n  Notes: " << hw.notes << "\n";
  std::cout << "\nSources:\n";
  for (const auto& s : hw.sources) {
    std::cout << "  - " << s.what;
    if (!s.date.empty()) std::cout << " (" << s.date << ")";
    std::cout << "\n";
    if (!s.url.empty()) std::cout << "    " << s.url << "\n";
  }
  print_prices(prices, hw);
}

void print_list(const HardwareCatalog& catalog, const PriceCatalog& prices, bool with_prices) {
  std::vector<std::string> header = {"ID", "NAME", "BF16 TFLOP/s", "FP8 TFLOP/s", "MEMORY", "BANDWIDTH", "TDP",
                                     "INTERCONNECT"};
  std::vector<bool> right = {false, false, true, true, true, true, true, false};
  if (with_prices) {
    header.insert(header.end(), {"FROM $/DEVICE-H", "PROVIDER"});
    right.insert(right.end(), {true, false});
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& hw : catalog.all()) {
    std::vector<std::string> row = {hw.id,
                                    hw.name,
                                    tflops(hw.peak(DType::kBF16)),
                                    tflops(hw.peak(DType::kFP8)),
                                    or_dash(hw.bytes_memory, format_bytes(hw.bytes_memory)),
                                    or_dash(hw.bytes_per_second_memory, format_si(hw.bytes_per_second_memory, "B/s")),
                                    or_dash(hw.watts_tdp, fmt::format("{:.0f} W", hw.watts_tdp)),
                                    hw.interconnect.empty() ? "-" : hw.interconnect};
    if (with_prices) {
      const InstancePrice* p = prices.cheapest_on_demand(hw.id);
      row.push_back(p ? format_usd(p->usd_per_device_hour) : "-");
      row.push_back(p ? p->provider : "-");
    }
    rows.push_back(std::move(row));
  }
  print_table(header, right, rows);
  std::cout << "\nDense peaks (vendor figures \"with sparsity\" halved). `flopscope hardware ID` shows sources.\n";
  if (with_prices) std::cout << "Prices: cheapest current on-demand list price per device-hour; dates vary.\n";
}

// The system catalog (data/hardware/systems.toml): nodes and their networks.
nlohmann::json system_json(const System& s) {
  nlohmann::json sources = nlohmann::json::array();
  for (const auto& src : s.sources) sources.push_back({{"what", src.what}, {"url", src.url}, {"date", src.date}});
  return {{"id", s.id},
          {"name", s.name},
          {"hardware", s.hardware},
          {"gpus_per_node", s.gpus_per_node},
          {"intra_node", s.intra_node},
          {"bytes_per_second_link", s.bytes_per_second_link},
          {"bytes_per_second_busbw_intra", si_or_null(s.bytes_per_second_busbw_intra)},
          {"bytes_per_second_busbw_intra_allreduce", si_or_null(s.bytes_per_second_busbw_intra_allreduce)},
          {"inter_node", s.inter_node},
          {"nics_per_node", s.nics_per_node},
          {"bits_per_second_nic", s.bits_per_second_nic},
          {"bytes_per_second_busbw_inter", si_or_null(s.bytes_per_second_busbw_inter)},
          {"seconds_latency_intra", s.seconds_latency_intra},
          {"seconds_latency_inter", s.seconds_latency_inter},
          {"notes", s.notes},
          {"sources", sources}};
}

void print_systems(const SystemCatalog& systems) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& s : systems.all()) {
    Network n = s.network();
    rows.push_back({s.id, s.hardware, std::to_string(s.gpus_per_node), format_si(n.bytes_per_second_intra, "B/s"),
                    s.nics_per_node > 0 ? fmt::format("{} x {:.0f} Gb/s", s.nics_per_node, s.bits_per_second_nic / 1e9) : "-",
                    n.multi_node() ? format_si(n.bytes_per_second_inter, "B/s") : "-", s.name});
  }
  print_table({"ID", "HARDWARE", "GPUS/NODE", "INTRA BUSBW", "NICS", "NETWORK BUSBW", "NAME"},
              {false, false, true, true, true, true, false}, rows);
  std::cout << "\nBus bandwidths as nccl-tests measures them (per GPU inside a node; a whole node's network\n"
               "across nodes). Sources: --systems --json, data/hardware/systems.toml.\n";
}

// ---------------------------------------------------------------------------- the command

std::function<int()> setup_hardware(CLI::App& sub) {
  struct Options {
    bool json = false;
    bool prices = false;
    bool systems = false;
    std::string id;
  };
  auto opts = std::make_shared<Options>();
  sub.add_flag("--json", opts->json, "Print JSON in SI units (FLOP/s, bytes, bytes/s, watts)");
  sub.add_flag("--prices", opts->prices, "Add the cheapest on-demand price per device-hour (or all prices in --json)");
  sub.add_flag("--systems", opts->systems, "List the system catalog: nodes, their fabric and network (for --gpus)");
  sub.add_option("id", opts->id, "A hardware id or alias (h100-sxm, a100, tpu-v5e, ...): show it in detail");
  set_examples(sub, {"flopscope hardware", "flopscope hardware --prices", "flopscope hardware h100-sxm",
                     "flopscope hardware mi300x --json", "flopscope hardware --systems",
                     "FLOPSCOPE_HARDWARE=my-gpus.toml flopscope hardware   # add or override entries"});
  return [opts]() -> int {
    if (const Status& st = HardwareCatalog::builtin_status(); !st) return report_error(st.error());
    const HardwareCatalog& catalog = HardwareCatalog::builtin();
    const PriceCatalog& prices = PriceCatalog::builtin();
    if (opts->systems) {
      const SystemCatalog& systems = SystemCatalog::builtin();
      if (opts->json) {
        nlohmann::json list = nlohmann::json::array();
        for (const auto& s : systems.all()) list.push_back(system_json(s));
        print_json({{"systems", list}});
      } else {
        print_systems(systems);
      }
      return 0;
    }
    if (!opts->id.empty()) {
      auto hw = catalog.find(opts->id);
      if (!hw) return report_error(hw.error());
      if (opts->json) {
        print_json(hardware_json(**hw, &prices));
      } else {
        print_detail(**hw, prices);
      }
      return 0;
    }
    if (opts->json) {
      nlohmann::json list = nlohmann::json::array();
      for (const auto& hw : catalog.all()) list.push_back(hardware_json(hw, opts->prices ? &prices : nullptr));
      print_json({{"flops_convention", "dense peak per dtype; vendor figures with sparsity are halved; null = "
                                       "unsupported or unknown"},
                  {"hardware", list}});
      return 0;
    }
    print_list(catalog, prices, opts->prices);
    return 0;
  };
}

FLOPSCOPE_COMMAND({"hardware", "List the hardware catalog: peaks, memory, bandwidth, prices", setup_hardware, 60});

}  // namespace
}  // namespace flopscope::cli
