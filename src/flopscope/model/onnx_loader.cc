#include "flopscope/model/onnx_loader.h"

#include "flopscope/util/text.h"

// Before <sys/mman.h>: it defines MAP_TYPE, an enumerator in onnx/defs/parser.h.
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <exception>
#include <unordered_map>
#include <unordered_set>

namespace flopscope {

namespace {

// ---- Protobuf wire level (https://protobuf.dev/programming-guides/encoding/) ----------

// Field numbers in onnx.proto.
constexpr uint32_t kModelGraph = 7;
constexpr uint32_t kGraphNode = 1;
constexpr uint32_t kGraphInitializer = 5;
constexpr uint32_t kNodeAttribute = 5;
constexpr uint32_t kAttributeTensor = 5;
constexpr uint32_t kTensorDataFields[] = {4, 5, 6, 7, 9, 10, 11};  // float..uint64, raw_data

class WireReader {
 public:
  WireReader(std::string_view bytes, const std::string& origin, std::string_view what)
      : p_(bytes.data()), end_(bytes.data() + bytes.size()), begin_(bytes.data()), origin_(origin), what_(what) {}
  bool done() const { return p_ >= end_; }
  size_t offset() const { return static_cast<size_t>(p_ - begin_); }
  const char* pos() const { return p_; }

  Result<uint64_t> varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ >= end_) return error("truncated varint");
      auto b = static_cast<uint8_t>(*p_++);
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if (!(b & 0x80)) return v;
    }
    return error("varint longer than 10 bytes");
  }
  // Skips the payload of a field with wire type `wt`; returns the payload (for type 2).
  Result<std::string_view> payload(uint32_t wt) {
    switch (wt) {
      case 0: {
        auto v = varint();
        if (!v) return v.error();
        return std::string_view{};
      }
      case 1: return take(8);
      case 5: return take(4);
      case 2: {
        auto n = varint();
        if (!n) return n.error();
        size_t left = static_cast<size_t>(end_ - p_);
        if (*n > left) {
          return error("length " + std::to_string(*n) + " exceeds the " + std::to_string(left) + " bytes left");
        }
        return take(static_cast<size_t>(*n));
      }
      default: return error("unsupported wire type " + std::to_string(wt));
    }
  }

 private:
  Result<std::string_view> take(size_t n) {
    if (static_cast<size_t>(end_ - p_) < n) return error("truncated field");
    std::string_view s(p_, n);
    p_ += n;
    return s;
  }
  Error error(const std::string& msg) const {
    return bad_input(origin_ + ": " + std::string(what_) + ": expected a protobuf message, got " + msg +
                     " at byte " + std::to_string(offset()));
  }
  const char* p_;
  const char* end_;
  const char* begin_;
  const std::string& origin_;
  std::string_view what_;
};

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

// Rewrites a message, passing every field through `rewrite(field, wt, payload, out)`, which
// returns false to copy the field verbatim.
template <typename F>
Status rewrite_message(std::string_view msg, const std::string& origin, std::string_view what, std::string& out,
                       F&& rewrite) {
  WireReader r(msg, origin, what);
  while (!r.done()) {
    const char* start = r.pos();
    auto tag = r.varint();
    if (!tag) return tag.error();
    auto field = static_cast<uint32_t>(*tag >> 3);
    auto wt = static_cast<uint32_t>(*tag & 7);
    auto body = r.payload(wt);
    if (!body) return body.error();
    bool handled = false;
    if (wt == 2) {
      auto s = rewrite(field, *body, out, start);
      if (!s) return s.error();
      handled = s.value();
    }
    if (!handled) out.append(start, static_cast<size_t>(r.pos() - start));
  }
  return {};
}

}  // namespace

