// From a budget in FLOPs, GPU-hours or dollars to time and cost on a given accelerator:
//
//   seconds on one device = C / (peak_bf16 * MFU),   cost = device-hours * $/device-hour
//
// MFU (model FLOPs utilisation, PaLM convention: 6 N D model FLOPs, no recomputation) comes
// from the caller: `optimal` takes the user's, else the timing engine's prediction of a
// training step over a many-device cluster (scaling/cluster.h), else default_mfu() below.
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "flopscope/hw/hardware.h"
#include "flopscope/scaling/scaling_law.h"

namespace flopscope {

/// Single-device MFU of a dense model of `params` on `hw`: the fallback when the user gives
/// no MFU and no many-device cluster can be predicted (scaling/cluster.h). The timing
/// engine's prediction for one training micro-batch (4 x 4096 tokens, bf16 or fp16, eager,
/// flash attention, no recomputation, no communication) of a Llama-shaped model of that
/// size, so it varies with the model size and the hardware; 0.40 (Llama 3 405B: 38-43% BF16
/// MFU on H100, "The Llama 3 Herd of Models", 2024, Table 4) only when the hardware has no
/// 16-bit compute or the engine cannot predict.
double default_mfu(const Hardware& hw, double params);

/// Where default_mfu's number comes from, for output ("MFU 40% (default: ...)").
std::string_view default_mfu_source();

struct TrainingRun {
  double flops = 0;                    ///< model FLOPs (6 N D)
  double flops_per_second_peak = 0;    ///< per device, dense BF16
  double mfu = 0;
  std::string mfu_source;
  double seconds_device = 0;           ///< device-seconds (GPU-seconds)
  double usd_per_device_hour = 0;      ///< 0 = no price known
  std::string price_source;
  double usd() const { return seconds_device / 3600 * usd_per_device_hour; }
  double hours_device() const { return seconds_device / 3600; }
  /// Wall-clock time on `devices` devices with perfect scaling (MFU already includes losses).
  double seconds_wall(double devices) const { return devices > 0 ? seconds_device / devices : 0; }
};

/// Time and cost of `flops` on `hw` at `mfu` (in (0, 1]).
TrainingRun training_run(double flops, const Hardware& hw, double mfu, std::string mfu_source,
                         double usd_per_device_hour, std::string price_source);

/// FLOPs that `device_hours` of `hw` deliver at `mfu`.
double flops_from_device_hours(double device_hours, const Hardware& hw, double mfu);

/// MFU of training a model of `params` parameters on `flops` training FLOPs.
using MfuFn = std::function<double(double params, double flops)>;

/// The training FLOPs a budget of `device_hours` of `hw` buys under `law`. The FLOPs depend
/// on the MFU, the MFU on the model size, and the model size (the law's compute-optimal one)
/// on the FLOPs: iterated to a fixed point from 1e9 parameters at MFU 0.4, for at most
/// `max_rounds` rounds (stops early once the FLOPs repeat).
double budget_flops_fixed_point(const ScalingLaw& law, double device_hours, const Hardware& hw, const MfuFn& mfu,
                                int max_rounds = 8);

}  // namespace flopscope
