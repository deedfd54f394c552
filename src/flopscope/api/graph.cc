#include "flopscope/api/graph.h"

#include <filesystem>

#include "flopscope/model/onnx_loader.h"

namespace flopscope::api {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

bool is_model_file(const std::string& path) {
  if (ends_with(path, ".onnx") || ends_with(path, ".safetensors") || ends_with(path, ".gguf")) return true;
  std::error_code ec;
  return std::filesystem::is_directory(path, ec) &&
         std::filesystem::exists(std::filesystem::path(path) / "model.safetensors.index.json", ec);
}

Result<GraphCost> load_graph_cost(const std::string& path, const std::vector<std::string>& dims) {
  auto bindings = parse_dim_bindings(dims);
  if (!bindings) return bindings.error();
  OnnxLoadOptions options;
  options.dims = std::move(*bindings);
  auto graph = load_onnx(path, options);
  if (!graph) return graph.error();
  return cost_graph(*graph);
}

Result<OpList> load_graph_ops(const std::string& path, const std::vector<std::string>& dims) {
  auto cost = load_graph_cost(path, dims);
  if (!cost) return cost.error();
  return lower_graph(*cost);
}

}  // namespace flopscope::api
