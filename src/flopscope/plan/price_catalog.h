// The price catalog: cloud instances' list prices per accelerator, each with its provider,
// region, date and source. Data: data/prices/*.toml (schema at the top of those files and
// in docs/hardware-catalog.md), embedded at build time. Prices are a planning input, apart
// from the hardware they rent (hw/hardware.h), which they name by catalog id.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "flopscope/util/result.h"

namespace flopscope {

/// A cloud instance's list price.
struct InstancePrice {
  std::string provider;     ///< "AWS", "GCP", "Azure", "Lambda", ...
  std::string instance;     ///< "p5.48xlarge"
  std::string hardware_id;  ///< catalog id of its accelerator
  int64_t device_count = 0;
  double usd_per_hour = 0;         ///< whole instance
  double usd_per_device_hour = 0;  ///< per accelerator
  std::string pricing;             ///< "on-demand", "spot", "reserved-1y", ...
  std::string region;
  std::string date;
  std::string source;
  std::string confidence;  ///< "high", "medium", "derived" (computed, not read directly)
  std::string note;
  bool current = true;     ///< false: superseded, kept for history; not used by cheapest_on_demand
};

class PriceCatalog {
 public:
  /// The embedded prices (data/prices/*.toml).
  static const PriceCatalog& builtin();
  /// Parses [[price]] tables; usd_per_device_hour defaults to usd_per_hour / device_count.
  static Result<PriceCatalog> parse(std::string_view toml, std::string_view origin);
  const std::vector<InstancePrice>& all() const { return entries_; }
  /// Every price for an accelerator, cheapest per device-hour first.
  std::vector<const InstancePrice*> for_hardware(std::string_view hardware_id) const;
  /// The cheapest current on-demand per-device-hour price for an accelerator, or nullptr.
  const InstancePrice* cheapest_on_demand(std::string_view hardware_id) const;

 private:
  std::vector<InstancePrice> entries_;
};

}  // namespace flopscope
