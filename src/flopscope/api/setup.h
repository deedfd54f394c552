// What every timing command (predict gemm|attention|prefill|decode|train|graph, mfu, plan,
// serving) resolves its hardware options into: the catalog hardware, the compute dtype, a
// calibration profile and the software stack, and the system many devices run on.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "flopscope/api/options.h"
#include "flopscope/hw/calibration.h"
#include "flopscope/hw/hardware.h"
#include "flopscope/hw/system.h"
#include "flopscope/perf/timing_engine.h"
#include "flopscope/util/result.h"

namespace flopscope::api {

/// The options every timing command takes (the CLI's --hardware, --dtype, --profile,
/// --software).
struct EngineOptions {
  std::string hardware;   ///< catalog id or alias (required)
  std::string dtype = "bf16";
  std::string profile;    ///< calibration profile (flopscope probe); empty: catalog efficiencies
  std::string software;   ///< eager, graphs or compiled; empty: the command's default
  /// Receives a warning (a profile calibrated for other hardware); the CLI prints it on stderr.
  std::function<void(const std::string&)> warn;
};

/// Everything the timing engine needs, resolved from EngineOptions.
struct Setup {
  const Hardware* hardware = nullptr;
  std::optional<CalibrationProfile> profile;
  DType dtype = DType::kBF16;
  Software software = Software::kEager;
  const CalibrationProfile* profile_or_null() const { return profile ? &*profile : nullptr; }
};

/// Resolves the options; `software_default` applies when `software` is empty. Errors name
/// the CLI flags ("--dtype: ...").
Result<Setup> resolve_setup(const EngineOptions& o, Software software_default = Software::kEager);

/// The system `gpus` devices of `hardware` run on: `system` (its hardware must match), or the
/// catalog's reference node of the hardware, or a standalone node. `gpus` past one node needs a
/// network: "--system: 'l4-node' has no network to other nodes in the catalog; 16 GPUs need
/// more than its 8 per node (give --system)".
Result<System> resolve_system(const std::string& system, const Hardware& hardware, int64_t gpus);

/// Reads the EngineOptions keys (hardware, dtype, profile, software) of a JSON form.
void read_engine_options(OptionsReader& r, EngineOptions& o);

}  // namespace flopscope::api
