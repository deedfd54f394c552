#include "flopscope/cost/lower_transformer.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

#include "flopscope/cost/attention.h"
#include "flopscope/cost/params.h"

namespace flopscope {

namespace {

// Kernels and memory passes of the small layers as transformers' modules run them op by op
// (Modules::kTransformers). LlamaRMSNorm: to(fp32) r2 w4, pow r4 w4, mean r4, add + rsqrt
// (per row), mul r4 w4, to(bf16) r4 w2, weight * x r2 w2: 8 kernels, 20 B read and 16 B
// written per element of a 16-bit input. rotate_half rotary on one tensor: x*cos r1 w1,
// neg(x2) r.5 w.5, cat r1 w1, *sin r1 w1, add r2 w1 (in tensor passes): 5 kernels, 5.5
// passes read and 4.5 written. F.rms_norm is one fused kernel on CUDA in PyTorch 2.11
// (Modules::kPyTorch; measured: a plain-PyTorch Llama-3-8B forward launches 484 kernels, 15
// per layer, one per norm: validation/h200/mechanisms-eager-host.json), as serving engines'
// norms are (Modules::kFused). nn.LayerNorm is one kernel anywhere.
constexpr int64_t kHfRmsNormKernels = 8;
constexpr double kHfRmsNormBytesRead = 20, kHfRmsNormBytesWritten = 16;  // per element, 16-bit input
// Its autograd backward: weight-mul backward r8 w4 (incl. the weight-gradient reduction),
// cast back r2 w4, the rsqrt-mul backward r16 w8, pow/mean backward r8 w4, the two-path
// gradient sum r8 w4, cast to 16 bits r4 w2: ~12 kernels, 46 B read and 26 written.
constexpr int64_t kHfRmsNormBackwardKernels = 12;
constexpr double kHfRmsNormBackwardRead = 46, kHfRmsNormBackwardWritten = 26;
constexpr int64_t kHfRotaryKernelsPerTensor = 5;
constexpr double kHfRotaryPassesRead = 5.5, kHfRotaryPassesWritten = 4.5;

// Compute dtype of a GEMM whose weights are stored as `weight`: fp8 and int8 weights run
// W8A8 kernels; int4 weights are dequantized in the kernel and multiply in 16 bits (W4A16).
// 2:4 sparse weights: 2 bits of metadata per kept value, half the values kept: 1/8 byte per
// dense weight element (NVIDIA A100 whitepaper, "Fine-grained structured sparsity").
constexpr double kSparse24MetadataBytes = 0.5 * 2.0 / 8.0;

bool is_gemm_only_dtype(DType t) { return t == DType::kFP8 || t == DType::kINT8; }

DType gemm_compute_dtype(DType act, DType weight) { return is_gemm_only_dtype(weight) ? weight : act; }

class Lowering {
 public:
  Lowering(const TransformerSpec& s, const Workload& w) : s_(s), w_(w), par_(w.parallel) {
    const bool decode = w.phase == Phase::kDecode;
    tp_ = std::max<int64_t>(1, par_.tp);
    cp_ = decode ? 1 : std::max<int64_t>(1, par_.cp);
    heads_ = std::max<int64_t>(1, s.num_heads / tp_);
    kv_heads_ = std::max<int64_t>(1, s.num_kv_heads / tp_);
    tokens_ = decode ? w.batch : w.batch * (w.seq / cp_);
    q_len_ = decode ? 1 : w.seq / cp_;
    // A prefill chunk after `context` cached tokens attends to them too.
    kv_len_ = decode ? w.context + 1 : w.phase == Phase::kPrefill ? w.context + w.seq : w.seq;
    rep_ = par_.sequence_parallel ? 1.0 / static_cast<double>(tp_) : 1.0;
    // fp8 and int8 are GEMM input formats: with --dtype fp8 (W8A8, FP8 training) the linear
    // layers multiply in fp8 while the activations between kernels, attention and the
    // tensor-parallel exchanges stay 16-bit (TensorRT-LLM's FP8 context FMHA is opt-in;
    // vLLM's attention reads an fp8 KV cache into 16-bit math; Transformer Engine keeps
    // attention and the residual stream in bf16). docs/timing-engine.md, "fp8".
    act_ = is_gemm_only_dtype(w.dtype) ? DType::kBF16 : w.dtype;
  }

  OpList run() {
    const int64_t stages = std::max<int64_t>(1, par_.pp);
    if (stages == 1) embedding();  // with pipeline stages: the last stage's ops (see the header)
    // Group identical layers: (moe, window) -> count.
    std::map<std::pair<bool, int64_t>, int64_t> groups;
    for (const auto& l : s_.layers) groups[{l.moe, l.sliding_window}] += 1;
    for (const auto& [key, count] : groups) {
      // A stage holds layers / pp of them; a kind that does not split evenly rounds up.
      int64_t here = (count + stages - 1) / stages;
      layer(key.first, key.second, here);
    }
    head();
    if (stages > 1) pipeline_sends();
    if (w_.phase == Phase::kTrainStep) backward_and_optimizer();
    if (w_.phase == Phase::kTrainStep) {
      for (Op& op : ops_) op.sustained = true;
    }
    return std::move(ops_);
  }

