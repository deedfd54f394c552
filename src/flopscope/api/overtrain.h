// `overtrain`: how far a trained model sits past the compute-optimal point under each scaling
// law, and what it buys: the compute-optimal model for the same compute, the loss each law
// predicts for both, the least compute that reaches the same loss, and the inference FLOPs
// per token the smaller model saves (2 N per token) with the inference tokens after which
// the extra training compute pays for itself.
#pragma once

#include <string>

#include "flopscope/api/api.h"

namespace flopscope::api {

struct OvertrainOptions {
  std::string model;  ///< catalog model, HF id, config.json or snapshot folder
  Json model_config;  ///< a config.json object instead of `model` (JSON front ends; give tokens)
  double tokens = 0;  ///< training tokens; 0: the catalog's published figure
  std::string law;    ///< one law id or a laws .toml file; empty: all
};

/// The overtrain document or its text report.
Result<Output> overtrain(const OvertrainOptions& options, const Render& render);

/// The JSON form: keys model, tokens, law.
Result<OvertrainOptions> overtrain_options(const Json& options);

}  // namespace flopscope::api
