#include "flopscope/api/hardware.h"

#include <fmt/format.h>

#include <string>
#include <vector>

#include "flopscope/api/options.h"
#include "flopscope/hw/hardware.h"
#include "flopscope/hw/system.h"
#include "flopscope/plan/price_catalog.h"
#include "flopscope/report/table.h"
#include "flopscope/util/units.h"

namespace flopscope::api {

namespace {

// TFLOP/s with one decimal, so a column compares at a glance; "-" when unsupported.
std::string tflops(double flops) {
  if (flops <= 0) return "-";
  double t = flops / 1e12;
  return t < 10 ? fmt::format("{:.2f}", t) : fmt::format("{:.1f}", t);
}
std::string or_dash(double v, const std::string& text) { return v > 0 ? text : "-"; }

Json si_or_null(double v) { return v > 0 ? Json(v) : Json(nullptr); }

Json price_json(const InstancePrice& p) {
  return {{"provider", p.provider},
          {"instance", p.instance},
          {"hardware_id", p.hardware_id},
          {"device_count", p.device_count},
          {"usd_per_hour", p.usd_per_hour},
          {"usd_per_device_hour", p.usd_per_device_hour},
          {"pricing", p.pricing},
          {"region", p.region.empty() ? Json(nullptr) : Json(p.region)},
          {"date", p.date},
          {"current", p.current},
          {"source", p.source},
          {"confidence", p.confidence},
          {"note", p.note}};
}

Json hardware_json(const Hardware& hw, const PriceCatalog* prices) {
  Json j = {{"id", hw.id},
            {"name", hw.name},
            {"vendor", hw.vendor},
            {"kind", hw.kind},
            {"release_year", hw.release_year > 0 ? Json(hw.release_year) : Json(nullptr)},
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
  j["compute_units"] = hw.compute_units > 0 ? Json(hw.compute_units) : Json(nullptr);
  j["bytes_l2"] = si_or_null(hw.bytes_l2);
  j["notes"] = hw.notes;
  Json sources = Json::array();
  for (const auto& s : hw.sources) sources.push_back({{"what", s.what}, {"url", s.url}, {"date", s.date}});
  j["sources"] = sources;
  if (prices) {
    Json list = Json::array();
    for (const auto* p : prices->for_hardware(hw.id)) list.push_back(price_json(*p));
    j["prices"] = list;
  }
  return j;
}

std::string prices_text(const PriceCatalog& prices, const Hardware& hw) {
  auto list = prices.for_hardware(hw.id);
  if (list.empty()) return "\nPrices: none in the catalog.\n";
  Table t({"PROVIDER", "INSTANCE", "DEVICES", "$/DEVICE-H", "$/H", "PRICING", "REGION", "DATE"},
          {false, false, true, true, true, false, false, false});
  for (const auto* p : list) {
    t.add({p->provider, p->instance, std::to_string(p->device_count), format_usd(p->usd_per_device_hour),
           format_usd(p->usd_per_hour), p->current ? p->pricing : p->pricing + " (superseded)",
           p->region.empty() ? "-" : p->region, p->date});
  }
  return "\nPrices (cheapest per device-hour first; list prices, check the date):\n" + t.render();
}

std::string detail_text(const Hardware& hw, const PriceCatalog& prices, const Render& r) {
  std::string out = style(r, hw.name, "1") + "  (" + hw.id + ")\n";
  // One label width for every block, so the blocks line up under each other.
  auto field = [&out](const std::string& label, const std::string& value) { out += fmt::format("  {:<22}{}\n", label, value); };
  field("vendor / kind", hw.vendor + " / " + hw.kind);
  if (hw.release_year > 0) field("release year", std::to_string(hw.release_year));
  if (!hw.aliases.empty()) {
    std::string a;
    for (const auto& s : hw.aliases) a += (a.empty() ? "" : ", ") + s;
    field("also accepted as", a);
  }
  out += "\n  Dense peak (no sparsity):\n";
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
  out += "\n";
  std::string memory_type = hw.memory_type.empty() ? "" : " (" + hw.memory_type + ")";
  field("memory", (hw.bytes_memory > 0 ? format_bytes(hw.bytes_memory) : "unknown") + memory_type);
  field("memory bandwidth", or_dash(hw.bytes_per_second_memory, format_si(hw.bytes_per_second_memory, "B/s")));
  field("TDP", or_dash(hw.watts_tdp, fmt::format("{:.0f} W", hw.watts_tdp)));
  field("interconnect", hw.interconnect.empty() ? "-" : hw.interconnect);
  double link = hw.bytes_per_second_interconnect;
  field("  per direction", or_dash(link, format_si(link, "B/s")));
  field("compute units", hw.compute_units > 0 ? std::to_string(hw.compute_units) : "-");
  field("last-level cache", or_dash(hw.bytes_l2, format_bytes(hw.bytes_l2)));
  if (!hw.notes.empty()) out += "\n  Notes: " + hw.notes + "\n";
  out += "\nSources:\n";
  for (const auto& s : hw.sources) {
    out += "  - " + s.what;
    if (!s.date.empty()) out += " (" + s.date + ")";
    out += "\n";
    if (!s.url.empty()) out += "    " + s.url + "\n";
  }
  return out + prices_text(prices, hw);
}

std::string list_text(const HardwareCatalog& catalog, const PriceCatalog& prices, bool with_prices) {
  std::vector<std::string> header = {"ID", "NAME", "BF16 TFLOP/s", "FP8 TFLOP/s", "MEMORY", "BANDWIDTH", "TDP",
                                     "INTERCONNECT"};
  std::vector<bool> right = {false, false, true, true, true, true, true, false};
  if (with_prices) {
    header.insert(header.end(), {"FROM $/DEVICE-H", "PROVIDER"});
    right.insert(right.end(), {true, false});
  }
  Table t(header, right);
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
    t.add(std::move(row));
  }
  std::string out = t.render();
  out += "\nDense peaks (vendor figures \"with sparsity\" halved). `flopscope hardware ID` shows sources.\n";
  if (with_prices) out += "Prices: cheapest current on-demand list price per device-hour; dates vary.\n";
  return out;
}

// The system catalog (data/hardware/systems.toml): nodes and their networks.
Json system_json(const System& s) {
  Json sources = Json::array();
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
          {"seconds_latency_intra_hop", s.seconds_latency_intra_hop},
          {"seconds_latency_inter", s.seconds_latency_inter},
          {"notes", s.notes},
          {"sources", sources}};
}

std::string systems_text(const SystemCatalog& systems) {
  Table t({"ID", "HARDWARE", "GPUS/NODE", "INTRA BUSBW", "NICS", "NETWORK BUSBW", "NAME"},
          {false, false, true, true, true, true, false});
  for (const auto& s : systems.all()) {
    Network n = s.network();
    t.add({s.id, s.hardware, std::to_string(s.gpus_per_node), format_si(n.bytes_per_second_intra, "B/s"),
           s.nics_per_node > 0 ? fmt::format("{} x {:.0f} Gb/s", s.nics_per_node, s.bits_per_second_nic / 1e9) : "-",
           n.multi_node() ? format_si(n.bytes_per_second_inter, "B/s") : "-", s.name});
  }
  return t.render() +
         "\nBus bandwidths as nccl-tests measures them (per GPU inside a node; a whole node's network\n"
         "across nodes). Sources: --systems --json, data/hardware/systems.toml.\n";
}

}  // namespace

