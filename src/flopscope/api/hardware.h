// `hardware`: the hardware catalog as a table, one entry in detail (with its sources and
// prices), or the system catalog (docs/hardware-catalog.md).
#pragma once

#include <string>

#include "flopscope/api/api.h"

namespace flopscope::api {

struct HardwareOptions {
  std::string id;        ///< a hardware id or alias: that entry in detail; empty: the list
  bool prices = false;   ///< the list: the cheapest on-demand price (JSON: every price)
  bool systems = false;  ///< the system catalog instead
};

/// The catalog document ({"hardware": [...]}, one entry, or {"systems": [...]}) or its text.
Result<Output> hardware(const HardwareOptions& options, const Render& render);

/// The JSON form: keys id, prices, systems.
Result<HardwareOptions> hardware_options(const Json& options);

}  // namespace flopscope::api
