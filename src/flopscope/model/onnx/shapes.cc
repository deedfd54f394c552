// Shapes for a Graph read from ONNX: our own propagation (exact for what it covers, cheap),
// and libonnx's shape inference for the rest, guarded against the inputs that crash it and
// run in a child process (a crash in libonnx costs its shapes, not the run).
#include "flopscope/model/onnx/internal.h"
#include "flopscope/model/onnx_loader.h"

#include <onnx/shape_inference/implementation.h>

#include <fcntl.h>
#include <fmt/format.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <exception>
#include <optional>
#include <unordered_set>

#include "flopscope/util/text.h"

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


const std::unordered_set<std::string>& conv_pool_ops() {
  static const std::unordered_set<std::string> ops = {"Conv", "ConvTranspose", "ConvInteger", "MaxPool",
                                                      "AveragePool", "LpPool", "MaxRoundingPool"};
  return ops;
}

// The rank of a node's first output when its inputs' ranks decide it (ONNX semantics), or
// -1. `rank(k)` is the rank of input k, -1 when unknown.
template <typename RankOf>
int output_rank(const Graph& g, const GraphNode& n, RankOf rank) {
  static const std::unordered_set<std::string> keep_rank = {
      "GlobalAveragePool", "GlobalMaxPool", "GlobalLpPool", "Transpose", "Pad", "Slice", "Resize", "Concat", "LRN"};
  if (!n.domain.empty()) return -1;
  if (n.op_type == "Gemm" || n.op_type == "Flatten") return 2;
  if (same_shape_ops().count(n.op_type) || conv_pool_ops().count(n.op_type) || keep_rank.count(n.op_type)) {
    return rank(0);
  }
  if (broadcast_ops().count(n.op_type)) {
    int r = 0;
    for (size_t k = 0; k < n.inputs.size(); ++k) {
      if (rank(k) < 0) return -1;
      r = std::max(r, rank(k));
    }
    return r;
  }
  if (n.op_type == "MatMul") {
    int a = rank(0), b = rank(1);
    if (a < 1 || b < 1) return -1;
    if (a == 1 || b == 1) return a == 1 && b == 1 ? 0 : std::max(a, b) - 1;
    return std::max(a, b);
  }
  if (n.op_type == "Reshape") {  // a constant shape vector of k values: rank k
    const GraphTensor* shape = g.input(n, 1);
    if (shape && shape->is_initializer && shape->dims.size() == 1) return static_cast<int>(shape->dims[0]);
  }
  return -1;
}

// The rank of every tensor that is known before ONNX's inference runs: from its shape, or
// by output_rank() in topological order; -1 where unknown.
std::vector<int> known_ranks(const Graph& g) {
  std::vector<int> ranks(g.tensors.size(), -1);
  for (size_t i = 0; i < g.tensors.size(); ++i) {
    if (g.tensors[i].has_shape) ranks[i] = static_cast<int>(g.tensors[i].dims.size());
  }
  for (const auto& n : g.nodes) {
    if (n.outputs.empty() || n.outputs[0] < 0 || ranks[static_cast<size_t>(n.outputs[0])] >= 0) continue;
    ranks[static_cast<size_t>(n.outputs[0])] = output_rank(g, n, [&](size_t k) {
      return k < n.inputs.size() && n.inputs[k] >= 0 ? ranks[static_cast<size_t>(n.inputs[k])] : -1;
    });
  }
  return ranks;
}