Result<std::string> strip_onnx_weights(std::string_view bytes, const std::string& origin) {
  std::string out;
  out.reserve(std::min<size_t>(bytes.size(), size_t{64} << 20));
  auto tensor_rewrite = [&](uint32_t field, std::string_view body, std::string& o, const char*) -> Result<bool> {
    bool data = std::find(std::begin(kTensorDataFields), std::end(kTensorDataFields), field) != std::end(kTensorDataFields);
    (void)o;
    return data && body.size() > kOnnxKeptDataBytes;  // true: dropped
  };
  // Constant nodes can carry weights too: NodeProto.attribute (5) -> AttributeProto.t (5).
  auto attribute_rewrite = [&](uint32_t field, std::string_view body, std::string& o, const char*) -> Result<bool> {
    if (field != kAttributeTensor) return false;
    std::string t;
    auto s = rewrite_message(body, origin, "attribute", t, tensor_rewrite);
    if (!s) return s.error();
    put_varint(o, (uint64_t{field} << 3) | 2);
    put_varint(o, t.size());
    o += t;
    return true;
  };
  auto node_rewrite = [&](uint32_t field, std::string_view body, std::string& o, const char*) -> Result<bool> {
    if (field != kNodeAttribute || body.size() <= kOnnxKeptDataBytes) return false;
    std::string a;
    auto s = rewrite_message(body, origin, "attribute", a, attribute_rewrite);
    if (!s) return s.error();
    put_varint(o, (uint64_t{field} << 3) | 2);
    put_varint(o, a.size());
    o += a;
    return true;
  };
  auto graph_rewrite = [&](uint32_t field, std::string_view body, std::string& o, const char*) -> Result<bool> {
    if (field == kGraphNode && body.size() > kOnnxKeptDataBytes) {
      std::string n;
      auto s = rewrite_message(body, origin, "node", n, node_rewrite);
      if (!s) return s.error();
      put_varint(o, (uint64_t{field} << 3) | 2);
      put_varint(o, n.size());
      o += n;
      return true;
    }
    if (field != kGraphInitializer) return false;
    std::string t;
    auto s = rewrite_message(body, origin, "initializer", t, tensor_rewrite);
    if (!s) return s.error();
    put_varint(o, (uint64_t{field} << 3) | 2);
    put_varint(o, t.size());
    o += t;
    return true;
  };
  auto model_rewrite = [&](uint32_t field, std::string_view body, std::string& o, const char*) -> Result<bool> {
    if (field != kModelGraph) return false;
    std::string g;
    auto s = rewrite_message(body, origin, "graph", g, graph_rewrite);
    if (!s) return s.error();
    put_varint(o, (uint64_t{field} << 3) | 2);
    put_varint(o, g.size());
    o += g;
    return true;
  };
  auto s = rewrite_message(bytes, origin, "model", out, model_rewrite);
  if (!s) return s.error();
  return out;
}

Result<std::vector<DimBinding>> parse_dim_bindings(const std::vector<std::string>& args) {
  std::vector<DimBinding> out;
  for (const auto& a : args) {
    auto eq = a.find('=');
    std::string name = a.substr(0, eq);
    int64_t v = 0;
    bool ok = eq != std::string::npos && eq > 0;
    if (ok) {
      const char* b = a.data() + eq + 1;
      const char* e = a.data() + a.size();
      auto [ptr, ec] = std::from_chars(b, e, v);
      ok = ec == std::errc() && ptr == e && b != e && v > 0 && v <= kOnnxMaxDim;
    }
    if (!ok) {
      return bad_input("--dim " + name + ": expected NAME=VALUE with VALUE an integer in 1..2^40, got '" + a + "'");
    }
    for (const auto& d : out) {
      if (d.name == name) return bad_input("--dim " + name + ": bound twice");
    }
    out.push_back({name, v});
  }
  return out;
}

namespace {

std::string dims_text(const onnx::TensorShapeProto& shape) {
  std::string s = "[";
  for (int i = 0; i < shape.dim_size(); ++i) {
    if (i) s += ",";
    const auto& d = shape.dim(i);
    s += d.has_dim_value() ? std::to_string(d.dim_value()) : (d.has_dim_param() ? d.dim_param() : "?");
  }
  return s + "]";
}

// Replaces bound dim_params by values in a value_info's shape.
void bind_shape(onnx::TensorShapeProto* shape, const std::unordered_map<std::string, int64_t>& bound) {
  for (auto& d : *shape->mutable_dim()) {
    if (d.has_dim_param()) {
      auto it = bound.find(d.dim_param());
      if (it != bound.end()) d.set_dim_value(it->second);
    }
  }
}

// Reads a value_info's type into a tensor; a dim without a value leaves it unshaped.
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

std::string node_label(const onnx::NodeProto& n, int index) {
  return n.name().empty() ? n.op_type() + "_" + std::to_string(index) : n.name();
}

}  // namespace