 private:
  double width_bytes(DType t) const { return bytes_per_element(t); }

  // Per-device widths under tensor parallelism: heads split over the tp ranks, KV heads too
  // (replicated when tp exceeds them).
  int64_t q_width() const { return heads_ * s_.head_dim; }
  int64_t kv_width() const { return kv_heads_ * s_.head_dim; }
  // Elements of a [tokens, width] tensor outside the tensor-parallel regions (norms,
  // residuals, dropout): split over the tp ranks with sequence parallelism.
  double replicated(double elements) const { return elements * rep_; }

  void collective(const std::string& name, const std::string& component, CollectiveKind kind, double bytes,
                  int64_t group, int64_t stride, Pass pass, Overlap overlap, int64_t count) {
    if (group <= 1 || bytes <= 0) return;
    push(make_collective(name, kind, bytes, group, members_per_node(group, stride, par_.gpus_per_node), pass, overlap,
                         count),
         component);
  }
  // Tensor-parallel exchange after a row-parallel projection (forward) or before a column-
  // parallel one (backward, `pass`): an all-reduce of the [tokens, h] activation, or with
  // sequence parallelism a reduce-scatter here and an all-gather before the next projection.
  void tp_exchange(const std::string& name, int64_t count, Pass pass) {
    if (tp_ <= 1) return;
    double bytes = static_cast<double>(tokens_) * static_cast<double>(s_.hidden_size) * width_bytes(act_);
    if (par_.sequence_parallel) {
      collective(name + ".reduce_scatter", "comm.tp", CollectiveKind::kReduceScatter, bytes, tp_, 1, pass,
                 Overlap::kExposed, count);
      collective(name + ".all_gather", "comm.tp", CollectiveKind::kAllGather, bytes, tp_, 1, pass, Overlap::kExposed,
                 count);
    } else {
      collective(name + ".all_reduce", "comm.tp", CollectiveKind::kAllReduce, bytes, tp_, 1, pass, Overlap::kExposed,
                 count);
    }
  }

  void pipeline_sends() {
    // 1F1B: each micro-batch's activation goes to the next stage and its gradient comes back
    // ([tokens, h], split over the tp ranks when they scatter it: Megatron's scatter-gather
    // optimisation, Narayanan et al. 2021 sec. 4.1). One send per model chunk.
    double bytes = static_cast<double>(tokens_) * static_cast<double>(s_.hidden_size) * width_bytes(act_) /
                   static_cast<double>(tp_);
    int64_t chunks = std::max<int64_t>(1, par_.virtual_stages);
    collective("pipeline.send_activation", "comm.pp", CollectiveKind::kSendRecv, bytes, 2, pp_stride(par_),
               Pass::kForward, Overlap::kExposed, chunks);
    if (w_.phase == Phase::kTrainStep) {
      collective("pipeline.send_gradient", "comm.pp", CollectiveKind::kSendRecv, bytes, 2, pp_stride(par_),
                 Pass::kBackward, Overlap::kExposed, chunks);
    }
  }

  Op& push(Op op, std::string component) {
    op.component = std::move(component);
    ops_.push_back(std::move(op));
    return ops_.back();
  }

  // y[T, out] = x[T, in] @ W[in, out], W stored as the weight dtype (16-bit when not
  // `quantized`: the LM head and pooler stay 16-bit, as memory.h counts them).
  void linear(const std::string& name, const std::string& component, int64_t m, int64_t out, int64_t in,
              int64_t count, int64_t kernels = 1, int64_t batch = 1, bool quantized = true) {
    DType weight = quantized ? w_.weight_dtype : act_;
    DType compute = act_;  // weight-only quantization and the 16-bit LM head multiply in 16 bits
    if (quantized && !w_.weight_only) {
      // --dtype fp8/int8: 8-bit GEMM inputs whatever the weight storage (W8A8, W4A8).
      compute = is_gemm_only_dtype(w_.dtype) ? w_.dtype : gemm_compute_dtype(act_, weight);
    }
    const bool sparse = quantized && w_.sparse_24;
    double dm = static_cast<double>(m), dn = static_cast<double>(out), dk = static_cast<double>(in);
    double db = static_cast<double>(batch);
    if (compute != act_) {
      // W8A8: the activation is quantized first (dynamic per-tensor scale: an amax reduction
      // and a scaled cast, two kernels reading the 16-bit input).
      Op q = make_elementwise(OpKind::kElementwise, name + ".quantize_input", "quantize", dm * dk * db, 3, 2, 0, act_,
                              count);
      q.bytes_written = dm * dk * db * width_bytes(compute);
      q.kernels = 2 * kernels;
      push(std::move(q), component);
    }
    Op op = make_gemm(name, m, out, in, compute, batch, count);
    op.weight_dtype = weight;
    // 2:4 sparsity keeps half the weights plus a 2-bit index per kept value (cuSPARSELt).
    double weight_element = weight_bytes_per_element(weight);
    if (sparse) weight_element = 0.5 * weight_element + kSparse24MetadataBytes;
    op.sparse_24 = sparse;
    op.bytes_read = (dm * dk * width_bytes(compute) + dk * dn * weight_element) * db;
    op.bytes_written = dm * dn * width_bytes(act_) * db;
    op.kernels = kernels;
    push(std::move(op), component);
  }

