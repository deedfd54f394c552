// Options shared by every `predict` subcommand, `mfu`, `plan` and the serving commands:
// hardware, dtype, calibration profile and software stack, resolved by the library
// (api/setup.h) into what the timing engine needs.
#pragma once

#include <CLI/CLI.hpp>
#include <optional>
#include <string>

#include "flopscope/api/setup.h"
#include "flopscope/hw/calibration.h"
#include "flopscope/hw/hardware.h"
#include "flopscope/perf/timing_engine.h"
#include "flopscope/util/result.h"

namespace flopscope::cli {

struct Common {
  std::string hardware;
  std::string dtype = "bf16";
  std::string profile;
  std::string software;  ///< empty: the default of the subcommand
  bool json = false;
};

void add_common(CLI::App& sub, Common& c, const char* software_default = "eager");

/// The library's form of the options; warnings go to stderr ("flopscope: warning: ...").
api::EngineOptions hardware_options(const Common& c);

}  // namespace flopscope::cli
