// Math operators (ONNX defs/math): MatMul, Gemm, Einsum, elementwise arithmetic and
// activations, Softmax, reductions.
#include <array>
#include <cctype>
#include <map>
#include <string>
#include <string_view>

#include "flopscope/cost/graph_cost.h"

namespace flopscope::onnx_rules {

namespace {

// FLOPs per output element: the arithmetic in each operator's ONNX definition, one FLOP
// per transcendental.
struct Pointwise {
  const char* op;
  double flops;
};
constexpr std::array<Pointwise, 52> kPointwise = {{
    {"Add", 1}, {"Sub", 1}, {"Mul", 1}, {"Div", 1}, {"Pow", 1}, {"Mod", 1}, {"Max", 1}, {"Min", 1},
    {"Sum", 1}, {"Mean", 1}, {"Neg", 1}, {"Abs", 1}, {"Reciprocal", 1}, {"Sqrt", 1}, {"Exp", 1},
    {"Log", 1}, {"Erf", 1}, {"Tanh", 1}, {"Sin", 1}, {"Cos", 1}, {"Floor", 1}, {"Ceil", 1},
    {"Round", 1}, {"Sign", 1}, {"Relu", 1}, {"LeakyRelu", 2}, {"PRelu", 2}, {"Elu", 3}, {"Selu", 4},
    {"Celu", 4}, {"Sigmoid", 3}, {"HardSigmoid", 4}, {"HardSwish", 5}, {"Silu", 4}, {"Swish", 4},
    {"QuickGelu", 5}, {"Softplus", 3}, {"Softsign", 3}, {"Mish", 5}, {"Clip", 2}, {"ThresholdedRelu", 1},
    {"Equal", 1}, {"Less", 1}, {"Greater", 1}, {"LessOrEqual", 1}, {"GreaterOrEqual", 1}, {"And", 1},
    {"Or", 1}, {"Xor", 1}, {"Not", 1}, {"IsNaN", 1}, {"IsInf", 1},
}};

double pointwise_flops(const std::string& op) {
  static const std::map<std::string_view, double> table = [] {
    std::map<std::string_view, double> m;
    for (const auto& p : kPointwise) m.emplace(p.op, p.flops);
    return m;
  }();
  auto it = table.find(op);
  return it == table.end() ? 0 : it->second;
}

bool rule_pointwise(const Graph& g, const GraphNode& n, NodeCost& c) {
  c.kind = OpKind::kElementwise;
  double out = out_elems(g, n);
  if (out < 0) return false;
  c.flops = out * pointwise_flops(n.op_type);
  return true;
}

// Gelu (opset 20; com.microsoft Gelu/FastGelu): 0.5*x*(1+erf(x/sqrt2)) = 5 FLOPs;
// the tanh approximation 0.5*x*(1+tanh(sqrt(2/pi)*(x+0.044715x^3))) = 8.
bool rule_gelu(const Graph& g, const GraphNode& n, NodeCost& c) {
  c.kind = OpKind::kElementwise;
  double out = out_elems(g, n);
  if (out < 0) return false;
  bool tanh = n.attr_string("approximate", "none") == "tanh" || n.op_type == "FastGelu";
  c.flops = out * (tanh ? 8 : 5);
  return true;
}

// MatMul (numpy semantics): A[..., M, K] @ B[..., K, N]; MACs = elements(out) * K.
bool rule_matmul(const Graph& g, const GraphNode& n, NodeCost& c) {
  c.kind = OpKind::kGemm;
  const auto* a = in_dims(g, n, 0);
  const auto* b = in_dims(g, n, 1);
  double out = out_elems(g, n);
  if (!a || !b || a->empty() || b->empty()) return false;
  int64_t k = a->back();
  int64_t m = a->size() >= 2 ? (*a)[a->size() - 2] : 1;
  int64_t nn = b->size() >= 2 ? b->back() : 1;
  // Checked before the output shape: shape inference leaves the output of such a node unknown.
  int64_t kb = b->size() >= 2 ? (*b)[b->size() - 2] : b->front();
  if (k > 0 && kb > 0 && k != kb) {
    c.problem = "inputs disagree on K (A has " + std::to_string(k) + ", B has " + std::to_string(kb) + "): not counted";
    return false;
  }
  if (out < 0) return false;
  double macs = out * static_cast<double>(k);
  c.flops_mac = 2 * macs;
  c.flops = c.flops_mac;
  double mn = static_cast<double>(m) * static_cast<double>(nn);
  c.gemm = {m, nn, k, mn > 0 ? static_cast<int64_t>(out / mn) : 1};
  return true;
}

// Gemm: Y = alpha * A' B' + beta * C, A' M x K, B' K x N; bias adds M*N.
bool rule_gemm(const Graph& g, const GraphNode& n, NodeCost& c) {
  c.kind = OpKind::kGemm;
  const auto* a = in_dims(g, n, 0);
  const auto* b = in_dims(g, n, 1);
  if (!a || !b || a->size() != 2 || b->size() != 2) return false;
  bool ta = n.attr_int("transA", 0) != 0, tb = n.attr_int("transB", 0) != 0;
  int64_t m = ta ? (*a)[1] : (*a)[0];
  int64_t k = ta ? (*a)[0] : (*a)[1];
  int64_t nn = tb ? (*b)[0] : (*b)[1];
  int64_t kb = tb ? (*b)[1] : (*b)[0];
  if (k > 0 && kb > 0 && k != kb) {
    c.problem = "inputs disagree on K (A has " + std::to_string(k) + ", B has " + std::to_string(kb) + "): not counted";
    return false;
  }
  double mn = static_cast<double>(m) * static_cast<double>(nn);
  c.flops_mac = 2 * mn * static_cast<double>(k);
  c.flops = c.flops_mac + (g.input(n, 2) ? mn : 0);
  c.gemm = {m, nn, k, 1};
  return true;
}

// Einsum: every index takes every value once, so MACs = product of all index extents
// (a contraction; fvcore counts the same). Without a summed index it is elementwise.
bool rule_einsum(const Graph& g, const GraphNode& n, NodeCost& c) {
  c.kind = OpKind::kGemm;
  std::string eq;
  for (char ch : n.attr_string("equation", "")) if (ch != ' ') eq += ch;
  auto arrow = eq.find("->");
  std::string lhs = eq.substr(0, arrow);
  std::map<char, int64_t> extent;
  size_t operand = 0, axis = 0;
  for (size_t i = 0; i <= lhs.size(); ++i) {
    if (i == lhs.size() || lhs[i] == ',') {
      ++operand;
      axis = 0;
      continue;
    }
    char ch = lhs[i];
    if (ch == '.') return false;  // ellipsis: not handled
    const auto* d = in_dims(g, n, operand);
    if (!d || axis >= d->size()) return false;
    int64_t v = (*d)[axis++];
    auto& e = extent[ch];
    e = std::max(e, v);
  }
  std::string rhs = arrow == std::string::npos ? "" : eq.substr(arrow + 2);
  double all = 1;
  bool summed = false;
  for (auto [ch, v] : extent) {
    all *= static_cast<double>(v);
    if (arrow != std::string::npos && rhs.find(ch) == std::string::npos) summed = true;
  }
  if (summed) {
    c.flops_mac = 2 * all;
    c.flops = c.flops_mac;
  } else {
    c.kind = OpKind::kElementwise;
    c.flops = operand > 1 ? all : 0;
  }
  return true;
}

// Softmax: max, subtract, exp, sum, divide: 5 per element (attention.h uses the same).
bool rule_softmax(const Graph& g, const GraphNode& n, NodeCost& c) {
  c.kind = OpKind::kSoftmax;
  double out = out_elems(g, n);
  if (out < 0) return false;
  c.flops = out * (n.op_type == "LogSoftmax" ? 6 : 5);
  return true;
}

// Reductions: one FLOP per input element (add or compare); Mean adds a divide per output,
// SumSquare and L2 a multiply per input (L2 a sqrt per output), LogSumExp an exp per
// input and a log per output.
bool rule_reduce(const Graph& g, const GraphNode& n, NodeCost& c) {
  c.kind = OpKind::kReduction;
  double in = in_elems(g, n, 0), out = out_elems(g, n);
  if (in < 0 || out < 0) return false;
  const std::string& op = n.op_type;
  double f = in;
  if (op == "ReduceMean") f += out;
  if (op == "ReduceSumSquare" || op == "ReduceL2") f += in;
  if (op == "ReduceL2") f += out;
  if (op == "ReduceLogSumExp" || op == "ReduceLogSum") f += in + out;
  c.flops = f;
  return true;
}

// ArgMax/ArgMin, CumSum: one per input element.
bool rule_scan(const Graph& g, const GraphNode& n, NodeCost& c) {
  c.kind = OpKind::kReduction;
  double in = in_elems(g, n, 0);
  if (in < 0) return false;
  c.flops = in;
  return true;
}

}  // namespace

void register_math(void (*add)(const char* op, Rule r)) {
  for (const auto& p : kPointwise) add(p.op, &rule_pointwise);
  add("Gelu", &rule_gelu);
  add("FastGelu", &rule_gelu);
  add("BiasGelu", &rule_gelu);
  add("MatMul", &rule_matmul);
  add("MatMulInteger", &rule_matmul);
  add("FusedMatMul", &rule_matmul);
  add("Gemm", &rule_gemm);
  add("Einsum", &rule_einsum);
  add("Softmax", &rule_softmax);
  add("LogSoftmax", &rule_softmax);
  for (const char* op : {"ReduceSum", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
                         "ReduceSumSquare", "ReduceLogSum", "ReduceLogSumExp"})
    add(op, &rule_reduce);
  for (const char* op : {"ArgMax", "ArgMin", "CumSum"}) add(op, &rule_scan);
}

}  // namespace flopscope::onnx_rules
