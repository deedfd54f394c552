// onnx::ModelProto -> Graph: the model's checks, --dim bindings, tensors and nodes; then
// shapes (shapes.cc). parse() runs the steps in order.
#include "flopscope/model/onnx/internal.h"
#include "flopscope/model/onnx_loader.h"

#include "flopscope/util/text.h"

#include <algorithm>
#include <unordered_map>
#include <unordered_set>

namespace flopscope {

namespace onnx_detail {

std::string dims_text(const onnx::TensorShapeProto& shape) {
  std::string s = "[";
  for (int i = 0; i < shape.dim_size(); ++i) {
    if (i) s += ",";
    const auto& d = shape.dim(i);
    s += d.has_dim_value() ? std::to_string(d.dim_value()) : (d.has_dim_param() ? d.dim_param() : "?");
  }
  return s + "]";
}

Status read_value_info(const onnx::ValueInfoProto& vi, GraphTensor& t, const std::string& origin) {
  if (!vi.type().has_tensor_type()) return {};
  const auto& tt = vi.type().tensor_type();
  if (tt.elem_type() != 0) t.type = static_cast<ElemType>(tt.elem_type());
  if (!tt.has_shape()) return {};
  const auto& shape = tt.shape();
  if (shape.dim_size() > kOnnxMaxRank) {
    return bad_input(origin + ": tensor '" + vi.name() + "': expected rank <= " + std::to_string(kOnnxMaxRank) +
                     ", got " + std::to_string(shape.dim_size()));
  }
  std::vector<int64_t> dims;
  for (const auto& d : shape.dim()) {
    if (!d.has_dim_value()) return {};  // symbolic or unknown: left for propagation
    if (d.dim_value() < 0 || d.dim_value() > kOnnxMaxDim) {
      return bad_input(origin + ": tensor '" + vi.name() + "': expected dims in 0..2^40, got " + dims_text(shape));
    }
    dims.push_back(d.dim_value());
  }
  t.dims = std::move(dims);
  t.has_shape = true;
  if (t.elements() < 0 || t.elements() > kOnnxMaxElements) {
    return bad_input(origin + ": tensor '" + vi.name() + "': expected at most 2^50 elements, got shape " +
                     dims_text(shape));
  }
  return {};
}

}  // namespace onnx_detail

namespace {

using onnx_detail::dims_text;
using onnx_detail::read_value_info;
using Bound = std::unordered_map<std::string, int64_t>;

Status check_model(const onnx::ModelProto& model, const std::string& origin) {
  if (!model.has_graph()) return bad_input(origin + ": model: expected a graph, got none");
  if (model.ir_version() < 3) {
    return bad_input(origin + ": model: expected ir_version 3..10, got " + std::to_string(model.ir_version()));
  }
  if (static_cast<size_t>(model.graph().node_size()) > kOnnxMaxNodes) {
    return bad_input(origin + ": graph: expected at most " + std::to_string(kOnnxMaxNodes) +
                     " nodes (docs/limits.md), got " + std::to_string(model.graph().node_size()));
  }
  return {};
}

void describe_model(const onnx::ModelProto& model, const std::string& origin, Graph& g) {
  g.source = origin;
  g.ir_version = model.ir_version();
  g.producer = model.producer_name() + (model.producer_version().empty() ? "" : " " + model.producer_version());
  for (const auto& op : model.opset_import()) {
    if (op.domain().empty() || op.domain() == "ai.onnx") g.opset = op.version();
  }
}

std::unordered_set<std::string> initializer_names(const onnx::GraphProto& graph) {
  std::unordered_set<std::string> names;
  for (const auto& t : graph.initializer()) names.insert(t.name());
  return names;
}

onnx::TensorShapeProto* shape_of(onnx::ValueInfoProto& vi) {
  if (!vi.type().has_tensor_type() || !vi.type().tensor_type().has_shape()) return nullptr;
  return vi.mutable_type()->mutable_tensor_type()->mutable_shape();
}

// Replaces bound dim_params by values in a shape.
void bind_shape(onnx::TensorShapeProto* shape, const Bound& bound) {
  if (!shape) return;
  for (auto& d : *shape->mutable_dim()) {
    if (d.has_dim_param()) {
      auto it = bound.find(d.dim_param());
      if (it != bound.end()) d.set_dim_value(it->second);
    }
  }
}

// Every symbolic dim of a run-time input must be bound; records the names it uses.
Status bind_input(onnx::ValueInfoProto& in, const Bound& bound, std::unordered_set<std::string>& used,
                  const std::string& origin) {
  onnx::TensorShapeProto* shape = shape_of(in);
  if (!shape) return {};
  for (int i = 0; i < shape->dim_size(); ++i) {
    const auto& d = shape->dim(i);
    if (d.has_dim_value()) continue;
    if (!d.has_dim_param() || d.dim_param().empty()) {
      return bad_input(origin + ": input '" + in.name() + "': dimension " + std::to_string(i) + " of " +
                       dims_text(*shape) + " has neither a value nor a name to bind with --dim");
    }
    if (!bound.count(d.dim_param())) {
      return bad_input(origin + ": input '" + in.name() + "': dimension '" + d.dim_param() + "' of " +
                       dims_text(*shape) + " is symbolic: bind it with --dim " + d.dim_param() + "=VALUE");
    }
    used.insert(d.dim_param());
  }
  bind_shape(shape, bound);
  return {};
}

Error unused_binding(const std::string& name, const std::unordered_set<std::string>& used, const std::string& origin) {
  std::vector<std::string> sorted(used.begin(), used.end());
  std::sort(sorted.begin(), sorted.end());
  std::string names;
  for (const auto& u : sorted) names += (names.empty() ? "" : ", ") + u;
  return bad_input(origin + ": --dim " + name + ": no input has a dimension named '" + name + "'" +
                   (names.empty() ? " (the inputs have no symbolic dimensions)" : " (symbolic: " + names + ")"));
}

// Binds the symbolic dims of the run-time inputs (and of value_info and outputs that name
// them); each binding must name a dim of some input.
Status bind_dims(onnx::GraphProto& graph, const std::vector<DimBinding>& dims, const std::string& origin) {
  const auto init_names = initializer_names(graph);
  Bound bound;
  for (const auto& d : dims) bound[d.name] = d.value;
  std::unordered_set<std::string> used;
  for (auto& in : *graph.mutable_input()) {
    if (init_names.count(in.name())) continue;
    auto s = bind_input(in, bound, used, origin);
    if (!s) return s;
  }
  for (const auto& d : dims) {
    if (!used.count(d.name)) return unused_binding(d.name, used, origin);
  }
  if (bound.empty()) return {};
  for (auto& vi : *graph.mutable_value_info()) bind_shape(shape_of(vi), bound);
  for (auto& vi : *graph.mutable_output()) bind_shape(shape_of(vi), bound);
  return {};
}

// Bounds the initializer dims before anything multiplies them.
Status check_initializers(const onnx::GraphProto& graph, const std::string& origin) {
  for (const auto& t : graph.initializer()) {
    if (t.dims_size() > kOnnxMaxRank) {
      return bad_input(origin + ": initializer '" + t.name() + "': expected rank <= 32, got " +
                       std::to_string(t.dims_size()));
    }
    long double n = 1;
    for (int64_t d : t.dims()) {
      if (d < 0 || d > kOnnxMaxDim) {
        return bad_input(origin + ": initializer '" + t.name() + "': expected dims in 0..2^40, got " + std::to_string(d));
      }
      n *= static_cast<long double>(d);
    }
    if (n > static_cast<long double>(kOnnxMaxElements)) {
      return bad_input(origin + ": initializer '" + t.name() + "': expected at most 2^50 elements");
    }
  }
  return {};
}

// Tensors: initializers, inputs, value_info, outputs, in that order (an initializer's own
// dims win over what a value_info says).
Status read_tensors(const onnx::GraphProto& graph, Graph& g, const std::string& origin) {
  for (const auto& t : graph.initializer()) {
    int id = g.intern(t.name());
    auto& gt = g.tensors[static_cast<size_t>(id)];
    if (gt.is_initializer) return bad_input(origin + ": graph: initializer '" + t.name() + "' is defined twice");
    gt.is_initializer = true;
    gt.type = static_cast<ElemType>(t.data_type());
    gt.dims.assign(t.dims().begin(), t.dims().end());
    gt.has_shape = true;
    g.initializers.push_back(id);
  }
  for (const auto& in : graph.input()) {
    int id = g.intern(in.name());
    auto& gt = g.tensors[static_cast<size_t>(id)];
    if (gt.is_initializer) continue;  // IR < 4 lists initializers as inputs too
    gt.is_input = true;
    auto s = read_value_info(in, gt, origin);
    if (!s) return s;
    g.inputs.push_back(id);
  }
  for (const auto& vi : graph.value_info()) {
    auto& gt = g.tensors[static_cast<size_t>(g.intern(vi.name()))];
    if (gt.is_initializer) continue;
    auto s = read_value_info(vi, gt, origin);
    if (!s) return s;
  }
  for (const auto& out : graph.output()) {
    int id = g.intern(out.name());
    auto& gt = g.tensors[static_cast<size_t>(id)];
    gt.is_output = true;
    if (!gt.has_shape && !gt.is_initializer) {
      auto s = read_value_info(out, gt, origin);
      if (!s) return s;
    }
    g.outputs.push_back(id);
  }
  return {};
}

GraphAttribute read_attribute(const onnx::AttributeProto& a) {
  GraphAttribute g;
  using A = onnx::AttributeProto;
  switch (a.type()) {
    case A::INT: g.kind = GraphAttribute::Kind::kInt; g.i = a.i(); break;
    case A::FLOAT: g.kind = GraphAttribute::Kind::kFloat; g.f = a.f(); break;
    case A::STRING: g.kind = GraphAttribute::Kind::kString; g.s = a.s(); break;
    case A::INTS:
      g.kind = GraphAttribute::Kind::kInts;
      g.ints.assign(a.ints().begin(), a.ints().end());
      break;
    case A::FLOATS:
      g.kind = GraphAttribute::Kind::kFloats;
      g.floats.assign(a.floats().begin(), a.floats().end());
      break;
    default: break;
  }
  return g;
}

std::string node_label(const onnx::NodeProto& n, int index) {
  return n.name().empty() ? n.op_type() + "_" + std::to_string(index) : n.name();
}

// One node without its inputs (linked once every output is known): name, op, attributes,
// outputs. An output may be produced once, and not by an initializer.
Status read_node(const onnx::NodeProto& n, int index, Graph& g, std::unordered_set<std::string>& produced,
                 const std::unordered_set<std::string>& init_names, const std::string& origin) {
  GraphNode gn;
  gn.name = printable(node_label(n, index));  // echoed in tables and errors: no ESC, no newlines
  gn.op_type = n.op_type();
  gn.domain = n.domain() == "ai.onnx" ? "" : n.domain();
  gn.attributes.reserve(static_cast<size_t>(n.attribute_size()));
  for (const auto& a : n.attribute()) {
    auto s = onnx_detail::check_attribute(a, n, gn.name, origin);
    if (!s) return s;
    gn.attributes.emplace_back(a.name(), read_attribute(a));
  }
  for (const auto& o : n.output()) {
    if (o.empty()) {
      gn.outputs.push_back(-1);
      continue;
    }
    if (!produced.insert(o).second || init_names.count(o)) {
      return bad_input(origin + ": graph: node '" + gn.name + "': output '" + o +
                       "' is already produced by another node or initializer");
    }
    gn.outputs.push_back(g.intern(o));
  }
  g.nodes.push_back(std::move(gn));
  return {};
}

// Each input must be an initializer, a graph input or some node's output.
Status link_inputs(const onnx::NodeProto& n, GraphNode& gn, const Graph& g,
                   const std::unordered_set<std::string>& produced, const std::string& origin) {
  for (const auto& in : n.input()) {
    if (in.empty()) {
      gn.inputs.push_back(-1);
      continue;
    }
    int id = g.find(in);
    const GraphTensor* t = id < 0 ? nullptr : &g.tensors[static_cast<size_t>(id)];
    if (!t || !(t->is_initializer || t->is_input || produced.count(in))) {
      return bad_input(origin + ": graph: node '" + gn.name + "': input '" + in +
                       "' is not produced by any node, graph input or initializer");
    }
    gn.inputs.push_back(id);
  }
  return {};
}

Status read_nodes(const onnx::GraphProto& graph, Graph& g, const std::string& origin) {
  const auto init_names = initializer_names(graph);
  std::unordered_set<std::string> produced;
  g.nodes.reserve(static_cast<size_t>(graph.node_size()));
  for (int i = 0; i < graph.node_size(); ++i) {
    auto s = read_node(graph.node(i), i, g, produced, init_names, origin);
    if (!s) return s;
  }
  for (int i = 0; i < graph.node_size(); ++i) {
    auto s = link_inputs(graph.node(i), g.nodes[static_cast<size_t>(i)], g, produced, origin);
    if (!s) return s;
  }
  return {};
}

}  // namespace

Result<Graph> onnx_detail::parse(std::string_view bytes, const std::string& origin, const OnnxLoadOptions& options) {
  onnx::ModelProto model;
  if (auto s = onnx_detail::parse_model_proto(bytes, origin, model); !s) return s.error();
  if (auto s = check_model(model, origin); !s) return s.error();
  auto* graph = model.mutable_graph();
  Graph g;
  describe_model(model, origin, g);
  if (auto s = bind_dims(*graph, options.dims, origin); !s) return s.error();
  if (auto s = check_initializers(*graph, origin); !s) return s.error();
  if (auto s = read_tensors(*graph, g, origin); !s) return s.error();
  if (auto s = read_nodes(*graph, g, origin); !s) return s.error();
  if (auto sorted = sort_topologically(g); !sorted) return sorted.error();
  if (auto s = onnx_detail::infer_shapes(model, g, options.infer_shapes); !s) return s.error();
  return g;
}

}  // namespace flopscope
