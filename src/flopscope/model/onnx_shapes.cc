// Shapes for a Graph read from ONNX: our own propagation (exact for what it covers, cheap),
// and libonnx's shape inference for the rest, guarded against the inputs that crash it.
#include "flopscope/model/onnx_internal.h"
#include "flopscope/model/onnx_loader.h"

#include <onnx/shape_inference/implementation.h>

#include <algorithm>
#include <exception>
#include <unordered_set>

namespace flopscope {

namespace {

// ---- Own shape propagation, for what ONNX inference leaves unshaped ----------------------

const std::unordered_set<std::string>& same_shape_ops() {
  static const std::unordered_set<std::string> ops = {
      "Relu", "Sigmoid", "Tanh", "Gelu", "Erf", "HardSwish", "HardSigmoid", "Silu", "Sqrt", "Exp", "Log",
      "Neg", "Abs", "Reciprocal", "Softmax", "LogSoftmax", "LayerNormalization", "BatchNormalization",
      "InstanceNormalization", "SimplifiedLayerNormalization", "SkipLayerNormalization", "RMSNormalization",
      "Identity", "Dropout", "Cast", "LeakyRelu", "Elu", "Selu", "Softplus", "Mish", "Clip", "Floor", "Ceil",
      "Round", "Sin", "Cos", "Not", "IsNaN", "IsInf", "Sign", "FastGelu", "BiasGelu", "QuickGelu", "CastLike"};
  return ops;
}
const std::unordered_set<std::string>& broadcast_ops() {
  static const std::unordered_set<std::string> ops = {"Add", "Sub", "Mul", "Div", "Pow", "Max", "Min", "Mod",
                                                      "Where", "And", "Or", "Xor", "Equal", "Less", "Greater",
                                                      "LessOrEqual", "GreaterOrEqual", "PRelu", "Sum", "Mean"};
  return ops;
}

bool broadcast(const std::vector<int64_t>& a, const std::vector<int64_t>& b, std::vector<int64_t>& out) {
  size_t r = std::max(a.size(), b.size());
  out.assign(r, 1);
  for (size_t i = 0; i < r; ++i) {
    int64_t da = i < r - a.size() ? 1 : a[i - (r - a.size())];
    int64_t db = i < r - b.size() ? 1 : b[i - (r - b.size())];
    if (da != db && da != 1 && db != 1) return false;
    out[i] = da == 1 ? db : da;
  }
  return true;
}

// The element type of a node's first output, for the ops propagate_shapes covers.
ElemType output_type(const Graph& g, const GraphNode& n, const GraphTensor& first) {
  static const std::unordered_set<std::string> to_bool = {"Equal", "Less", "Greater", "LessOrEqual", "GreaterOrEqual",
                                                          "And", "Or", "Xor", "Not", "IsNaN", "IsInf"};
  if (to_bool.count(n.op_type)) return ElemType::kBool;
  if (n.op_type == "Cast") return static_cast<ElemType>(n.attr_int("to", static_cast<int64_t>(first.type)));
  if (n.op_type == "CastLike" || n.op_type == "Where") {
    const GraphTensor* t = g.input(n, 1);
    if (t) return t->type;
  }
  return first.type;
}

void propagate_shapes(Graph& g) {
  for (const auto& n : g.nodes) {
    if (n.outputs.empty() || n.outputs[0] < 0) continue;
    auto& out = g.tensors[static_cast<size_t>(n.outputs[0])];
    if (out.has_shape) continue;
    const GraphTensor* a = g.input(n, 0);
    if (!a || !a->has_shape) continue;
    std::vector<int64_t> dims;
    if (same_shape_ops().count(n.op_type)) {
      dims = a->dims;
    } else if (broadcast_ops().count(n.op_type)) {
      dims = a->dims;
      bool ok = true;
      for (size_t i = 1; i < n.inputs.size() && ok; ++i) {
        const GraphTensor* b = g.input(n, i);
        if (!b || !b->has_shape) { ok = false; break; }
        std::vector<int64_t> r;
        ok = broadcast(dims, b->dims, r);
        dims = std::move(r);
      }
      if (!ok) continue;
    } else if (n.op_type == "MatMul") {
      const GraphTensor* b = g.input(n, 1);
      if (!b || !b->has_shape || a->dims.empty() || b->dims.empty()) continue;
      auto da = a->dims, db = b->dims;
      bool va = da.size() == 1, vb = db.size() == 1;
      if (va) da.insert(da.begin(), 1);
      if (vb) db.push_back(1);
      if (da.back() != db[db.size() - 2]) continue;
      std::vector<int64_t> ba(da.begin(), da.end() - 2), bb(db.begin(), db.end() - 2);
      if (!broadcast(ba, bb, dims)) continue;
      if (!va) dims.push_back(da[da.size() - 2]);
      if (!vb) dims.push_back(db.back());
    } else {
      continue;
    }
    out.dims = std::move(dims);
    out.has_shape = true;
    if (out.type == ElemType::kUndefined) out.type = output_type(g, n, *a);
    if (out.elements() < 0 || out.elements() > kOnnxMaxElements) out.has_shape = false;
  }
}

}  // namespace

namespace onnx_detail {

// Attributes that ONNX's shape inference divides by: libonnx 1.12 takes SIGFPE on a zero
// stride (found by fuzz_onnx, tests/fuzz/corpus/onnx/crash-8f03d02a...), so they are
// checked before it runs.
Status check_attribute(const onnx::AttributeProto& a, const onnx::NodeProto& n, const std::string& node,
                       const std::string& origin) {
  if (n.op_type() == "Pad") return {};  // Pad-2's pads may be negative (cropping)
  static const std::unordered_set<std::string> positive = {"strides", "dilations", "kernel_shape", "group",
                                                           "blocksize", "block_size", "num_heads"};
  static const std::unordered_set<std::string> non_negative = {"pads", "output_padding"};
  bool pos = positive.count(a.name()) > 0;
  if (!pos && !non_negative.count(a.name())) return {};
  int64_t low = pos ? 1 : 0;
  bool ok = a.i() >= low || a.type() != onnx::AttributeProto::INT;
  std::string got = std::to_string(a.i());
  if (a.type() == onnx::AttributeProto::INTS) {
    got = "[";
    for (int i = 0; i < a.ints_size(); ++i) {
      ok = ok && a.ints(i) >= low && a.ints(i) <= kOnnxMaxDim;
      got += (i ? "," : "") + std::to_string(a.ints(i));
    }
    got += "]";
  } else if (a.type() == onnx::AttributeProto::INT) {
    ok = ok && a.i() <= kOnnxMaxDim;
  }
  if (ok) return {};
  return bad_input(origin + ": node '" + node + "': " + a.name() + ": expected integers in " + std::to_string(low) +
                   "..2^40, got " + got);
}

}  // namespace onnx_detail

namespace {


// Conv and pooling nodes whose ranks disagree make libonnx 1.12's shape inference read out
// of bounds (found by fuzz_onnx, tests/fuzz/corpus/onnx/crash-525ba4b1...): checked first.
// The op that makes a tensor of rank 2 whatever its input (Gemm, Flatten), found by walking
// back from tensor `id` through ops that keep their input's rank; nullptr when there is none.
const GraphNode* rank2_source(const Graph& g, const std::vector<int>& producer, int id) {
  static const std::unordered_set<std::string> keep_rank = {
      "Relu", "LeakyRelu", "PRelu", "Sigmoid", "Tanh", "Gelu", "Elu", "Selu", "Softplus", "Identity", "Dropout",
      "Cast", "Clip", "Neg", "Abs", "Exp", "Log", "Sqrt", "Erf", "HardSigmoid", "HardSwish", "Softmax", "LogSoftmax"};
  for (int steps = 0; id >= 0 && steps < 64; ++steps) {
    int p = producer[static_cast<size_t>(id)];
    if (p < 0) return nullptr;
    const GraphNode& n = g.nodes[static_cast<size_t>(p)];
    if (!n.domain.empty()) return nullptr;
    if (n.op_type == "Gemm" || n.op_type == "Flatten") return &n;
    if (!keep_rank.count(n.op_type) || n.inputs.empty()) return nullptr;
    id = n.inputs[0];
  }
  return nullptr;
}

Status check_conv_pool(const Graph& g, const GraphNode& n, const std::vector<int>& producer) {
  static const std::unordered_set<std::string> ops = {"Conv", "ConvTranspose", "ConvInteger", "MaxPool",
                                                      "AveragePool", "LpPool", "MaxRoundingPool"};
  if (!ops.count(n.op_type) || !n.domain.empty()) return {};
  const GraphTensor* x = g.input(n, 0);
  auto fail = [&](const std::string& what) {
    return bad_input(g.source + ": node '" + n.name + "': " + what);
  };
  if (x && !x->has_shape) {
    // A rank-2 input is invalid, and libonnx's Conv/Pool inference reads through a null
    // pointer on it (found by fuzz_onnx: a Conv fed by a Gemm): refuse it before inference.
    if (const GraphNode* src = rank2_source(g, producer, n.inputs[0])) {
      return fail("expected an input of rank >= 3, got the rank-2 output of " + src->op_type + " '" + src->name +
                  "'");
    }
    return {};
  }
  if (!x) return {};
  size_t rank = x->dims.size();
  if (rank < 3) return fail("expected an input of rank >= 3, got rank " + std::to_string(rank));
  bool has_weight = n.op_type.rfind("Conv", 0) == 0;
  const GraphTensor* w = has_weight ? g.input(n, 1) : nullptr;
  if (w && w->has_shape && w->dims.size() != rank) {
    return fail("expected a weight of rank " + std::to_string(rank) + " like the input, got rank " +
                std::to_string(w->dims.size()));
  }
  for (const char* key : {"kernel_shape", "strides", "dilations", "pads", "output_padding", "output_shape"}) {
    const GraphAttribute* a = n.attribute(key);
    if (!a) continue;
    size_t want = std::string(key) == "pads" ? 2 * (rank - 2) : rank - 2;
    if (a->kind != GraphAttribute::Kind::kInts || a->ints.size() != want) {
      return fail(std::string(key) + ": expected " + std::to_string(want) + " integers for an input of rank " +
                  std::to_string(rank) + ", got " + std::to_string(a->ints.size()));
    }
  }
  if (!has_weight && !n.attribute("kernel_shape")) return fail("kernel_shape: expected the attribute, got none");
  return {};
}

bool any_unshaped(const Graph& g) {
  for (const auto& n : g.nodes)
    for (int o : n.outputs)
      if (o >= 0 && !g.tensors[static_cast<size_t>(o)].has_shape) return true;
  return false;
}

// Refuses, before libonnx's inference runs, the Conv and pooling nodes it would crash on.
Status check_before_inference(const Graph& g) {
  std::vector<int> producer(g.tensors.size(), -1);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    for (int o : g.nodes[i].outputs) {
      if (o >= 0) producer[static_cast<size_t>(o)] = static_cast<int>(i);
    }
  }
  for (const auto& n : g.nodes) {
    auto s = check_conv_pool(g, n, producer);
    if (!s) return s;
  }
  return {};
}

// Reads a value_info into its tensor unless the tensor already has a shape.
Status read_inferred(const onnx::ValueInfoProto& vi, Graph& g) {
  int id = g.find(vi.name());
  if (id < 0) return {};
  auto& gt = g.tensors[static_cast<size_t>(id)];
  if (gt.has_shape || gt.is_initializer) return {};
  return onnx_detail::read_value_info(vi, gt, g.source);
}

// libonnx's inference over the model; best effort: what it cannot do leaves a warning, and
// value_info and our own propagation still apply.
Status run_onnx_inference(onnx::ModelProto& model, Graph& g) {
  if (auto s = check_before_inference(g); !s) return s;
  try {
    onnx::ShapeInferenceOptions so(false, 0, false);
    onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(), so);
  } catch (const std::exception& e) {
    g.warnings.push_back(std::string("ONNX shape inference stopped: ") + e.what());
  }
  for (const auto& vi : model.graph().value_info()) {
    if (auto s = read_inferred(vi, g); !s) return s;
  }
  for (const auto& vi : model.graph().output()) {
    if (auto s = read_inferred(vi, g); !s) return s;
  }
  return {};
}

void warn_unshaped(Graph& g) {
  size_t unshaped = 0;
  std::string first;
  for (const auto& n : g.nodes) {
    for (int o : n.outputs) {
      if (o >= 0 && !g.tensors[static_cast<size_t>(o)].has_shape) {
        if (unshaped++ == 0) first = g.tensors[static_cast<size_t>(o)].name + " (" + n.op_type + " '" + n.name + "')";
      }
    }
  }
  if (unshaped > 0) {
    g.warnings.push_back(std::to_string(unshaped) + " tensor(s) have no inferable shape, first " + first +
                         "; their nodes count with what is known");
  }
}

}  // namespace

namespace onnx_detail {

Status infer_shapes(onnx::ModelProto& model, Graph& g, bool run_onnx_inference_too) {
  // Our propagation first: it is exact for what it covers and costs little; ONNX's
  // inference (seconds on a 100,000-node graph) runs only when tensors are left unshaped.
  propagate_shapes(g);
  if (run_onnx_inference_too && any_unshaped(g)) {
    if (auto s = run_onnx_inference(model, g); !s) return s;
    propagate_shapes(g);
  }
  warn_unshaped(g);
  return {};
}

}  // namespace onnx_detail
}  // namespace flopscope