  // Whether a decode step's attention kernel reads each KV head once for its query-head
  // group (cost/workload.h DecodeAttention).
  bool decode_reads_kv_once(const AttentionShape& a) const {
    switch (w_.decode_attention) {
      case DecodeAttention::kGrouped: return true;
      case DecodeAttention::kPerHead: return false;
      case DecodeAttention::kTensorRtLlm09: {
        const int64_t group = a.heads / std::max<int64_t>(1, a.kv_heads);
        const bool kernel = (group == 8 || group == 1) && (a.head_dim_qk == 128 || a.head_dim_qk == 256);
        const bool gain = w_.device_units <= 0 || a.kv_heads * a.batch * 4 >= w_.device_units;
        return kernel && gain;
      }
    }
    return true;
  }

  // Storage bytes of one weight element, int4 with one fp16 scale per group of 128.
  double weight_bytes_per_element(DType weight) const {
    if (weight == DType::kINT4) return 0.5 + 2.0 / 128.0;
    return width_bytes(weight);
  }
  double weight_bytes_per_element() const { return weight_bytes_per_element(w_.weight_dtype); }

  bool hf() const { return w_.modules == Modules::kTransformers; }
  // RMSNorm as several fp32 kernels: transformers' module only (F.rms_norm is fused, above).
  bool composite_norm() const { return w_.modules == Modules::kTransformers; }

  void elementwise(OpKind kind, const std::string& name, const std::string& type, const std::string& component,
                   double elements, double flops_per_element, int inputs, int outputs, int64_t count,
                   int64_t kernels = 1) {
    Op op = make_elementwise(kind, name, type, elements, flops_per_element, inputs, outputs, act_, count);
    op.kernels = kernels;
    push(std::move(op), component);
  }

  void norm(const std::string& name, double elements, int64_t count) {
    elements = replicated(elements);
    bool rms = s_.norm == NormKind::kRmsNorm;
    elementwise(OpKind::kNorm, name, rms ? "rmsnorm" : "layernorm", "norm", elements, rms ? 4 : 7, 1, 1, count, 1);
    if (rms && composite_norm()) {
      Op& op = ops_.back();
      double scale = width_bytes(act_) / 2.0;  // the figures are for a 16-bit input
      op.bytes_read = elements * kHfRmsNormBytesRead * scale;
      op.bytes_written = elements * kHfRmsNormBytesWritten * scale;
      op.kernels = kHfRmsNormKernels;
    }
  }

  void embedding() {
    double elems = static_cast<double>(tokens_ * s_.hidden_size);
    Op op = make_elementwise(OpKind::kEmbedding, "embed_tokens", "gather", elems, 0, 1, 1, act_);
    push(std::move(op), "embedding");
    if (s_.learned_positions || s_.type_vocab_size > 0) {
      elementwise(OpKind::kElementwise, "embed_positions", "add", "embedding", elems, 1, 2, 1, 1,
                  s_.type_vocab_size > 0 ? 2 : 1);
    }
    if (tp_ > 1) {
      // Vocab-parallel embedding: each rank gathers the rows it holds, then the ranks sum.
      double bytes = elems * width_bytes(act_);
      if (par_.sequence_parallel) {
        collective("embed_tokens.tp.reduce_scatter", "comm.tp", CollectiveKind::kReduceScatter, bytes, tp_, 1,
                   Pass::kForward, Overlap::kExposed, 1);
      } else {
        collective("embed_tokens.tp.all_reduce", "comm.tp", CollectiveKind::kAllReduce, bytes, tp_, 1, Pass::kForward,
                   Overlap::kExposed, 1);
      }
    }
    if (s_.embedding_norm) norm("embed_norm", elems, 1);
  }

  void layer(bool moe, int64_t window, int64_t count) {
    const int64_t h = s_.hidden_size;
    const double th = static_cast<double>(tokens_ * h);
    std::string p = "layers";
    if (moe && s_.num_dense_layers() > 0) p = "layers[moe]";
    else if (!moe && s_.num_moe_layers() > 0) p = "layers[dense]";
    if (window > 0) p += "[window " + std::to_string(window) + "]";

    norm(p + ".input_norm", th, count);
    attention_block(p, window, count);
    tp_exchange(p + ".attn.tp", count, Pass::kForward);
    elementwise(OpKind::kElementwise, p + ".residual_attn", "add", "residual", replicated(th), 1, 2, 1, count);
    norm(p + ".post_attention_norm", th, count);
    if (s_.norms_per_layer == 4) {
      norm(p + ".pre_feedforward_norm", th, count);
      norm(p + ".post_feedforward_norm", th, count);
    }
    if (moe) moe_block(p, count);
    else mlp_block(p + ".mlp", "mlp", tokens_, s_.intermediate_size / tp_, count);
    tp_exchange(p + ".mlp.tp", count, Pass::kForward);
    elementwise(OpKind::kElementwise, p + ".residual_mlp", "add", "residual", replicated(th), 1, 2, 1, count);
  }