Result<Graph> parse_onnx(std::string_view bytes, const std::string& origin, const OnnxLoadOptions& options) {
  if (bytes.empty()) return bad_input(origin + ": model: expected an ONNX ModelProto, got an empty file");
  auto stripped = strip_onnx_weights(bytes, origin);
  if (!stripped) return stripped.error();
  if (stripped->size() > kOnnxMaxGraphBytes) {
    return bad_input(origin + ": graph: expected at most " + std::to_string(kOnnxMaxGraphBytes >> 20) +
                     " MiB of graph structure without weights (docs/limits.md), got " +
                     std::to_string(stripped->size() >> 20) + " MiB");
  }
  onnx::ModelProto model;
  if (stripped->size() > static_cast<size_t>(INT32_MAX) ||
      !model.ParseFromArray(stripped->data(), static_cast<int>(stripped->size()))) {
    return bad_input(origin + ": model: expected an ONNX ModelProto, got bytes that do not parse as one");
  }
  std::string().swap(*stripped);
  if (!model.has_graph()) return bad_input(origin + ": model: expected a graph, got none");
  if (model.ir_version() < 3) {
    return bad_input(origin + ": model: expected ir_version 3..10, got " + std::to_string(model.ir_version()));
  }
  auto* graph = model.mutable_graph();
  if (static_cast<size_t>(graph->node_size()) > kOnnxMaxNodes) {
    return bad_input(origin + ": graph: expected at most " + std::to_string(kOnnxMaxNodes) +
                     " nodes (docs/limits.md), got " + std::to_string(graph->node_size()));
  }

  Graph g;
  g.source = origin;
  g.ir_version = model.ir_version();
  g.producer = model.producer_name() + (model.producer_version().empty() ? "" : " " + model.producer_version());
  for (const auto& op : model.opset_import()) {
    if (op.domain().empty() || op.domain() == "ai.onnx") g.opset = op.version();
  }

  // Bind symbolic dims of the run-time inputs.
  std::unordered_set<std::string> init_names;
  for (const auto& t : graph->initializer()) init_names.insert(t.name());
  std::unordered_map<std::string, int64_t> bound;
  for (const auto& d : options.dims) bound[d.name] = d.value;
  std::unordered_set<std::string> used;
  for (auto& in : *graph->mutable_input()) {
    if (init_names.count(in.name()) || !in.type().has_tensor_type() || !in.type().tensor_type().has_shape()) continue;
    auto* shape = in.mutable_type()->mutable_tensor_type()->mutable_shape();
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
  }
  for (const auto& d : options.dims) {
    if (!used.count(d.name)) {
      std::vector<std::string> sorted(used.begin(), used.end());
      std::sort(sorted.begin(), sorted.end());
      std::string names;
      for (const auto& u : sorted) names += (names.empty() ? "" : ", ") + u;
      return bad_input(origin + ": --dim " + d.name + ": no input has a dimension named '" + d.name + "'" +
                       (names.empty() ? " (the inputs have no symbolic dimensions)" : " (symbolic: " + names + ")"));
    }
  }
  if (!bound.empty()) {
    for (auto& vi : *graph->mutable_value_info())
      if (vi.type().has_tensor_type() && vi.type().tensor_type().has_shape())
        bind_shape(vi.mutable_type()->mutable_tensor_type()->mutable_shape(), bound);
    for (auto& vi : *graph->mutable_output())
      if (vi.type().has_tensor_type() && vi.type().tensor_type().has_shape())
        bind_shape(vi.mutable_type()->mutable_tensor_type()->mutable_shape(), bound);
  }

  // Bound the initializer dims before anything multiplies them.
  for (const auto& t : graph->initializer()) {
    if (t.dims_size() > kOnnxMaxRank) {
      return bad_input(origin + ": initializer '" + t.name() + "': expected rank <= 32, got " + std::to_string(t.dims_size()));
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

  // Tensors: inputs, initializers, value_info, outputs.
  for (const auto& t : graph->initializer()) {
    int id = g.intern(t.name());
    auto& gt = g.tensors[static_cast<size_t>(id)];
    if (gt.is_initializer) return bad_input(origin + ": graph: initializer '" + t.name() + "' is defined twice");
    gt.is_initializer = true;
    gt.type = static_cast<ElemType>(t.data_type());
    gt.dims.assign(t.dims().begin(), t.dims().end());
    gt.has_shape = true;
    g.initializers.push_back(id);
  }
  for (const auto& in : graph->input()) {
    int id = g.intern(in.name());
    auto& gt = g.tensors[static_cast<size_t>(id)];
    if (gt.is_initializer) continue;  // IR < 4 lists initializers as inputs too
    gt.is_input = true;
    auto s = read_value_info(in, gt, origin);
    if (!s) return s.error();
    g.inputs.push_back(id);
  }
  for (const auto& vi : graph->value_info()) {
    int id = g.intern(vi.name());
    auto& gt = g.tensors[static_cast<size_t>(id)];
    if (gt.is_initializer) continue;
    auto s = read_value_info(vi, gt, origin);
    if (!s) return s.error();
  }
  for (const auto& out : graph->output()) {
    int id = g.intern(out.name());
    auto& gt = g.tensors[static_cast<size_t>(id)];
    gt.is_output = true;
    if (!gt.has_shape && !gt.is_initializer) {
      auto s = read_value_info(out, gt, origin);
      if (!s) return s.error();
    }
    g.outputs.push_back(id);
  }

  // Nodes.
  std::unordered_set<std::string> produced;
  g.nodes.reserve(static_cast<size_t>(graph->node_size()));
  for (int i = 0; i < graph->node_size(); ++i) {
    const auto& n = graph->node(i);
    GraphNode gn;
    gn.name = printable(node_label(n, i));  // echoed in tables and errors: no ESC, no newlines
    gn.op_type = n.op_type();
    gn.domain = n.domain() == "ai.onnx" ? "" : n.domain();
    gn.attributes.reserve(static_cast<size_t>(n.attribute_size()));
    for (const auto& a : n.attribute()) {
      auto s = check_attribute(a, n, gn.name, origin);
      if (!s) return s.error();
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
  }
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const auto& n = graph->node(static_cast<int>(i));
    for (const auto& in : n.input()) {
      if (in.empty()) {
        g.nodes[i].inputs.push_back(-1);
        continue;
      }
      int id = g.find(in);
      const GraphTensor* t = id < 0 ? nullptr : &g.tensors[static_cast<size_t>(id)];
      if (!t || !(t->is_initializer || t->is_input || produced.count(in))) {
        return bad_input(origin + ": graph: node '" + g.nodes[i].name + "': input '" + in +
                         "' is not produced by any node, graph input or initializer");
      }
      g.nodes[i].inputs.push_back(id);
    }
  }
  auto sorted = sort_topologically(g);
  if (!sorted) return sorted.error();
  // Our propagation first: it is exact for what it covers and costs little; ONNX's
  // inference (seconds on a 100,000-node graph) runs only when tensors are left unshaped.
  propagate_shapes(g);
  if (options.infer_shapes && any_unshaped(g)) {
    std::vector<int> producer(g.tensors.size(), -1);
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      for (int o : g.nodes[i].outputs) {
        if (o >= 0) producer[static_cast<size_t>(o)] = static_cast<int>(i);
      }
    }
    for (const auto& n : g.nodes) {
      auto s = check_conv_pool(g, n, producer);
      if (!s) return s.error();
    }
    try {
      onnx::ShapeInferenceOptions so(false, 0, false);
      onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(), so);
    } catch (const std::exception& e) {
      // Inference is best effort: value_info and our own propagation still apply.
      g.warnings.push_back(std::string("ONNX shape inference stopped: ") + e.what());
    }
    for (const auto& vi : graph->value_info()) {
      int id = g.find(vi.name());
      if (id < 0) continue;
      auto& gt = g.tensors[static_cast<size_t>(id)];
      if (gt.has_shape || gt.is_initializer) continue;
      auto s = read_value_info(vi, gt, origin);
      if (!s) return s.error();
    }
    for (const auto& vi : graph->output()) {
      auto& gt = g.tensors[static_cast<size_t>(g.find(vi.name()))];
      if (gt.has_shape || gt.is_initializer) continue;
      auto s = read_value_info(vi, gt, origin);
      if (!s) return s.error();
    }
    propagate_shapes(g);
  }
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
  return g;
}

Result<Graph> load_onnx(const std::string& path, const OnnxLoadOptions& options) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return not_found(path + ": cannot open: no such file");
    return not_found(path + ": cannot open: " + std::strerror(errno));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    return bad_input(path + ": expected a regular file");
  }
  size_t size = static_cast<size_t>(st.st_size);
  if (size == 0) {
    ::close(fd);
    return bad_input(path + ": model: expected an ONNX ModelProto, got an empty file");
  }
  // Mapped, not read: the wire walk skips weight payloads, so their pages stay on disk.
  void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
  ::close(fd);
  if (map == MAP_FAILED) return failure(path + ": cannot map: " + std::strerror(errno));
  auto result = parse_onnx(std::string_view(static_cast<const char*>(map), size), path, options);
  ::munmap(map, size);
  return result;
}

}  // namespace flopscope
