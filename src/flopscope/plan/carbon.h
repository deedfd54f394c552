// Carbon of a run: which grid an environment draws from, and the grams CO2e of its energy
// (hw/carbon.h holds the sourced intensities, data/carbon/grid.toml).
//
// The grid intensity of an environment, first that applies:
//   1. carbon_g_per_kwh given (env file, --carbon-g-per-kwh): "given"
//   2. region given (env file `region = "us-east-1"`, --region): the catalog figure
//   3. the region of the cloud price it pays (plan/environment.h price_of): AWS us-east-1,
//      GCP us-central1, Azure eastus, ... when the grid file lists that region
//   4. none: carbon not known (null in JSON, "not known" in tables), never 0
//
//   grams_co2 = joules (PUE included, plan/energy.h) / 3.6e6 x g_co2e_per_kwh
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "flopscope/hw/carbon.h"
#include "flopscope/plan/environment.h"

namespace flopscope {

/// The grid intensity an environment's energy is charged at.
struct CarbonQuote {
  double g_per_kwh = 0;  ///< 0 = not known
  std::string region;    ///< grid region id ("" when given as a number or not known)
  std::string source;    ///< "given", or GridIntensity::describe() of the region
  bool known() const { return g_per_kwh > 0; }
};

/// The intensity for `env` paying `price` (rules 1-4 above). Errors: an env region that the
/// grid file does not list (unknown region '...', did you mean ...).
Result<CarbonQuote> carbon_of(const Environment& env, const PriceQuote& price);

/// Grams CO2e of `joules` at `quote`, nullopt when either is not known.
std::optional<double> grams_co2_of(std::optional<double> joules, const CarbonQuote& quote);

/// Sets every environment's region (checked against data/carbon/grid.toml, errors name
/// `field`) and/or given intensity (checked, 0 = not given). Used for --region and
/// --carbon-g-per-kwh on rank, transition and edge.
Status apply_carbon(const std::string& region, double g_per_kwh, std::vector<Environment>& envs,
                    std::string_view region_field = "--region", std::string_view g_field = "--carbon-g-per-kwh");

/// {"g_co2e_per_kwh", "region", "source"} (region null when none), or null when not known.
nlohmann::json carbon_json(const CarbonQuote& quote);

/// "1.83 kg CO2e", "1.70 t CO2e", "412 g CO2e"; "not known" for nullopt.
std::string format_co2(std::optional<double> grams);

}  // namespace flopscope