  void attention_block(const std::string& p, int64_t window, int64_t count) {
    const int64_t h = s_.hidden_size;
    const bool decode = w_.phase == Phase::kDecode;
    AttentionShape a;
    a.batch = w_.batch;
    a.heads = heads_;
    a.q_len = q_len_;
    a.kv_len = kv_len_;
    if (cp_ > 1) {
      // Ring attention (context parallel): each device's query chunk meets every key chunk;
      // with the causal load balancing of Megatron-Core each device computes 1/cp of the
      // pairs: cp causal blocks of s/cp (non-causal: s/cp queries against all s keys).
      if (s_.causal) {
        a.batch = w_.batch * cp_;
        a.kv_len = q_len_;
      }
    }
    a.causal = s_.causal;
    a.window = window;
    double kv_elems_per_token = 0;  // cached elements per token per layer
    if (s_.attention == AttentionKind::kMla) {
      const MlaSpec& m = s_.mla;
      if (m.q_lora_rank > 0) {
        linear(p + ".attn.q_a_proj", "attn.qkv", tokens_, m.q_lora_rank, h, count);
        norm(p + ".attn.q_a_norm", static_cast<double>(tokens_ * m.q_lora_rank), count);
        linear(p + ".attn.q_b_proj", "attn.qkv", tokens_, heads_ * m.qk_head_dim(), m.q_lora_rank, count);
      } else {
        linear(p + ".attn.q_proj", "attn.qkv", tokens_, heads_ * m.qk_head_dim(), h, count);
      }
      linear(p + ".attn.kv_a_proj", "attn.qkv", tokens_, m.kv_lora_rank + m.qk_rope_head_dim, h, count);
      norm(p + ".attn.kv_a_norm", static_cast<double>(tokens_ * m.kv_lora_rank), count);
      kv_elems_per_token = static_cast<double>(m.kv_lora_rank + m.qk_rope_head_dim);
      if (decode) {
        // Absorbed: q_nope @ W_UK per head, attention over the latent, then W_UV per head.
        linear(p + ".attn.q_absorb", "attn.qkv", tokens_, m.kv_lora_rank, m.qk_nope_head_dim, count, 1, heads_);
        a.kv_heads = 1;
        a.head_dim_qk = m.kv_lora_rank + m.qk_rope_head_dim;
        a.head_dim_v = m.kv_lora_rank;
      } else {
        linear(p + ".attn.kv_b_proj", "attn.qkv", tokens_, heads_ * (m.qk_nope_head_dim + m.v_head_dim),
               m.kv_lora_rank, count);
        a.kv_heads = heads_;
        a.head_dim_qk = m.qk_head_dim();
        a.head_dim_v = m.v_head_dim;
      }
      rotary(p, static_cast<double>(tokens_ * (heads_ + 1) * m.qk_rope_head_dim), count);
    } else {
      // transformers keeps q, k and v as three projections for most models; fused modules
      // (serving engines, a compact decoder) concatenate them into one GEMM.
      bool fused_qkv = !hf() || s_.model_type == "gpt2" || s_.model_type == "gpt_neox" || s_.model_type == "phi3";
      linear(p + ".attn.qkv_proj", "attn.qkv", tokens_, q_width() + 2 * kv_width(), h, count, fused_qkv ? 1 : 3);
      if (s_.q_norm_size > 0) {
        // Per-head norms: inside the tensor-parallel region, never sequence-split.
        norm(p + ".attn.q_norm", static_cast<double>(tokens_ * q_width()) / rep_, count);
        norm(p + ".attn.k_norm", static_cast<double>(tokens_ * kv_width()) / rep_, count);
      }
      if (!s_.learned_positions) rotary(p, static_cast<double>(tokens_ * (q_width() + kv_width())), count);
      a.kv_heads = kv_heads_;
      a.head_dim_qk = a.head_dim_v = s_.head_dim;
      kv_elems_per_token = static_cast<double>(2 * kv_width());
    }
    if (w_.phase != Phase::kForward && w_.phase != Phase::kTrainStep) {
      // Writing this step's keys and values into the cache: a copy each (read, write).
      Op op = make_elementwise(OpKind::kDataMovement, p + ".attn.kv_cache_write", "copy",
                               static_cast<double>(tokens_) * kv_elems_per_token, 0, 0, 1, w_.kv_dtype, count);
      op.bytes_read = static_cast<double>(tokens_) * kv_elems_per_token * width_bytes(act_);
      op.kernels = s_.attention == AttentionKind::kMla ? 1 : 2;
      push(std::move(op), "attn.core");
    }
    a.gqa_packed = !decode || decode_reads_kv_once(a);
    Op core = make_attention(p + ".attn.core", a, act_, false, count);
    if (decode && w_.kv_dtype != act_) {
      // Decode attention is dominated by reading the cache, stored in the KV dtype.
      double cache = static_cast<double>(a.batch * kv_heads_read(a) * a.kv_len * (a.head_dim_qk + a.head_dim_v));
      core.bytes_read += cache * (bytes_per_element(w_.kv_dtype) - bytes_per_element(act_));
    }
    if (!w_.flash_attention) {
      // Unfused attention materializes scores and probabilities: written, read by softmax,
      // written again, read by the value matmul.
      double scores = attention_pairs(a.q_len, a.kv_len, a.causal, a.window) * static_cast<double>(a.batch * a.heads);
      core.bytes_read += 2 * scores * width_bytes(act_);
      core.bytes_written += 2 * scores * width_bytes(act_);
      core.kernels = 5;
    }
    push(std::move(core), "attn.core");
    if (cp_ > 1) {
      // Ring attention passes each device's K and V chunk around the ring (cp - 1 hops),
      // behind the attention kernels; the backward passes K, V and their gradients.
      double chunk = static_cast<double>(tokens_) * kv_elems_per_token * width_bytes(act_);
      collective(p + ".attn.cp_ring", "comm.cp", CollectiveKind::kSendRecv, chunk * static_cast<double>(cp_ - 1), 2,
                 cp_stride(par_), Pass::kForward, Overlap::kAttention, count);
    }
    if (!decode) {
      // The kernel writes O as [batch, heads, seq, d]; o_proj wants [batch, seq, heads * d]:
      // transpose(1, 2).reshape copies it (a view when one token per sequence).
      double out_elems = static_cast<double>(tokens_ * heads_) *
                         static_cast<double>(s_.attention == AttentionKind::kMla ? s_.mla.v_head_dim : s_.head_dim);
      elementwise(OpKind::kDataMovement, p + ".attn.output_transpose", "copy", "attn.core", out_elems, 0, 1, 1, count);
    }
    if (s_.attention == AttentionKind::kMla) {
      if (decode) {
        linear(p + ".attn.v_absorb", "attn.out", tokens_, s_.mla.v_head_dim, s_.mla.kv_lora_rank, count, 1, heads_);
      }
      linear(p + ".attn.o_proj", "attn.out", tokens_, h, heads_ * s_.mla.v_head_dim, count);
    } else {
      linear(p + ".attn.o_proj", "attn.out", tokens_, h, q_width(), count);
    }
  }

