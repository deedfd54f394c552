// Edge or cloud (docs/edge.md): serve one model at a request shape and a daily volume on
// owned edge devices or rented cloud GPUs, and find the volume at which they cost the same.
//
// Latency per request comes from the timing engine (run_job: prefill of `prompt` tokens plus
// `output` decode steps, `batch` requests served together). Each option is a unit: one edge
// device, or one cloud replica (the fewest of 1, 2, 4, 8 devices on which the model fits,
// tensor parallel). For a volume of V requests per day:
//
//   capacity      = utilization x 86400 / latency x batch          requests per day per unit
//   units(V)      = max(1, ceil(V / capacity))
//   usd/day(V)    = units(V) x usd_per_day_unit + V x usd_per_request_marginal
//   usd/request   = usd/day(V) / V
//     edge:  usd_per_day_unit  = purchase / (lifetime_years x 365) + idle W x 24 h x usd_per_kwh
//            marginal          = (round energy - idle W x latency) / batch x usd_per_kwh / 3.6e6
//     cloud: usd_per_day_unit  = devices x usd_per_device_hour x 24;  marginal = 0
//   energy/day(V) = units x devices x idle W x 86400 x PUE + V / batch x (round J - devices x idle W x latency x PUE)
//   CO2e/request  = energy/day / V x grid intensity (plan/carbon.h; edge: its own region)
// A device without an idle figure is charged board power all day (an upper bound, said so).
// Edge devices run at PUE 1 (no data centre); cloud devices at their PUE (power.toml).
//
// Break-even volume of an edge option: the smallest V >= 1 at which the cheaper of it and the
// cheapest cloud option at V changes, i.e. sign(edge usd/day(V) - min cloud usd/day(V)) differs
// from its sign at V = 1. Both costs are piecewise linear in V (they step where a unit is
// added), so it is found exactly segment by segment; where the change falls inside a segment the
// two per-request costs are equal there (to the cent fraction), where it falls on a step the
// cheaper one flips at that request.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "flopscope/plan/job.h"

namespace flopscope {

/// What owning a device costs: data/edge/owned.toml.
struct OwnedDefaults {
  double lifetime_years = 3;
  std::string lifetime_note;
  double usd_per_kwh = 0;
  SourceRef usd_per_kwh_source;
  std::string region;  ///< the edge's grid region (data/carbon/grid.toml)
};

struct OwnedPrice {
  std::string hardware_id;
  double purchase_usd = 0;
  std::string what;  ///< the product priced ("developer kit")
  std::vector<SourceRef> sources;
};

class OwnedCatalog {
 public:
  /// The embedded data/edge/owned.toml (tested; a failure is a build error).
  static const OwnedCatalog& builtin();
  /// Errors name `origin` and the field ("owned.toml: device.x.purchase_usd: expected a
  /// positive number, got -1"); a device id must be in the hardware catalog.
  static Result<OwnedCatalog> parse(std::string_view toml, std::string_view origin);
  const OwnedDefaults& defaults() const { return defaults_; }
  const OwnedPrice* find(std::string_view hardware_id) const;
  const std::vector<OwnedPrice>& all() const { return prices_; }

 private:
  OwnedDefaults defaults_;
  std::vector<OwnedPrice> prices_;
};

/// The edge devices compared when none are named: every device in owned.toml, the other
/// edge entries of the catalog (Jetson AGX Orin) and a server CPU (epyc-9654).
std::vector<std::string> default_edge_devices();

/// The cloud candidates when none are named: every accelerator the price catalog prices (its
/// cheapest current on-demand price), one environment each, named by hardware id.
std::vector<Environment> priced_cloud_environments(int64_t devices = 1);

struct EdgeRequest {
  int64_t prompt = 0, output = 0, batch = 1;
  double requests_per_day = 0;
  double utilization = 0.5;      ///< the busy share a unit may reach (queueing headroom)
  double lifetime_years = 0;     ///< 0: owned.toml's default
  double usd_per_kwh = 0;        ///< 0: owned.toml's default
  std::string edge_region;       ///< "": owned.toml's default
  double edge_carbon_g_per_kwh = 0;  ///< > 0 overrides the edge region's intensity
  std::map<std::string, double> purchase_usd;  ///< hardware id -> price, over owned.toml
  std::vector<std::string> edge_devices;       ///< hardware ids; empty: default_edge_devices()
  std::vector<Environment> cloud;              ///< empty: priced_cloud_environments()
  std::optional<DType> dtype;                  ///< compute dtype (default bf16, per device below)
};

/// Checks sizes and ranges; errors name the CLI's flags ("--requests-per-day: ...").
Status validate(const EdgeRequest& r);

struct EdgeOption {
  std::string name;           ///< "jetson-agx-orin-64gb", "h100-sxm-x2"
  std::string hardware;
  bool edge = false;
  int64_t devices = 1;        ///< per unit
  DType dtype = DType::kBF16, weights = DType::kBF16;
  bool compared = false;      ///< false: `note` says why (does not fit, cannot run, no price)
  std::string note;
  bool fits = false;
  double seconds_latency = 0;         ///< one request (its batch): prefill + decode
  double seconds_first_token = 0;     ///< prefill of the batch
  double requests_per_day_per_unit = 0;
  int64_t units = 0;                  ///< at the volume
  std::optional<double> usd_per_day_unit;         ///< nullopt: no price
  double usd_per_request_marginal = 0;
  std::optional<double> usd_per_day;              ///< at the volume
  std::optional<double> usd_per_request;
  std::string price_source;
  std::optional<double> joules_per_request;       ///< nullopt: no power figure
  bool energy_upper_bound = false;                ///< board power all day (no idle figure)
  CarbonQuote carbon;
  std::optional<double> grams_co2_per_request;
  std::optional<double> break_even_requests_per_day;  ///< edge options only
  bool edge_cheaper_below = true;                      ///< which side wins under the break-even
  std::string break_even_note;
  JobRun run;                                          ///< the timing of one round
};

struct EdgeComparison {
  EdgeRequest request;      ///< with the defaults filled in
  std::string lifetime_note;
  std::string usd_per_kwh_source;
  std::vector<EdgeOption> options;  ///< edge first, then cloud; each group cheapest first
  std::optional<size_t> cheapest_cloud;  ///< index into options at the volume
  std::optional<size_t> cheapest_edge;
  double requests_per_day_searched = 0;  ///< the break-even search's upper end
};

/// Daily cost of an option at `requests_per_day` from its reported coefficients (the formula
/// at the top); nullopt without a price.
std::optional<double> usd_per_day_at(const EdgeOption& o, double requests_per_day);
/// max(1, ceil(V / capacity)).
int64_t units_at(const EdgeOption& o, double requests_per_day);

/// Runs every option and compares them at the request's volume.
Result<EdgeComparison> compare_edge_cloud(const TransformerSpec& spec, EdgeRequest request);

}  // namespace flopscope
