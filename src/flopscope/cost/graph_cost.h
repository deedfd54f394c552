// FLOPs and bytes of an operator Graph (ONNX), node by node, and its lowering to the op list.
//
// Conventions (docs/model-files.md has the per-operator table):
// - FLOP = one add or multiply; a multiply-add is 2 FLOPs. `flops_mac` is the multiply-add
//   work of MatMul, Gemm, Conv, ConvTranspose, Einsum, fused attention and RNN gate matmuls,
//   counted 2 per MAC: the quantity PyTorch's and fvcore's counters report in MACs, times 2.
//   Biases and everything else go to `flops` only (flops >= flops_mac).
// - Elementwise ops count the arithmetic of their ONNX definition per output element, a
//   transcendental (exp, tanh, erf, sqrt) as one FLOP: Relu 1, Sigmoid 3, Silu 4,
//   Gelu 5 (erf) or 8 (tanh), HardSigmoid 4, HardSwish 5, Softmax 5, LayerNorm 5 (affine).
// - bytes_read: every input tensor once (weights included) at its element type, except
//   Gather (indices and the gathered rows only) and Slice (the slice only); bytes_written:
//   every output once. Data movement (Reshape, Transpose, Concat, Slice, Split, Cast, Where,
//   ...) has 0 FLOPs. An operator without a rule counts bytes only and is listed by name.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "flopscope/cost/op.h"
#include "flopscope/model/graph.h"

namespace flopscope {

/// The cost of one node.
struct NodeCost {
  std::string name;
  std::string op_type;
  OpKind kind = OpKind::kOther;
  DType dtype = DType::kFP32;
  double flops_mac = 0;      ///< 2 * multiply-adds of matmul-like work
  double flops = 0;          ///< all FLOPs (includes flops_mac)
  double bytes_read = 0;
  double bytes_written = 0;
  bool has_rule = true;      ///< false: operator unknown, bytes only
  bool shape_known = true;   ///< false: an input or output had no shape; counted as 0
  GemmShape gemm;            ///< MatMul/Gemm/Conv (implicit GEMM) shape, when any
  AttentionShape attention;  ///< fused attention ops
  std::string problem;       ///< inputs that contradict the operator (MatMul K mismatch); not counted
};

/// Totals of one op type (a row of the per-op table).
struct OpTypeCost {
  std::string op_type;
  int64_t nodes = 0;
  double flops_mac = 0;
  double flops = 0;
  double bytes = 0;
};

struct GraphCost {
  std::string source;
  int64_t params = 0;          ///< exact: elements of the weight initializers
  double bytes_params = 0;     ///< their bytes at the stored element types
  double flops_mac = 0;
  double flops_total = 0;
  double bytes = 0;            ///< sum of bytes_read + bytes_written over nodes
  std::vector<NodeCost> nodes;          ///< in topological order
  std::vector<OpTypeCost> op_types;     ///< sorted by flops, then bytes, descending
  std::vector<std::string> unsupported; ///< op types without a rule, sorted
  std::vector<std::string> warnings;    ///< from the loader and from unshaped nodes
};

/// Costs every node of `graph` (already loaded with bound shapes).
GraphCost cost_graph(const Graph& graph);

/// The cost of one node (exposed for tests of single rules).
NodeCost cost_node(const Graph& graph, const GraphNode& node);

/// Lowers the costed nodes to the op list the timing engine reads (one Op per node).
OpList lower_graph(const GraphCost& cost);

/// The compute dtype for an ONNX element type (float32 -> fp32, float16 -> fp16, ...).
DType dtype_of(ElemType t);

namespace onnx_rules {
// One rule per operator family (cost/onnx_ops_*.cc). Each fills flops/flops_mac/kind and
// may override the default bytes; returns false when the node's shapes are insufficient.
using Rule = bool (*)(const Graph& g, const GraphNode& n, NodeCost& c);
/// The rule for an op type, or nullptr. Data-movement ops have a rule that counts 0 FLOPs.
Rule find_rule(const std::string& op_type);
void register_math(void (*add)(const char* op, Rule r));
void register_nn(void (*add)(const char* op, Rule r));
void register_tensor(void (*add)(const char* op, Rule r));

/// Element count of input/output i as a double; -1 when absent or unshaped.
double in_elems(const Graph& g, const GraphNode& n, size_t i);
double out_elems(const Graph& g, const GraphNode& n, size_t i = 0);
/// Dims of input/output i, or nullptr when absent or unshaped.
const std::vector<int64_t>* in_dims(const Graph& g, const GraphNode& n, size_t i);
const std::vector<int64_t>* out_dims(const Graph& g, const GraphNode& n, size_t i = 0);
}  // namespace onnx_rules

}  // namespace flopscope
