// The op list: the common currency between model sources and the timing engine
// (design.md, "The one pipeline"). A transformer lowered analytically and an ONNX graph
// both become a vector<Op>; perf/ times each op; analyses read the totals.
//
// Conventions: FLOP = one add or one multiply (a multiply-add is 2 FLOPs). `flops`,
// `bytes_read` and `bytes_written` are for ONE instance of the op; `count` says how many
// identical instances run (e.g. one per layer), so totals are value * count.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "flopscope/util/dtype.h"

namespace flopscope {

enum class OpKind {
  kGemm,         ///< matrix multiply (M x K) @ (K x N), `batch` independent ones
  kAttention,    ///< fused scaled-dot-product attention (scores, softmax, values)
  kNorm,         ///< LayerNorm / RMSNorm / BatchNorm
  kElementwise,  ///< activations, residual adds, casts, scaling
  kSoftmax,      ///< stand-alone softmax (unfused attention, logits)
  kReduction,    ///< reductions, pooling
  kEmbedding,    ///< gather of rows from a table
  kConv,         ///< convolution, lowered to implicit GEMM shape for timing
  kDataMovement, ///< reshape, transpose, concat, slice: bytes only
  kCollective,   ///< all-reduce, all-gather, reduce-scatter, all-to-all across devices
  kOptimizer,    ///< optimizer update over parameters
  kOther,        ///< an operator without a FLOP rule: counted by bytes only
  kCount
};

/// Short lower-case name of a kind ("gemm", "attention", ...).
const char* op_kind_name(OpKind k);

/// Shape of a GEMM: C[M,N] = A[M,K] @ B[K,N], repeated `batch` times.
struct GemmShape {
  int64_t m = 0, n = 0, k = 0, batch = 1;
};

/// Shape of one attention call.
struct AttentionShape {
  int64_t batch = 0, heads = 0, kv_heads = 0, q_len = 0, kv_len = 0;
  int64_t head_dim_qk = 0, head_dim_v = 0;
  bool causal = false;
  int64_t window = 0;  ///< sliding window (0 = none)
  /// false: one CTA per query head reads its group's KV head, so K and V are read once per
  /// query head (cost/workload.h DecodeAttention::kPerHead); true: once per KV head.
  bool gqa_packed = true;
};

enum class CollectiveKind { kAllReduce, kAllGather, kReduceScatter, kAllToAll, kSendRecv };

/// A collective: `bytes` is the buffer as nccl-tests sizes it (all-reduce: the tensor each
/// device holds; all-gather: the gathered tensor; reduce-scatter: the tensor before the
/// scatter; all-to-all: what each device sends in all; send/recv: the message); `group` the
/// number of participants, `members_per_node` how many of them share a node (0: all: the
/// group never leaves a node).
struct CollectiveShape {
  CollectiveKind kind = CollectiveKind::kAllReduce;
  double bytes = 0;
  int64_t group = 1;
  int64_t members_per_node = 0;
  bool spans_nodes() const { return members_per_node > 0 && members_per_node < group; }
};

/// What compute hides a collective (docs/parallelism.md, "Overlap"):
///   kExposed          on the critical path (tensor-parallel all-reduces, MoE all-to-all,
///                     pipeline sends)
///   kMicroBatch       issued ahead and hidden behind the micro-batch's compute (ZeRO-3 /
///                     FSDP weight all-gathers and gradient reduce-scatters)
///   kAttention        hidden behind the attention kernels of the layer (ring attention)
///   kLastBackward     once per step, hidden behind the last micro-batch's backward
///                     (bucketed data-parallel gradient reduction)
///   kNextForward      once per step, hidden behind the first micro-batch's forward
///                     (ZeRO-1/2 parameter all-gather after the sharded optimizer step)
enum class Overlap { kExposed, kMicroBatch, kAttention, kLastBackward, kNextForward };

enum class Pass { kForward, kBackward, kOptimizer };

struct Op {
  OpKind kind = OpKind::kOther;
  std::string name;     ///< where it sits: "layers.attn.qkv", or the ONNX node name
  std::string type;     ///< finer type: "MatMul", "rmsnorm", "silu_mul", ...
  Pass pass = Pass::kForward;
  DType dtype = DType::kBF16;  ///< compute dtype
  /// GEMMs: storage dtype of the streamed weight operand (int4 weights multiply in bf16);
  /// make_gemm sets it to the compute dtype.
  DType weight_dtype = DType::kBF16;
  /// GEMMs: the weight operand is 2:4 structured sparse; the engine uses the hardware's
  /// sparse peak (flops_peak_sparse) where it has one, the dense peak otherwise.
  bool sparse_24 = false;
  double flops = 0;            ///< per instance
  double bytes_read = 0;       ///< per instance
  double bytes_written = 0;    ///< per instance
  int64_t count = 1;           ///< identical instances (layers)
  bool recomputed = false;     ///< forward work repeated in backward (activation recomputation)
  int64_t kernels = 1;         ///< kernel launches per instance when run op by op (PyTorch eager);
                               ///< an unfused RMSNorm is ~7, a fused kernel 1
  Overlap overlap = Overlap::kExposed;  ///< collectives: what hides them
  /// Part of a long steady load (a training step): the tensor cores run at the board's
  /// power-limited sustained clock (Efficiency::sustained_clock_fraction).
  bool sustained = false;
  /// Elementwise ops on non-contiguous inputs (the two halves of a fused gate_up output taken
  /// with chunk): PyTorch runs them on its non-vectorized kernel, at
  /// Efficiency::strided_elementwise_fraction of the bandwidth.
  bool strided = false;
  std::string component;       ///< model component for breakdowns: "attn.qkv", "mlp", "lm_head", ...
  GemmShape gemm;
  AttentionShape attention;
  CollectiveShape collective;

  double total_flops() const { return flops * static_cast<double>(count); }
  double total_bytes() const { return (bytes_read + bytes_written) * static_cast<double>(count); }
};

using OpList = std::vector<Op>;

/// A GEMM op with FLOPs = 2*M*N*K*batch and bytes for A, B (read) and C (written).
Op make_gemm(std::string name, int64_t m, int64_t n, int64_t k, DType dtype, int64_t batch = 1,
             int64_t count = 1);

/// An elementwise-like op over `elements` with `flops_per_element`, reading `inputs`
/// tensors of that size and writing `outputs`.
Op make_elementwise(OpKind kind, std::string name, std::string type, double elements, double flops_per_element,
                    int inputs, int outputs, DType dtype, int64_t count = 1);

struct OpTotals {
  double flops = 0;
  double bytes = 0;
};
OpTotals totals(const OpList& ops);

/// A collective op of `bytes` over `group` devices, `members_per_node` of them on a node.
Op make_collective(std::string name, CollectiveKind kind, double bytes, int64_t group, int64_t members_per_node,
                   Pass pass, Overlap overlap, int64_t count = 1);
const char* collective_kind_name(CollectiveKind k);

}  // namespace flopscope