// Conv and pooling nodes whose ranks disagree make libonnx 1.12's shape inference read out
// of bounds or through a null pointer (found by fuzz_onnx: tests/fuzz/corpus/onnx/
// crash-525ba4b1..., crash-conv-after-gemm, crash-conv-after-less): checked first, with the
// input's rank from its shape or known_ranks(); a rank is -1 when unknown.
Status check_conv_pool(const Graph& g, const GraphNode& n, int input_rank, int weight_rank) {
  auto fail = [&](const std::string& what) { return bad_input(g.source + ": node '" + n.name + "': " + what); };
  bool has_weight = n.op_type.rfind("Conv", 0) == 0;
  // An empty input name (found by fuzz_onnx: crash-conv-without-x) reaches libonnx's Conv
  // inference as a null type.
  if (n.inputs.empty() || n.inputs[0] < 0) return fail("expected an input X, got none");
  if (has_weight && (n.inputs.size() < 2 || n.inputs[1] < 0)) return fail("expected a weight W, got none");
  if (input_rank < 0) return {};
  const auto rank = static_cast<size_t>(input_rank);
  if (rank < 3) return fail("expected an input of rank >= 3, got rank " + std::to_string(rank));
  if (has_weight && weight_rank >= 0 && static_cast<size_t>(weight_rank) != rank) {
    return fail("expected a weight of rank " + std::to_string(rank) + " like the input, got rank " +
                std::to_string(weight_rank));
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

// RNN, GRU and LSTM: libonnx 1.12 reads their X, W and R dims without checking ranks
// (found by fuzz_onnx: crash-lstm-rank4, a rank-4 X read out of bounds). Each must be
// given, and of rank 3 where its rank is known.
Status check_recurrent(const Graph& g, const GraphNode& n, const std::vector<int>& ranks) {
  const char* names[] = {"X", "W", "R"};
  for (size_t k = 0; k < 3; ++k) {
    const std::string what = g.source + ": node '" + n.name + "': " + names[k] + ": ";
    if (k >= n.inputs.size() || n.inputs[k] < 0) return bad_input(what + "expected a tensor, got none");
    int r = ranks[static_cast<size_t>(n.inputs[k])];
    if (r >= 0 && r != 3) return bad_input(what + "expected rank 3, got rank " + std::to_string(r));
  }
  return {};
}

// Refuses, before libonnx's inference runs, the Conv and pooling nodes it would crash on.
// A node whose input rank is only known after inference still reaches libonnx (leaving it
// out loses the shapes of real models: ConvNeXt's LayerNorm is ReduceMean, Sub, Pow, ...).
Status check_before_inference(const Graph& g) {
  const std::vector<int> ranks = known_ranks(g);
  auto rank_of = [&](const GraphNode& n, size_t k) {
    return k < n.inputs.size() && n.inputs[k] >= 0 ? ranks[static_cast<size_t>(n.inputs[k])] : -1;
  };
  for (const auto& n : g.nodes) {
    if (!n.domain.empty()) continue;
    if (n.op_type == "RNN" || n.op_type == "GRU" || n.op_type == "LSTM") {
      if (auto s = check_recurrent(g, n, ranks); !s) return s;
    }
    if (!conv_pool_ops().count(n.op_type)) continue;
    if (auto s = check_conv_pool(g, n, rank_of(n, 0), rank_of(n, 1)); !s) return s;
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

// libonnx 1.12 takes a Conv's kernel shape from W's dims when the node has no kernel_shape
// attribute, and never checks its length against X's rank as libonnx infers it: the loops
// over X's spatial axes then read dilations past their end (found by fuzz_onnx:
// tests/fuzz/corpus/onnx/crash-conv-kernel-from-weight*, X of rank 2 by libonnx's own
// inference, W of rank 3; our propagation had X's rank unknown in one and 3 in the other,
// so no check of ours can stand in for libonnx's). So the copy libonnx reads gets, on every
// Conv, ConvInteger, ConvTranspose and QLinearConv without one, the kernel_shape W implies as
// an attribute, whose length libonnx does check (a shape-inference error, which it records,
// instead of a crash); for a valid model it is the kernel shape libonnx would have read.
// A node whose W shape is unknown is moved to a domain libonnx has no schema for, so it
// infers nothing there (our propagation still does).
void pin_kernel_shapes(onnx::ModelProto& model, const Graph& g) {
  for (onnx::NodeProto& n : *model.mutable_graph()->mutable_node()) {
    if (!(n.domain().empty() || n.domain() == "ai.onnx")) continue;
    const std::string& op = n.op_type();
    const int w_index = op == "QLinearConv" ? 3 : 1;
    if (op != "Conv" && op != "ConvInteger" && op != "ConvTranspose" && op != "QLinearConv") continue;
    bool has_kernel_shape = false;
    for (const auto& a : n.attribute()) has_kernel_shape = has_kernel_shape || a.name() == "kernel_shape";
    if (has_kernel_shape) continue;
    const int w = n.input_size() > w_index && !n.input(w_index).empty() ? g.find(n.input(w_index)) : -1;
    if (w < 0 || !g.tensors[static_cast<size_t>(w)].has_shape) {
      n.set_domain("flopscope.no_onnx_inference");
      continue;
    }
    const std::vector<int64_t>& dims = g.tensors[static_cast<size_t>(w)].dims;
    onnx::AttributeProto* a = n.add_attribute();
    a->set_name("kernel_shape");
    a->set_type(onnx::AttributeProto::INTS);
    for (size_t i = 2; i < dims.size(); ++i) a->add_ints(dims[i]);
  }
}

// libonnx's inference in a child process. Its 1.12 release has crashed on hostile files in
// ways no check of ours foresaw (fuzz_onnx found Conv, LSTM and Scan inference reading
// through null or past the end: the checks above refuse what they can), so it runs where a
// crash costs only its shapes: the child infers and sends back the value_info and outputs it
// found as one GraphProto (doc_string: why inference stopped, if it threw), then _exits. A
// child that dies, or runs past kInferenceSeconds, leaves a warning and our propagation's
// shapes. The parent only reads: the pipe, bounded by kInferenceBytes.
constexpr int kInferenceSeconds = 120;
constexpr size_t kInferenceBytes = size_t{512} << 20;

std::optional<onnx::GraphProto> infer_in_child(onnx::ModelProto& model, std::string& warning) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    warning = "ONNX shape inference skipped: cannot create a pipe";
    return std::nullopt;
  }
  const pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    warning = "ONNX shape inference skipped: cannot start a process";
    return std::nullopt;
  }
  if (pid == 0) {
    close(fds[0]);
    onnx::GraphProto found;
    try {
      onnx::ShapeInferenceOptions so(false, 0, false);
      onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(), so);
    } catch (const std::exception& e) {
      found.set_doc_string(e.what());
    }
    *found.mutable_value_info() = model.graph().value_info();
    *found.mutable_output() = model.graph().output();
    std::string bytes;
    found.SerializeToString(&bytes);
    for (size_t at = 0; at < bytes.size();) {
      ssize_t n = write(fds[1], bytes.data() + at, bytes.size() - at);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) _exit(1);
      at += static_cast<size_t>(n);
    }
    _exit(0);
  }
  close(fds[1]);
  std::string bytes;
  bool timed_out = false, too_big = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kInferenceSeconds);
  char buf[1 << 16];
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timed_out = true;
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    int ready = poll(&p, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) {
      timed_out = ready == 0;
      break;
    }
    ssize_t n = read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    if (bytes.size() + static_cast<size_t>(n) > kInferenceBytes) {
      too_big = true;
      break;
    }
    bytes.append(buf, static_cast<size_t>(n));
  }
  close(fds[0]);
  if (timed_out || too_big) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (timed_out) {
    warning = fmt::format("ONNX shape inference stopped after {} s; shapes from flopscope's own propagation only",
                          kInferenceSeconds);
    return std::nullopt;
  }
  if (too_big || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    warning = WIFSIGNALED(status)
                  ? fmt::format("ONNX shape inference crashed (libonnx, signal {}); shapes from flopscope's own "
                                "propagation only",
                                WTERMSIG(status))
                  : std::string("ONNX shape inference failed; shapes from flopscope's own propagation only");
    return std::nullopt;
  }
  onnx::GraphProto found;
  if (!found.ParseFromString(bytes)) {
    warning = "ONNX shape inference sent back no readable shapes; shapes from flopscope's own propagation only";
    return std::nullopt;
  }
  if (!found.doc_string().empty()) warning = "ONNX shape inference stopped: " + found.doc_string();
  return found;
}

// libonnx's inference over the model; best effort: what it cannot do leaves a warning, and
// value_info and our own propagation still apply. `model` is the reader's own copy: the
// attributes pin_kernel_shapes adds reach nothing but libonnx.
Status run_onnx_inference(onnx::ModelProto& model, Graph& g) {
  if (auto s = check_before_inference(g); !s) return s;
  pin_kernel_shapes(model, g);
  std::string warning;
  auto found = infer_in_child(model, warning);
  if (!warning.empty()) g.warnings.push_back(printable(warning));
  if (!found) return {};
  for (const auto& vi : found->value_info()) {
    if (auto s = read_inferred(vi, g); !s) return s;
  }
  for (const auto& vi : found->output()) {
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
