// Energy of predicted work: the busy fraction the power model (hw/power.h) needs, taken
// from the timing engine's prediction, and one accounting used by every analysis
// (run_job for transition and rank, compress, simulate, capacity).
//
// Busy fraction u of a predicted span of time:
//   u = (seconds of compute-bound ops + seconds of memory-bound ops) / wall seconds
// where each op's bound is the engine's (perf/timing_engine.h, Bound). Ops bound by launch
// overhead, GPU time lost behind a slow host, collectives (the device waits on links) and
// time with no work (between requests, pipeline bubbles) count as idle. A compute- or
// memory-bound op's own launch cost counts as busy: it is smaller than its work by
// definition of the bound.
//
//   watts per device  = P(u) = idle + (board - idle) * u
//   joules            = devices * P(u) * seconds * PUE
//   joules_per_token  = joules / tokens
//   kwh_per_million   = joules_per_token * 1e6 / 3.6e6
//
// Why this u: sustained compute-bound work draws board power (validation/h200:
// 693 W of 700 W through a prefill), and a device with a context loaded and nothing to run
// draws idle power (data/hardware/power.toml). Memory-bound decoding draws less than board
// power on real devices; charging it as busy makes decode energy an upper bound
// (docs/serving.md, "Energy").
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "flopscope/hw/power.h"
#include "flopscope/perf/predict.h"

namespace flopscope {

inline constexpr double kJoulesPerKwh = 3.6e6;

/// Busy seconds of one predicted step: the seconds of its compute- and memory-bound ops.
double seconds_busy(const Prediction& p);
/// seconds_busy(p) / the step's own seconds, in [0, 1] (0 for an empty step).
double busy_fraction(const Prediction& p);

/// Energy of `devices` devices over `seconds` of which `seconds_busy` are busy.
struct EnergyEstimate {
  PowerKnowledge knowledge = PowerKnowledge::kUnknown;
  double utilization = 0;     ///< busy fraction u
  double watts_idle = 0;      ///< per device (kIdleToBoard)
  double watts_board = 0;     ///< per device
  double watts = 0;           ///< per device at u: the mean draw
  double pue = 1;
  std::string pue_source;
  std::string assumption;     ///< the power figures' assumption, if any
  std::optional<double> joules;  ///< nullopt: not known (no board power)

  bool known() const { return joules.has_value(); }
  /// joules / tokens, nullopt when not known or tokens <= 0.
  std::optional<double> joules_per(double tokens) const;
  /// kWh per million of `tokens`, nullopt when not known.
  std::optional<double> kwh_per_million(double tokens) const;
};

/// The one accounting: `seconds_busy` is clamped to [0, seconds].
EnergyEstimate estimate_energy(const PowerModel& model, const Pue& pue, double devices, double seconds,
                               double seconds_busy);

/// A PUE given on the command line or in a request: 0 (the default) or a number in [1, 10];
/// "--pue: expected a number in [1, 10], got 0.5".
Status validate_pue(double pue, std::string_view field);

/// One line for tables: "idle 142.5 W to board 700 W by utilization; PUE 1.58 (Uptime ...)",
/// "board 300 W throughout (no idle figure): an upper bound; PUE 1.58 (...)",
/// "not known: no board power for 'x' in the catalog".
std::string describe_power(const PowerModel& model, const Pue& pue);

/// The power figures as a JSON object: model, watts_idle, watts_board (null when not
/// known), assumption, sources, pue, pue_source.
nlohmann::json power_json(const PowerModel& model, const Pue& pue);

/// The energy fields of a run: utilization, watts_per_device, pue, joules, kwh (null when
/// not known), joules_per_token and kwh_per_million_tokens over `tokens` (when > 0), and
/// power_model (power_knowledge_text).
nlohmann::json energy_json(const EnergyEstimate& e, double tokens);

}  // namespace flopscope