  void rotary(const std::string& p, double elements, int64_t count) {
    elementwise(OpKind::kElementwise, p + ".attn.rotary", "rope", "rotary", elements, 3, 1, 1, count, 1);
    if (hf()) {
      Op& op = ops_.back();
      op.bytes_read = elements * kHfRotaryPassesRead * width_bytes(act_);
      op.bytes_written = elements * kHfRotaryPassesWritten * width_bytes(act_);
      op.kernels = 2 * kHfRotaryKernelsPerTensor;  // queries and keys
    }
  }

  void mlp_block(const std::string& name, const std::string& component, int64_t rows, int64_t inter, int64_t count,
                 int64_t batch = 1) {
    const int64_t h = s_.hidden_size;
    double act_elems = static_cast<double>(rows * inter * batch);
    if (s_.mlp == MlpKind::kGated) {
      linear(name + ".gate_up_proj", component, rows, 2 * inter, h, count, hf() ? 2 : 1, batch);
      // act(gate) * up unfused: the activation reads gate and writes its result, the product
      // reads both and writes (3 passes read, 2 written, 2 kernels).
      elementwise(OpKind::kElementwise, name + ".act_mul", s_.activation + "_mul", component, act_elems, 5, 3, 2,
                  count, 2);
      if (w_.modules == Modules::kFused) {
        // One fused kernel (silu_and_mul): reads gate and up, writes the product.
        Op& op = ops_.back();
        op.bytes_read = 2 * act_elems * width_bytes(act_);
        op.bytes_written = act_elems * width_bytes(act_);
        op.kernels = 1;
      } else if (!hf()) {
        // Plain PyTorch chunks the fused gate_up output: gate and up are strided views, and
        // silu and the product run on the non-vectorized elementwise kernel (measured: 45 of a
        // 400 ms Llama-3-8B prefill, validation/h200/prefill-profile.json).
        ops_.back().strided = true;
      }
    } else {
      linear(name + ".up_proj", component, rows, inter, h, count, 1, batch);
      elementwise(OpKind::kElementwise, name + ".act", s_.activation, component, act_elems, 8, 1, 1, count);
    }
    linear(name + ".down_proj", component, rows, h, inter, count, 1, batch);
  }

