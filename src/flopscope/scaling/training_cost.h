// From a budget in FLOPs, GPU-hours or dollars to time and cost on a given accelerator:
//
//   seconds on one device = C / (peak_bf16 * MFU),   cost = device-hours * $/device-hour
//
// MFU (model FLOPs utilisation, PaLM convention: 6 N D model FLOPs, no recomputation) comes
// from the user or from default_mfu(), which asks the timing engine (perf/predict.h) for a
// model of that size on that hardware.
#pragma once

#include <string>
#include <string_view>

#include "flopscope/hw/hardware.h"

namespace flopscope {

/// MFU to assume for training a dense model of `params` on `hw` when the user gives none:
/// the timing engine's prediction for one training micro-batch (4 x 4096 tokens, bf16 or
/// fp16, eager, flash attention, no recomputation, no communication) of a Llama-shaped
/// model of that size, so it varies with the model size and the hardware. Only when the
/// hardware has no 16-bit compute or the engine cannot predict is it the constant 0.40
/// (Llama 3 405B reached 38-43% BF16 MFU on H100: "The Llama 3 Herd of Models", 2024,
/// Table 4).
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

}  // namespace flopscope
