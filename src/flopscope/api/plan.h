// `plan train`: the fastest (or cheapest) training layout on N devices
// (plan/train_planner.h): every layout of tp, sp, pp, virtual stages, cp, ep, ZeRO,
// recomputation and micro batch searched, the best ranked.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "flopscope/api/api.h"
#include "flopscope/api/setup.h"

namespace flopscope::api {

struct PlanTrainOptions {
  std::string model;          ///< catalog name, HF id, config.json, snapshot folder or .gguf
  Json model_config;          ///< a config.json object instead of `model` (JSON front ends)
  EngineOptions hardware;     ///< --hardware, --dtype, --profile, --software (default eager)
  int64_t gpus = 0;           ///< devices (required)
  int64_t global_batch = 0;   ///< sequences per optimizer step (required)
  std::string system;         ///< empty: the catalog's reference node of the hardware
  int64_t seq = 0;            ///< tokens per sequence (required)
  int64_t top = 5;            ///< layouts to show
  std::string objective = "throughput";  ///< throughput or cost
  std::vector<std::string> recompute;    ///< modes to search; empty: none, selective, full
  std::string precision = "mixed";       ///< mixed or bf16
  double dropout = -1;                   ///< < 0: the config's
  /// Progress lines ("searching layouts 120/480") for a person watching; the CLI sets it on a
  /// terminal.
  std::function<void(const std::string&)> progress;
};

/// The plan document (docs/json-schema.md, "plan train"), `best` null when no layout fits,
/// or its text report; in the text form no fitting layout is an error (kFailure) saying why.
Result<Output> plan_train(const PlanTrainOptions& options, const Render& render);

/// The JSON form: keys model, the hardware keys (hardware, dtype, profile, software), gpus,
/// global_batch, system, seq, top, objective, recompute, precision, dropout.
Result<PlanTrainOptions> plan_train_options(const Json& options);

}  // namespace flopscope::api