  void moe_block(const std::string& p, int64_t count) {
    const MoeSpec& m = s_.moe;
    const int64_t h = s_.hidden_size;
    linear(p + ".moe.router", "moe.router", tokens_, m.num_experts, h, count);
    const int64_t ep = std::max<int64_t>(1, par_.ep);
    const int64_t local_experts = std::max<int64_t>(1, m.num_experts / ep);
    // Expert parallelism: tokens travel to the devices holding their experts and back
    // (all-to-all dispatch and combine of [tokens x k, h]); each device then runs its
    // num_experts / ep experts over tokens x k rows (balanced routing).
    const double a2a = static_cast<double>(tokens_ * m.experts_per_token) * static_cast<double>(h) * width_bytes(act_);
    elementwise(OpKind::kSoftmax, p + ".moe.topk", "softmax_topk", "moe.router",
                static_cast<double>(tokens_ * m.num_experts), 6, 1, 1, count, 3);
    // Routed experts as a grouped GEMM over the experts the batch touches; FLOPs are exact
    // (every token runs k experts), weight bytes are those of the touched experts.
    collective(p + ".moe.dispatch", "comm.ep", CollectiveKind::kAllToAll, a2a, ep, tp_, Pass::kForward, Overlap::kExposed,
               count);
    double touched = expected_experts_touched(local_experts, std::min(m.experts_per_token, local_experts), tokens_ * ep);
    int64_t groups = std::max<int64_t>(1, static_cast<int64_t>(std::llround(touched)));
    double routed_rows = static_cast<double>(tokens_ * m.experts_per_token);
    int64_t rows_per_expert = std::max<int64_t>(1, static_cast<int64_t>(std::ceil(routed_rows / static_cast<double>(groups))));
    size_t first = ops_.size();
    mlp_block(p + ".moe.experts", "moe.experts", rows_per_expert, m.expert_intermediate_size / tp_, count, groups);
    double exact = routed_rows / static_cast<double>(rows_per_expert * groups);
    for (size_t i = first; i < ops_.size(); ++i) {
      // Rescale FLOPs and activation bytes from the rounded shape to the exact row count.
      Op& op = ops_[i];
      op.flops *= exact;
      if (op.kind == OpKind::kGemm) {
        double weights = static_cast<double>(op.gemm.k * op.gemm.n * op.gemm.batch) * weight_bytes_per_element();
        op.bytes_read = (op.bytes_read - weights) * exact + weights;
        op.bytes_written *= exact;
      } else {
        op.bytes_read *= exact;
        op.bytes_written *= exact;
      }
      op.kernels = op.kind == OpKind::kGemm ? 1 : op.kernels;  // grouped kernels, not one per expert
    }
    // Dispatch/combine of token activations (gather by expert, scatter back with weights).
    elementwise(OpKind::kDataMovement, p + ".moe.dispatch_combine", "permute", "moe.experts", routed_rows * static_cast<double>(h),
                1, 2, 2, count, 4);
    collective(p + ".moe.combine", "comm.ep", CollectiveKind::kAllToAll, a2a, ep, tp_, Pass::kForward, Overlap::kExposed,
               count);
    if (m.shared_intermediate_size > 0) {
      mlp_block(p + ".moe.shared", "moe.shared", tokens_, m.shared_intermediate_size / tp_, count);
    }
    if (m.shared_expert_gate) linear(p + ".moe.shared_gate", "moe.shared", tokens_, 1, h, count);
  }

  void head() {
    const int64_t h = s_.hidden_size;
    if (s_.final_norm) norm("final_norm", static_cast<double>(tokens_ * h), 1);
    if (tp_ > 1 && par_.sequence_parallel) {
      collective("final_norm.tp.all_gather", "comm.tp", CollectiveKind::kAllGather,
                 static_cast<double>(tokens_ * h) * width_bytes(act_), tp_, 1, Pass::kForward, Overlap::kExposed, 1);
    }
    if (s_.pooler) {
      linear("pooler", "pooler", w_.batch, h, h, 1, 1, 1, false);
      return;
    }
    if (!s_.causal) return;
    bool every_token = w_.phase == Phase::kForward || w_.phase == Phase::kTrainStep;
    int64_t rows = every_token ? tokens_ : w_.batch;
    // Vocab-parallel head (Megatron): each rank computes its vocab / tp logits; the loss
    // all-reduces the row max, the row sum and the target logit (fp32 per row).
    const int64_t vocab = (s_.vocab_size + tp_ - 1) / tp_;
    if (w_.phase == Phase::kTrainStep) tp_exchange("lm_head.tp", 1, Pass::kBackward);
    linear("lm_head", "lm_head", rows, vocab, h, 1, 1, 1, false);
    if (w_.phase == Phase::kTrainStep && tp_ > 1) {
      collective("loss.tp.all_reduce", "comm.tp", CollectiveKind::kAllReduce, static_cast<double>(rows) * 4 * 3, tp_, 1,
                 Pass::kForward, Overlap::kExposed, 1);
    } else if (tp_ > 1) {
      collective("lm_head.tp.all_gather", "comm.tp", CollectiveKind::kAllGather,
                 static_cast<double>(rows * s_.vocab_size) * width_bytes(act_), tp_, 1, Pass::kForward,
                 Overlap::kExposed, 1);
    }
    if (w_.phase == Phase::kTrainStep) {
      // Cross-entropy over fp32 logits: the 16-bit logits are upcast (read 2, write 4 bytes
      // per logit), log-softmax reads them twice (max and sum passes) and writes fp32, the
      // NLL gathers one per row (transformers' ForCausalLMLoss; ~5 FLOPs per logit).
      double logits = static_cast<double>(rows * vocab);
      Op up = make_elementwise(OpKind::kElementwise, "loss.upcast", "cast_fp32", logits, 0, 1, 0, act_);
      up.bytes_written = logits * 4;
      push(std::move(up), "loss");
      Op op = make_elementwise(OpKind::kSoftmax, "loss.log_softmax", "log_softmax", logits, 5, 2, 1, DType::kFP32);
      op.kernels = 2;  // log_softmax, nll_loss
      push(std::move(op), "loss");
    }
  }

