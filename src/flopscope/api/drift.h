// `drift FILE --metric NAME`: changes in a quality metric or drift statistic over time
// (Page-Hinkley or ADWIN, plan/drift.h), PSI alerts of binned distributions (--psi,
// plan/drift_psi.h), the retraining cadence they imply, and a year of retraining priced by
// the training planner (plan/train_planner.h through `plan train`). docs/drift.md.
#pragma once

#include <cstdint>
#include <string>

#include "flopscope/api/api.h"
#include "flopscope/api/setup.h"

namespace flopscope::api {

struct DriftOptions {
  std::string file;                    ///< CSV: time column first, then metrics
  std::string metric;                  ///< the metric column (required)
  std::string detector = "page-hinkley";  ///< page-hinkley or adwin
  std::string direction = "both";      ///< drop (a quality metric), rise (a drift statistic) or both
  double ph_delta = 1.0;               ///< Page-Hinkley delta, standard deviations
  double ph_lambda = 5.0;              ///< Page-Hinkley lambda, standard deviations
  double ph_alpha = 0.9999;            ///< Page-Hinkley forgetting factor
  int64_t ph_min_rows = 30;            ///< Page-Hinkley warm-up rows
  double adwin_delta = 0.002;          ///< ADWIN confidence
  std::string time_unit;               ///< numeric times: second, minute, hour, day or week
  std::string psi;                     ///< PSI file (time, bin, reference, current); empty: none
  double psi_threshold = 0.2;          ///< PSI alert threshold
  // Pricing a year of retraining (all of model, hardware, gpus, global_batch, seq,
  // retrain_tokens; or none of them).
  std::string model;
  EngineOptions hardware;              ///< --hardware, --dtype, --profile, --software
  std::string system;
  int64_t gpus = 0;
  int64_t global_batch = 0;
  int64_t seq = 0;
  double retrain_tokens = 0;           ///< tokens of a full retrain
  double finetune_tokens = 0;          ///< tokens of a fine-tune; 0: not priced
};

/// The drift document (docs/drift.md, "JSON") or its text report.
Result<Output> drift(const DriftOptions& options, const Render& render);

/// The JSON form: keys file, metric, detector, direction, ph_delta, ph_lambda, ph_alpha,
/// ph_min_rows, adwin_delta, time_unit, psi, psi_threshold, model, the hardware keys
/// (hardware, dtype, profile, software), system, gpus, global_batch, seq, retrain_tokens,
/// finetune_tokens.
Result<DriftOptions> drift_options(const Json& options);

}  // namespace flopscope::api
