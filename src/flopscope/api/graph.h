// Model files that are not transformer configs (count, memory, predict graph): ONNX graphs
// costed node by node, safetensors checkpoints, the storage of GGUF files.
#pragma once

#include <string>
#include <vector>

#include "flopscope/cost/graph_cost.h"
#include "flopscope/cost/op.h"
#include "flopscope/util/result.h"

namespace flopscope::api {

/// True for a path ending .onnx, .safetensors or .gguf, or a folder holding
/// model.safetensors.index.json.
bool is_model_file(const std::string& path);

/// True when `path` ends with `suffix`.
bool ends_with(const std::string& path, const std::string& suffix);

/// An ONNX file costed at its bound shapes. `dims` are "NAME=VALUE" bindings of symbolic
/// dimensions (--dim).
Result<GraphCost> load_graph_cost(const std::string& path, const std::vector<std::string>& dims);

/// The op list of an ONNX file, for the timing engine (one Op per node).
Result<OpList> load_graph_ops(const std::string& path, const std::vector<std::string>& dims);

}  // namespace flopscope::api
