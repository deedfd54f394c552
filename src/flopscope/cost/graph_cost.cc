#include "flopscope/cost/graph_cost.h"

#include <algorithm>
#include <map>
#include <set>
#include <unordered_map>

namespace flopscope {

namespace onnx_rules {
namespace {
std::unordered_map<std::string, Rule>& rules() {
  static std::unordered_map<std::string, Rule> r;
  return r;
}
void add_rule(const char* op, Rule r) { rules()[op] = r; }
}  // namespace

Rule find_rule(const std::string& op_type) {
  static const bool registered = [] {
    register_math(&add_rule);
    register_nn(&add_rule);
    register_tensor(&add_rule);
    return true;
  }();
  (void)registered;
  auto it = rules().find(op_type);
  return it == rules().end() ? nullptr : it->second;
}
double in_elems(const Graph& g, const GraphNode& n, size_t i) {
  const GraphTensor* t = g.input(n, i);
  return t && t->has_shape ? static_cast<double>(t->elements()) : -1.0;
}
double out_elems(const Graph& g, const GraphNode& n, size_t i) {
  const GraphTensor* t = g.output(n, i);
  return t && t->has_shape ? static_cast<double>(t->elements()) : -1.0;
}
const std::vector<int64_t>* in_dims(const Graph& g, const GraphNode& n, size_t i) {
  const GraphTensor* t = g.input(n, i);
  return t && t->has_shape ? &t->dims : nullptr;
}
const std::vector<int64_t>* out_dims(const Graph& g, const GraphNode& n, size_t i) {
  const GraphTensor* t = g.output(n, i);
  return t && t->has_shape ? &t->dims : nullptr;
}
}  // namespace onnx_rules

DType dtype_of(ElemType t) {
  switch (t) {
    case ElemType::kDouble: return DType::kFP64;
    case ElemType::kFloat16: return DType::kFP16;
    case ElemType::kBfloat16: return DType::kBF16;
    case ElemType::kFloat8E4M3FN:
    case ElemType::kFloat8E4M3FNUZ:
    case ElemType::kFloat8E5M2:
    case ElemType::kFloat8E5M2FNUZ: return DType::kFP8;
    case ElemType::kInt8:
    case ElemType::kUint8: return DType::kINT8;
    case ElemType::kInt4:
    case ElemType::kUint4: return DType::kINT4;
    default: return DType::kFP32;
  }
}

NodeCost cost_node(const Graph& graph, const GraphNode& node) {
  NodeCost c;
  c.name = node.name;
  c.op_type = node.domain.empty() ? node.op_type : node.domain + "." + node.op_type;
  for (size_t i = 0; i < node.inputs.size(); ++i) {
    const GraphTensor* t = graph.input(node, i);
    if (!t) continue;
    if (!t->has_shape) c.shape_known = false;
    c.bytes_read += t->bytes();
  }
  for (size_t i = 0; i < node.outputs.size(); ++i) {
    const GraphTensor* t = graph.output(node, i);
    if (!t) continue;
    if (!t->has_shape) c.shape_known = false;
    c.bytes_written += t->bytes();
  }
  const GraphTensor* first = graph.input(node, 0);
  c.dtype = dtype_of(first ? first->type : ElemType::kFloat);
  // Custom domains (com.microsoft) reuse the default-domain rule of the same name.
  onnx_rules::Rule rule = onnx_rules::find_rule(node.op_type);
  if (!rule) {
    c.has_rule = false;
    c.kind = OpKind::kOther;
    return c;
  }
  if (!rule(graph, node, c)) c.shape_known = false;
  return c;
}

GraphCost cost_graph(const Graph& graph) {
  GraphCost gc;
  gc.source = graph.source;
  gc.params = graph.parameter_count();
  gc.bytes_params = graph.parameter_bytes();
  gc.warnings = graph.warnings;
  gc.nodes.reserve(graph.nodes.size());
  std::map<std::string, OpTypeCost> by_type;
  std::set<std::string> unsupported;
  size_t unshaped = 0;
  std::string first_unshaped;
  for (const auto& n : graph.nodes) {
    NodeCost c = cost_node(graph, n);
    gc.flops_mac += c.flops_mac;
    gc.flops_total += c.flops;
    gc.bytes += c.bytes_read + c.bytes_written;
    auto& row = by_type[c.op_type];
    row.op_type = c.op_type;
    row.nodes += 1;
    row.flops_mac += c.flops_mac;
    row.flops += c.flops;
    row.bytes += c.bytes_read + c.bytes_written;
    if (!c.has_rule) unsupported.insert(c.op_type);
    if (!c.problem.empty()) {
      gc.warnings.push_back(c.op_type + " '" + c.name + "': " + c.problem);
    } else if (!c.shape_known && c.has_rule && unshaped++ == 0) {
      first_unshaped = c.op_type + " '" + c.name + "'";
    }
    gc.nodes.push_back(std::move(c));
  }
  for (auto& [k, v] : by_type) gc.op_types.push_back(std::move(v));
  std::stable_sort(gc.op_types.begin(), gc.op_types.end(), [](const OpTypeCost& a, const OpTypeCost& b) {
    return a.flops != b.flops ? a.flops > b.flops : a.bytes > b.bytes;
  });
  gc.unsupported.assign(unsupported.begin(), unsupported.end());
  if (!gc.unsupported.empty()) {
    std::string names;
    for (const auto& u : gc.unsupported) names += (names.empty() ? "" : ", ") + u;
    gc.warnings.push_back("operators without a FLOP rule, counted as bytes only: " + names);
  }
  if (unshaped > 0) {
    gc.warnings.push_back(std::to_string(unshaped) + " node(s) lack shapes and count partly, first " + first_unshaped);
  }
  return gc;
}

OpList lower_graph(const GraphCost& cost) {
  OpList ops;
  ops.reserve(cost.nodes.size());
  for (const auto& c : cost.nodes) {
    Op op;
    op.kind = c.kind;
    op.name = c.name;
    op.type = c.op_type;
    op.dtype = c.dtype;
    op.flops = c.flops;
    op.bytes_read = c.bytes_read;
    op.bytes_written = c.bytes_written;
    op.gemm = c.gemm;
    op.attention = c.attention;
    ops.push_back(std::move(op));
  }
  return ops;
}

}  // namespace flopscope
