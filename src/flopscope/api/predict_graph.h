// predict graph FILE.onnx: an ONNX graph at its bound shapes (inference at the graph's
// batch), every node timed by the engine; flops_utilization = flops_mac / (seconds x dense
// peak of the dtype).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "flopscope/api/api.h"
#include "flopscope/api/setup.h"

namespace flopscope::api {

struct PredictGraphOptions {
  EngineOptions hw;
  std::string file;               ///< an .onnx file (weights may be absent)
  std::vector<std::string> dims;  ///< NAME=VALUE bindings of symbolic dimensions
  int64_t top = 10;               ///< nodes to list
};

Result<Output> predict_graph(const PredictGraphOptions& options, const Render& render);

/// The JSON form: keys file, dim, top and the hardware keys.
Result<PredictGraphOptions> predict_graph_options(const Json& options);

}  // namespace flopscope::api
