// The power model: what one device draws at a utilization, and the data-centre overhead
// (PUE) on top. Data: data/hardware/power.toml (idle watts per accelerator, the default
// PUE, each with its source), board power from the hardware catalog's tdp_w.
//
//   P(u) = watts_idle + (watts_board - watts_idle) * u         per device, u in [0, 1]
//   E    = devices * P(u) * seconds * PUE                       joules
//
// u is the busy fraction of the predicted time (plan/energy.h defines it from the timing
// engine's prediction). A linear interpolation between idle and board power is the usual
// first-order GPU power model; measured draws sit at board power for sustained
// compute-bound work (validation/h200/prefill-profile.json: 693 W of 700 W) and below it for
// memory-bound decoding, so for decode this is an upper bound (docs/serving.md, "Energy").
//
// Three states of knowledge, never a silent 0:
//   kIdleToBoard  idle and board power known: the model above
//   kBoardOnly    board power (tdp_w) but no idle figure: P(u) = board for any u, an upper bound
//   kUnknown      no board power: no energy ("not known" in tables, null in JSON)
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "flopscope/hw/hardware.h"
#include "flopscope/util/result.h"

namespace flopscope {

enum class PowerKnowledge { kIdleToBoard, kBoardOnly, kUnknown, kCount };

/// "idle to board power by utilization", "board power throughout (no idle figure): an
/// upper bound", "not known (no board power in the catalog)".
std::string_view power_knowledge_text(PowerKnowledge k);

/// One device's power figures.
struct PowerModel {
  std::string hardware_id;
  PowerKnowledge knowledge = PowerKnowledge::kUnknown;
  double watts_idle = 0;   ///< kIdleToBoard only
  double watts_board = 0;  ///< kIdleToBoard and kBoardOnly
  std::string assumption;  ///< non-empty when a figure is not a measurement of this device
  std::vector<SourceRef> sources;

  bool known() const { return knowledge != PowerKnowledge::kUnknown; }
  /// Watts at busy fraction `u` (clamped to [0, 1]); 0 when not known.
  double watts_at(double u) const;
};

/// The data-centre power usage effectiveness: total facility power / IT power.
struct Pue {
  double value = 1;
  std::string source;  ///< "given" or the data file's citation
};

class PowerCatalog {
 public:
  /// The embedded data/hardware/power.toml (it is tested, so a failure here is a bug).
  static const PowerCatalog& builtin();
  /// Parses the power file; errors name `origin` and the field
  /// ("power.toml: power.h100-sxm.idle_w: expected a non-negative number, got -3").
  static Result<PowerCatalog> parse(std::string_view toml, std::string_view origin);

  /// The model of `hw`: its idle figure from this file, its board power from this file's
  /// board_w or else the catalog's tdp_w. An idle figure above the board power is clamped
  /// to it.
  PowerModel model_of(const Hardware& hw) const;
  /// The same with the board (and optionally idle) watts given by the user (> 0 overrides).
  PowerModel model_of(const Hardware& hw, double watts_board_given, double watts_idle_given) const;

  const Pue& default_pue() const { return pue_; }

 private:
  struct Entry {
    std::string id;
    double watts_idle = 0;
    double watts_board = 0;  ///< 0 = the catalog's tdp_w
    std::string assumption;
    std::vector<SourceRef> sources;
  };
  std::vector<Entry> entries_;
  Pue pue_;
};

/// Joules of `devices` devices drawing model.watts_at(u) for `seconds`, times `pue`;
/// nullopt when the model is not known.
///
/// **Example**: 8 H100 (142.5 W idle, 700 W board) half busy for an hour at PUE 1.58:
///   8 * (142.5 + 557.5 * 0.5) W * 3600 s * 1.58 = 19.2 MJ (5.3 kWh)
std::optional<double> energy_joules(const PowerModel& model, double devices, double seconds, double u, double pue);

}  // namespace flopscope