  void backward_and_optimizer() {
    OpList forward = ops_;
    for (const Op& f : forward) {
      if (f.pass != Pass::kForward) continue;  // already a backward op (pipeline gradient send, head exchange)
      if (f.kind == OpKind::kCollective) {
        // A layer's exchanges repeat in the backward (the conjugate collective, same bytes);
        // ring attention passes K, V and dK, dV; full recomputation repeats the forward's.
        bool layer = f.name.rfind("layers", 0) == 0;
        if (!layer) continue;
        if (w_.recompute == Recompute::kFull) {
          Op r = f;
          r.name += ".recompute";
          r.pass = Pass::kBackward;
          r.recomputed = true;
          push(std::move(r), f.component);
        }
        Op b = f;
        b.name += ".backward";
        b.pass = Pass::kBackward;
        if (f.component == "comm.cp") b.collective.bytes *= 2;
        push(std::move(b), f.component);
        continue;
      }
      if (f.kind == OpKind::kEmbedding) {
        // Gradient scatter-add into the embedding table, which is zeroed first.
        Op b = f;
        b.name += ".backward";
        b.pass = Pass::kBackward;
        b.bytes_read *= 2;
        b.bytes_written += static_cast<double>(s_.vocab_size / tp_) * static_cast<double>(s_.hidden_size) * width_bytes(act_);
        b.kernels = 2;
        push(std::move(b), f.component);
        continue;
      }
      if (f.type == "cast_fp32" || f.type == "log_softmax") {
        // cast back: read fp32, write 16-bit; log-softmax backward: the NLL gradient is a
        // zeroed fp32 tensor with one entry per row, then read with the saved output.
        Op b = f;
        b.name += ".backward";
        b.pass = Pass::kBackward;
        double logits = f.type == "cast_fp32" ? f.bytes_read / width_bytes(act_) : f.bytes_written / 4;
        b.bytes_read = f.type == "cast_fp32" ? logits * 4 : logits * 8;
        b.bytes_written = f.type == "cast_fp32" ? logits * width_bytes(act_) : logits * 8;
        b.kernels = f.type == "cast_fp32" ? 1 : 3;
        push(std::move(b), f.component);
        continue;
      }
      if (w_.recompute == Recompute::kFull && f.name.rfind("layers", 0) == 0) {
        Op r = f;
        r.name += ".recompute";
        r.pass = Pass::kBackward;
        r.recomputed = true;
        push(std::move(r), f.component);
      }
      if (f.kind == OpKind::kGemm) {
        const GemmShape& g = f.gemm;
        Op dgrad = make_gemm(f.name + ".dgrad", g.m, g.k, g.n, f.dtype, g.batch, f.count);
        Op wgrad = make_gemm(f.name + ".wgrad", g.k, g.n, g.m, f.dtype, g.batch, f.count);
        // Keep the forward's exact FLOPs (MoE rows are rescaled there).
        double ratio = f.flops / (2.0 * static_cast<double>(g.m) * static_cast<double>(g.n) * static_cast<double>(g.k) *
                                 static_cast<double>(g.batch));
        dgrad.flops *= ratio;
        wgrad.flops *= ratio;
        for (Op* b : {&dgrad, &wgrad}) {
          b->pass = Pass::kBackward;
          b->kernels = f.kernels;
          push(std::move(*b), f.component);
        }
        if (f.kernels > 1) {
          // Separate projections of one input (q, k, v; gate, up): autograd sums their input
          // gradients, one add (read 2, write 1) per extra projection.
          double elems = static_cast<double>(g.m) * static_cast<double>(g.k) * static_cast<double>(g.batch);
          Op sum = make_elementwise(OpKind::kElementwise, f.name + ".grad_sum", "add", elems, 1, 2, 1, act_, f.count);
          sum.pass = Pass::kBackward;
          sum.flops *= static_cast<double>(f.kernels - 1);
          sum.bytes_read *= static_cast<double>(f.kernels - 1);
          sum.bytes_written *= static_cast<double>(f.kernels - 1);
          sum.kernels = f.kernels - 1;
          push(std::move(sum), f.component);
        }
      } else if (f.kind == OpKind::kAttention) {
        if (w_.recompute != Recompute::kNone && !w_.flash_attention) {
          Op r = f;
          r.name += ".recompute";
          r.pass = Pass::kBackward;
          r.recomputed = true;
          push(std::move(r), f.component);
        }
        Op b = make_attention(f.name + ".backward", f.attention, f.dtype, true, f.count);
        push(std::move(b), f.component);
      } else {
        Op b = f;
        b.name += ".backward";
        b.pass = Pass::kBackward;
        b.flops *= 2;
        b.bytes_read *= 2;  // input and incoming gradient
        if (f.kind == OpKind::kNorm && f.kernels == kHfRmsNormKernels) {
          double elems = f.bytes_read / kHfRmsNormBytesRead;  // 16-bit-equivalent elements
          b.bytes_read = elems * kHfRmsNormBackwardRead;
          b.bytes_written = elems * kHfRmsNormBackwardWritten;
          b.kernels = kHfRmsNormBackwardKernels;
        }
        push(std::move(b), f.component);
      }
    }
    data_parallel();
    if (w_.optimizer_step) {
      // AdamW: ~12 FLOPs per parameter (moments, bias correction, sqrt, divide, decay).
      // Mixed precision reads fp32 master, m, v and a bf16 grad and writes them back plus
      // the bf16 weights (28 bytes/param); pure bf16 reads and writes 2-byte states (14).
      // Each device updates the parameters it holds (its ZeRO shard from stage 1 on).
      double params = par_.single_device() ? static_cast<double>(count_params(s_).total) : device_params(s_, par_);
      if (par_.zero >= 1) params /= static_cast<double>(par_.dp * cp_);
      Op op;
      op.kind = OpKind::kOptimizer;
      op.name = "optimizer.adamw";
      op.type = "adamw";
      op.pass = Pass::kOptimizer;
      op.dtype = DType::kFP32;
      op.flops = 12 * params;
      op.bytes_read = params * (w_.mixed_precision ? 14 : 8);
      op.bytes_written = params * (w_.mixed_precision ? 14 : 6);
      op.kernels = 1;  // torch.optim.AdamW(fused=True) / foreach
      push(std::move(op), "optimizer");
    }
  }