Result<Output> hardware(const HardwareOptions& o, const Render& render) {
  if (const Status& st = HardwareCatalog::builtin_status(); !st) return st.error();
  const HardwareCatalog& catalog = HardwareCatalog::builtin();
  const PriceCatalog& prices = PriceCatalog::builtin();
  Output out;
  if (o.systems) {
    const SystemCatalog& systems = SystemCatalog::builtin();
    if (render.json) {
      Json list = Json::array();
      for (const auto& s : systems.all()) list.push_back(system_json(s));
      out.json = {{"systems", list}};
    } else {
      out.text = systems_text(systems);
    }
    return out;
  }
  if (!o.id.empty()) {
    auto hw = catalog.find(o.id);
    if (!hw) return hw.error();
    if (render.json) {
      out.json = hardware_json(**hw, &prices);
    } else {
      out.text = detail_text(**hw, prices, render);
    }
    return out;
  }
  if (render.json) {
    Json list = Json::array();
    for (const auto& hw : catalog.all()) list.push_back(hardware_json(hw, o.prices ? &prices : nullptr));
    out.json = {{"flops_convention", "dense peak per dtype; vendor figures with sparsity are halved; null = "
                                     "unsupported or unknown"},
                {"hardware", list}};
  } else {
    out.text = list_text(catalog, prices, o.prices);
  }
  return out;
}

Result<HardwareOptions> hardware_options(const Json& options) {
  HardwareOptions o;
  OptionsReader r(options, "hardware");
  r.read("id", o.id).read("prices", o.prices).read("systems", o.systems);
  if (auto st = r.done(); !st) return st.error();
  return o;
}

}  // namespace flopscope::api
