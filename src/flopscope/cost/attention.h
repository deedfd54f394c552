// FLOPs and bytes of one scaled-dot-product attention call.
//
// Forward: scores S = Q K^T (2 * q_len * kv_len * d_qk per head) and output O = P V
// (2 * q_len * kv_len * d_v per head), plus softmax (~5 FLOPs per score: max, subtract,
// exp, sum, scale; Dao et al. 2022 count the same order). With a causal mask, only the
// visible pairs are computed (flash-attention kernels skip fully masked blocks): for
// q_len == kv_len that is kv*(kv+1)/2 of kv^2 pairs. A sliding window caps the pairs
// each query sees at `window`.
//
// Backward (FlashAttention-2, Dao 2023): recomputes S, then dV, dP, dS, dQ, dK: 5 GEMM-like
// products against the forward's 2, i.e. 2.5x the forward matmul FLOPs.
//
// Bytes: Q, K, V read and O written once (flash: the scores never reach HBM); backward
// reads Q, K, V, O, dO and writes dQ, dK, dV.
#pragma once

#include "flopscope/cost/op.h"

namespace flopscope {

/// Visible (query, key) pairs per head for one sequence, after causal mask and window.
/// For decode (q_len = 1) every cached key is visible (up to the window).
double attention_pairs(int64_t q_len, int64_t kv_len, bool causal, int64_t window);

/// Heads whose K and V a kernel reads: the KV heads, or every query head's when the kernel
/// does not share a KV head's reads among its group (AttentionShape::gqa_packed false).
int64_t kv_heads_read(const AttentionShape& shape);

/// Attention op for the forward (backward = false) or the backward pass.
Op make_attention(std::string name, const AttentionShape& shape, DType dtype, bool backward = false,
                  int64_t count = 1);

/// FLOPs of the two matmuls (scores, values) of a forward call, visible pairs only.
double attention_flops_scores(const AttentionShape& shape);
double attention_flops_values(const AttentionShape& shape);

/// FLOPs of the matmuls of a forward call with all pairs counted (no causal saving):
/// the convention of tools that ignore the mask (PaLM's 6ND + 12*L*H*Q*T counts it so).
double attention_flops_dense(const AttentionShape& shape);

}  // namespace flopscope
