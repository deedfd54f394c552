// Environments: where a workload runs (design.md, "Environment"). An environment is the
// hardware (catalog id, optionally with a calibration profile), the device count and
// interconnect, the precision, the software stack, the price model and the power.
//
// Named environments live in a TOML file (docs/transitions.md, docs/examples/envs.toml):
//
//   [env.h100-fp8]
//   hardware = "h100-sxm"          # catalog id or alias (required)
//   devices = 8                    # positive integer (default 1)
//   dtype = "fp8"                  # compute dtype (default bf16)
//   weights = "fp8"                # inference weight storage (default: dtype); int8/int4 allowed
//   software = "graphs"            # eager | graphs | compiled (default: per phase, predict.h)
//   profile = "h100.toml"          # calibration profile, relative to the env file
//   flash_attention = true
//   provider = "AWS"               # price data provider (default: the cheapest)
//   pricing = "on-demand"          # on-demand | spot | reserved-1y | reserved-3y | ...
//   usd_per_device_hour = 2.5      # given price (overrides the price data)
//   watts = 700                    # board power per device, at full load (default: catalog TDP)
//   idle_watts = 140               # per device, loaded and idle (default: data/hardware/power.toml)
//   pue = 1.2                      # data-centre power usage effectiveness (default: power.toml,
//                                  # the Uptime Institute 2023 average, 1.58)
//   region = "us-east-1"           # grid region for carbon (data/carbon/grid.toml; default: the
//                                  # region of the price it pays, when the grid file lists it)
//   carbon_g_per_kwh = 400         # grid carbon intensity, overrides region (default: by region)
//   bytes_per_second_interconnect = 450e9   # per device, one direction (default: catalog)
//
// A catalog hardware id is itself an environment: one device, bf16, catalog efficiencies,
// the cheapest current on-demand price from the price data, the power model of
// data/hardware/power.toml (hw/power.h) and its default PUE.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "flopscope/hw/calibration.h"
#include "flopscope/hw/hardware.h"
#include "flopscope/hw/power.h"
#include "flopscope/perf/timing_engine.h"
#include "flopscope/util/dtype.h"
#include "flopscope/util/result.h"

namespace flopscope {

struct Environment {
  std::string name;                      ///< "h100-fp8" or the catalog id
  std::string description;
  std::string hardware_id;               ///< catalog id (aliases resolved)
  int64_t devices = 1;
  double bytes_per_second_interconnect = 0;  ///< per device; 0 = the catalog figure
  DType dtype = DType::kBF16;            ///< compute dtype
  std::optional<DType> weights;          ///< inference weight storage (default: dtype)
  std::optional<Software> software;      ///< default: default_software(phase)
  std::string profile_path;              ///< calibration profile ("" = catalog efficiencies)
  std::optional<CalibrationProfile> profile;  ///< loaded by load_environments / tests
  bool flash_attention = true;
  std::string provider;                  ///< "" = any provider (cheapest)
  std::string pricing = "on-demand";
  double usd_per_device_hour = 0;        ///< > 0: given, overrides the price data
  double watts = 0;                      ///< board power per device; 0 = power.toml / catalog TDP
  double idle_watts = 0;                 ///< idle power per device; 0 = power.toml
  double pue = 0;                        ///< >= 1 when given; 0 = the default (power.toml)
  double carbon_g_per_kwh = 0;           ///< > 0: given; 0 = by region (plan/carbon.h)
  std::string region;                    ///< grid region id (data/carbon/grid.toml); "" = the price's region
};

/// The price an environment pays per device-hour, and where it comes from.
struct PriceQuote {
  double usd_per_device_hour = 0;  ///< 0 = unknown
  std::string source;              ///< "given", "AWS p5.48xlarge on-demand (us-east-1, 2025-03)"
  std::string region;              ///< the priced instance's region ("" when given or global)
};

struct EnvironmentSet {
  std::string origin;  ///< the file the set came from ("" for none)
  std::vector<Environment> envs;

  /// An environment by name, a catalog hardware id as a one-device environment, or
  /// "<hardware id>-x<N>" as N devices of it (h100-sxm-x8).
  /// Unknown names: "unknown environment 'h10-fp8', did you mean 'h100-fp8'? (envs.toml)".
  Result<Environment> find(std::string_view name) const;
  std::vector<std::string> names() const;
};

/// A catalog hardware id as an environment (one device, bf16, on-demand, TDP).
Result<Environment> catalog_environment(std::string_view hardware_id);

/// Parses [env.NAME] tables. Errors name the origin and the field:
/// "envs.toml: env.h100-fp8.devices: expected a positive integer, got -1".
/// Profiles are not loaded here (see load_environments).
Result<EnvironmentSet> parse_environments(std::string_view toml_text, std::string_view origin);
/// Reads and parses a file, then loads each env's calibration profile (relative paths are
/// relative to the file's folder).
Result<EnvironmentSet> load_environments(const std::string& path);

/// The env's price: given, else the cheapest current price in the price data for its
/// hardware, pricing and provider (any provider when none is set). Unknown: 0.
PriceQuote price_of(const Environment& env);

/// The power model of the env's devices (hw/power.h): data/hardware/power.toml and the
/// catalog TDP, with the env's watts (board) and idle_watts when given.
PowerModel power_model_of(const Environment& env, const Hardware& hw);
/// The env's PUE: given, else the default of data/hardware/power.toml.
Pue pue_of(const Environment& env);

}  // namespace flopscope
