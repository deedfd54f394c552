// Grid carbon intensity: grams of CO2-equivalent per kWh of electricity, per cloud region
// and per country, each with its source and data year. Data: data/carbon/grid.toml, embedded
// at build time.
//
//   grams CO2e = kWh drawn x g_co2e_per_kwh          (kWh with the PUE in: hw/power.h)
//
// The figures are location-based annual averages of the local grid (GHG Protocol Scope 2),
// not what a provider reports after buying renewable energy. The lookup lives in hw/ (beside
// the power model) so that both plan/ (transition, rank, edge) and ledger/ (report) use it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "flopscope/hw/hardware.h"
#include "flopscope/util/result.h"

namespace flopscope {

inline constexpr double kJoulesPerKilowattHour = 3.6e6;
/// The largest intensity a user may give (docs/limits.md): far above any grid (coal alone
/// is about 1,000 g/kWh).
inline constexpr double kMaxGramsPerKwh = 1e5;

/// One region's grid.
struct GridIntensity {
  std::string id;        ///< "us-east-1", "us-central1", "eastus", "de", "world"
  std::string kind;      ///< "cloud-region", "country", "world"
  std::string provider;  ///< "AWS", "GCP", "Azure" for cloud regions; "" otherwise
  std::string location;  ///< "Northern Virginia", "Germany"
  std::vector<std::string> aliases;
  double g_co2e_per_kwh = 0;
  int64_t year = 0;      ///< the data year
  std::string basis;     ///< how the figure was taken when not the source's own measure ("" = as published)
  SourceRef source;

  /// "us-central1 (GCP, Iowa): 431.95 gCO2e/kWh, 2025 (https://github.com/GoogleCloudPlatform/...)",
  /// with the basis after the year when there is one.
  std::string describe() const;
};

class CarbonCatalog {
 public:
  /// The embedded data/carbon/grid.toml (tested; a failure here is a build error).
  static const CarbonCatalog& builtin();
  /// Parses the grid file; errors name `origin` and the field
  /// ("grid.toml: grid.us.g_co2e_per_kwh: expected a positive number, got -3").
  static Result<CarbonCatalog> parse(std::string_view toml, std::string_view origin);

  /// The region with this id or alias (case-insensitive). Unknown: one line with the nearest
  /// name, "unknown region 'us-east1x', did you mean 'us-east1'? (see data/carbon/grid.toml)".
  Result<const GridIntensity*> find(std::string_view region) const;
  const std::vector<GridIntensity>& all() const { return entries_; }
  std::vector<std::string> ids() const;

 private:
  std::vector<GridIntensity> entries_;
};

/// Grams CO2e of `joules` of electricity at `g_per_kwh`: joules / 3.6e6 x g_per_kwh.
///
/// **Example**: 19.2 MJ (5.33 kWh) in us-east-1 at 343.48 g/kWh = 1,832 g.
double grams_co2e(double joules, double g_per_kwh);

/// A carbon intensity given by a user (a flag, a file, a request): 0 (not given) or a number
/// in (0, 1e5]; "--carbon-g-per-kwh: expected a number in (0, 100000] gCO2e/kWh, got -1".
Status validate_grams_per_kwh(double g_per_kwh, std::string_view field);

}  // namespace flopscope