  // Gradient reduction over the data-parallel (and context-parallel) ranks, and ZeRO's
  // weight gathers (Rajbhandari et al. 2020, sec. 5; PyTorch FSDP).
  void data_parallel() {
    const int64_t group = par_.dp * cp_;
    if (group <= 1) return;
    const double params = device_params(s_, par_);
    const int64_t stride = dp_stride(par_);
    const double weights = params * width_bytes(act_);
    if (par_.zero >= 3) {
      // Every micro-batch gathers the weights for its forward and again for its backward,
      // and reduce-scatters its gradients, each layer's prefetched behind the previous one.
      collective("zero3.all_gather_forward", "comm.dp", CollectiveKind::kAllGather, weights, group, stride,
                 Pass::kForward, Overlap::kMicroBatch, 1);
      collective("zero3.all_gather_backward", "comm.dp", CollectiveKind::kAllGather, weights, group, stride,
                 Pass::kBackward, Overlap::kMicroBatch, 1);
      collective("zero3.reduce_scatter_gradients", "comm.dp", CollectiveKind::kReduceScatter, weights, group, stride,
                 Pass::kBackward, Overlap::kMicroBatch, 1);
      return;
    }
    const double grads = params * width_bytes(w_.grad_reduce_dtype);
    if (par_.zero == 0) {
      collective("dp.all_reduce_gradients", "comm.dp", CollectiveKind::kAllReduce, grads, group, stride,
                 Pass::kBackward, Overlap::kLastBackward, 1);
    } else {
      // Distributed optimizer: reduce-scatter the gradients, update the shard, all-gather
      // the updated weights (Megatron --use-distributed-optimizer).
      collective("dp.reduce_scatter_gradients", "comm.dp", CollectiveKind::kReduceScatter, grads, group, stride,
                 Pass::kBackward, Overlap::kLastBackward, 1);
      collective("dp.all_gather_weights", "comm.dp", CollectiveKind::kAllGather, weights, group, stride,
                 Pass::kOptimizer, Overlap::kNextForward, 1);
    }
  }

  const TransformerSpec& s_;
  const Workload& w_;
  const Parallel& par_;
  int64_t tp_ = 1, cp_ = 1, heads_ = 1, kv_heads_ = 1;
  double rep_ = 1;
  int64_t tokens_ = 0, q_len_ = 0, kv_len_ = 0;
  DType act_ = DType::kBF16;
  OpList ops_;
};

}  // namespace

double expected_experts_touched(int64_t num_experts, int64_t experts_per_token, int64_t tokens) {
  if (num_experts <= 0) return 0;
  double e = static_cast<double>(num_experts);
  double p_miss = 1.0 - static_cast<double>(experts_per_token) / e;
  return e * (1.0 - std::pow(p_miss, static_cast<double>(tokens)));
}

OpList lower_transformer(const TransformerSpec& spec, const Workload& workload) {
  return Lowering(spec, workload).run();
}

}  // namespace flopscope
