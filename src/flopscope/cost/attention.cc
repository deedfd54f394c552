#include "flopscope/cost/attention.h"

#include <algorithm>

namespace flopscope {

namespace {
constexpr double kSoftmaxFlopsPerScore = 5.0;
constexpr double kBackwardMatmulFactor = 2.5;  // 5 products vs 2 (FlashAttention-2)
}  // namespace

double attention_pairs(int64_t q_len, int64_t kv_len, bool causal, int64_t window) {
  double q = static_cast<double>(q_len), kv = static_cast<double>(kv_len);
  if (!causal) {
    double span = window > 0 ? std::min<double>(kv, static_cast<double>(window)) : kv;
    return q * span;
  }
  // Queries are the last q_len positions of kv_len; query i (0-based among them) sees
  // keys up to position (kv - q + i), i.e. (kv - q + i + 1) keys, capped by the window.
  double offset = kv - q;
  if (window <= 0) return q * offset + q * (q + 1) / 2;
  double w = static_cast<double>(window);
  double total = 0;
  // Closed form: visible(i) = min(offset + i + 1, w).
  double uncapped = std::clamp(w - offset - 1, 0.0, q);  // queries with offset+i+1 < w
  total += uncapped * (offset + 1) + uncapped * (uncapped - 1) / 2;
  total += (q - uncapped) * w;
  return total;
}

double attention_flops_scores(const AttentionShape& s) {
  return 2.0 * attention_pairs(s.q_len, s.kv_len, s.causal, s.window) * static_cast<double>(s.batch * s.heads) *
         static_cast<double>(s.head_dim_qk);
}

double attention_flops_values(const AttentionShape& s) {
  return 2.0 * attention_pairs(s.q_len, s.kv_len, s.causal, s.window) * static_cast<double>(s.batch * s.heads) *
         static_cast<double>(s.head_dim_v);
}

double attention_flops_dense(const AttentionShape& s) {
  double pairs = static_cast<double>(s.q_len) * static_cast<double>(s.kv_len);
  return 2.0 * pairs * static_cast<double>(s.head_dim_qk + s.head_dim_v) * static_cast<double>(s.heads * s.batch);
}

int64_t kv_heads_read(const AttentionShape& s) { return s.gqa_packed ? s.kv_heads : std::max(s.kv_heads, s.heads); }

Op make_attention(std::string name, const AttentionShape& s, DType dtype, bool backward, int64_t count) {
  Op op;
  op.kind = OpKind::kAttention;
  op.name = std::move(name);
  op.type = backward ? "sdpa_backward" : "sdpa";
  op.pass = backward ? Pass::kBackward : Pass::kForward;
  op.dtype = dtype;
  op.attention = s;
  op.count = count;
  double pairs = attention_pairs(s.q_len, s.kv_len, s.causal, s.window) * static_cast<double>(s.batch * s.heads);
  double matmul = 2.0 * pairs * static_cast<double>(s.head_dim_qk + s.head_dim_v);
  double b = bytes_per_element(dtype);
  double q_elems = static_cast<double>(s.batch * s.heads * s.q_len * s.head_dim_qk);
  const int64_t kv_reads = kv_heads_read(s);
  double k_elems = static_cast<double>(s.batch * kv_reads * s.kv_len * s.head_dim_qk);
  double v_elems = static_cast<double>(s.batch * kv_reads * s.kv_len * s.head_dim_v);
  double o_elems = static_cast<double>(s.batch * s.heads * s.q_len * s.head_dim_v);
  if (!backward) {
    op.flops = matmul + kSoftmaxFlopsPerScore * pairs;
    op.bytes_read = (q_elems + k_elems + v_elems) * b;
    op.bytes_written = o_elems * b;
  } else {
    op.flops = kBackwardMatmulFactor * matmul + kSoftmaxFlopsPerScore * pairs;
    op.bytes_read = (q_elems + k_elems + v_elems + 2 * o_elems) * b;
    op.bytes_written = (q_elems + k_elems + v_elems) * b;
  }
  return op;
}

}  // namespace flopscope
