// `count`: exact parameters and FLOPs of a model (forward, training step, prefill, decode),
// per device under a layout; or the counts a model file holds (ONNX graph node by node,
// safetensors checkpoint, GGUF storage).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "flopscope/api/api.h"

namespace flopscope::api {

struct CountOptions {
  std::string model;          ///< catalog name, HF id, config.json, snapshot folder, .gguf, .onnx, .safetensors
  Json model_config;          ///< a config.json object instead of `model` (JSON front ends)
  int64_t batch = 1;          ///< sequences per batch
  int64_t seq = 2048;         ///< tokens per sequence (decode is counted at this context)
  std::vector<std::string> dims;  ///< ONNX: NAME=VALUE bindings of symbolic dimensions
  std::string hardware;       ///< ONNX: rank nodes by predicted time on this hardware
  int64_t tp = 1, pp = 1, ep = 1;  ///< per-device counts when any is above 1
};

/// The count document (docs/json-schema.md, "count") or its text report.
Result<Output> count(const CountOptions& options, const Render& render);

/// The JSON form: keys model, batch, seq, dim, hardware, tp, pp, ep.
Result<CountOptions> count_options(const Json& options);

}  // namespace flopscope::api
