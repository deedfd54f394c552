// FLOP and memory figures checked against values derived by hand (docs/formulas.md).
#include <gtest/gtest.h>

#include <algorithm>

#include <set>

#include "flopscope/cost/attention.h"
#include "flopscope/cost/flops.h"
#include "flopscope/cost/lower_transformer.h"
#include "flopscope/cost/memory.h"
#include "flopscope/cost/params.h"
#include "flopscope/model/load.h"

namespace flopscope {
namespace {

// ASSERT_* needs a function returning void: the lambda stops at a failed Result instead of
// dereferencing it (issue 12); the test has recorded the failure when an empty spec returns.
TransformerSpec load(const char* name) {
  TransformerSpec out;
  [&] {
    auto s = load_model(name);
    ASSERT_TRUE(s.ok()) << name << ": " << s.error().message;
    out = std::move(*s);
  }();
  return out;
}

// A GPT of Korthikanti et al. 2022: MHA, 4h MLP, LayerNorm, learned positions.
TransformerSpec tiny_gpt() {
  TransformerSpec s;
  s.model_type = "gpt2";
  s.vocab_size = 1000;
  s.hidden_size = 64;
  s.num_layers = 2;
  s.num_heads = 4;
  s.num_kv_heads = 4;
  s.head_dim = 16;
  s.intermediate_size = 256;
  s.max_position_embeddings = 128;
  s.mlp = MlpKind::kPlain;
  s.norm = NormKind::kLayerNorm;
  s.learned_positions = true;
  s.tie_word_embeddings = true;
  s.layers.assign(2, LayerSpec{});
  return s;
}

TEST(Flops, Llama8BForwardMatchesHandDerivation) {
  TransformerSpec s = load("llama-3.1-8b");
  Workload w;
  w.phase = Phase::kForward;
  w.batch = 2;
  w.seq = 4096;
  FlopReport r = count_flops(s, w);
  const double T = 2.0 * 4096;
  // Per token: 2 x (non-embedding params) for the projections and MLP and LM head.
  EXPECT_DOUBLE_EQ(r.forward.qkv, 2 * T * 32 * (4096.0 * 4096 + 2 * 4096.0 * 1024));
  EXPECT_DOUBLE_EQ(r.forward.attention_out, 2 * T * 32 * 4096.0 * 4096);
  EXPECT_DOUBLE_EQ(r.forward.mlp, 2 * T * 32 * 3 * 4096.0 * 14336);
  EXPECT_DOUBLE_EQ(r.forward.lm_head, 2 * T * 4096.0 * 128256);
  // Attention: causal pairs per sequence s(s+1)/2, 32 heads of 128, two products.
  const double pairs = 4096.0 * 4097 / 2;
  EXPECT_DOUBLE_EQ(r.forward.attention_scores, 2 * 2 * pairs * 32 * 128 * 32);
  EXPECT_DOUBLE_EQ(r.forward.attention_dense, 2 * 2 * 4096.0 * 4096 * 32 * 256 * 32);
  EXPECT_GT(r.flops_forward_dense_attention, r.flops_forward);
}

TEST(Flops, TrainingModelFlopsAreThreeForwardsAndRecomputeAddsHardwareFlops) {
  TransformerSpec s = load("llama-3.1-8b");
  Workload w;
  w.phase = Phase::kTrainStep;
  w.batch = 1;
  w.seq = 2048;
  FlopReport none = count_flops(s, w);
  EXPECT_DOUBLE_EQ(none.model_flops, 3 * none.flops_forward);
  w.recompute = Recompute::kFull;
  FlopReport full = count_flops(s, w);
  EXPECT_DOUBLE_EQ(full.model_flops, none.model_flops);
  // Full recomputation re-runs every layer's forward: hardware FLOPs grow by ~ one forward
  // less the LM head (not recomputed).
  EXPECT_NEAR(full.hardware_flops - none.hardware_flops, none.flops_forward - none.forward.lm_head,
              1e-9 * none.flops_forward);
  // Close to 6 N D for long-enough context: 6 x 8.03e9 x 2048 = 9.87e13, plus attention.
  EXPECT_NEAR(none.model_flops / (6.0 * 8.03e9 * 2048), 1.0, 0.1);
}

TEST(Flops, DecodePerTokenIsTwoActiveParamsPlusAttentionOverContext) {
  TransformerSpec s = load("mistral-7b");
  Workload w;
  w.phase = Phase::kDecode;
  w.batch = 1;
  w.context = 1000;
  FlopReport r = count_flops(s, w);
  ParamCounts c = count_params(s);
  double linear = 2.0 * static_cast<double>(c.total - c.embedding - c.norms);  // norms are not matmuls
  double attn = 2 * 2.0 * 1001 * 32 * 128 * 32;  // 1001 visible keys (cache + itself)
  EXPECT_DOUBLE_EQ(r.flops_forward, linear + attn);
}

TEST(Flops, SlidingWindowCapsAttentionPairs) {
  TransformerSpec s = load("mistral-7b");  // window 4096
  Workload w;
  w.phase = Phase::kDecode;
  w.context = 20000;
  FlopReport r = count_flops(s, w);
  EXPECT_DOUBLE_EQ(r.forward.attention_scores, 2.0 * 4096 * 32 * 128 * 32);
}

TEST(Flops, MoeRunsTopKExperts) {
  TransformerSpec s = load("mixtral-8x7b");
  Workload w;
  w.phase = Phase::kForward;
  w.batch = 4;
  w.seq = 512;
  FlopReport r = count_flops(s, w);
  const double T = 4.0 * 512;
  EXPECT_NEAR(r.forward.moe_experts, 2 * T * 2 * 32 * 3 * 4096.0 * 14336, 1e-6 * r.forward.moe_experts);
  EXPECT_DOUBLE_EQ(r.forward.moe_router, 2 * T * 32 * 4096.0 * 8);
}

TEST(Flops, DeepSeekMlaDecodeUsesLatentCache) {
  TransformerSpec s = load("deepseek-v3");
  Workload w;
  w.phase = Phase::kDecode;
  w.batch = 1;
  w.context = 4095;
  OpList ops = lower_transformer(s, w);
  bool found = false;
  for (const Op& op : ops) {
    if (op.kind == OpKind::kAttention) {
      EXPECT_EQ(op.attention.kv_heads, 1);
      EXPECT_EQ(op.attention.head_dim_qk, 576);
      EXPECT_EQ(op.attention.head_dim_v, 512);
      found = true;
    }
  }
  EXPECT_TRUE(found);
}

TEST(Memory, KorthikantiGptFormulaWithoutRecompute) {
  TransformerSpec s = tiny_gpt();
  MemoryOptions o;
  o.flash_attention = false;
  o.dropout = true;
  const int64_t b = 3, seq = 32;
  double got = activation_bytes_per_layer(s, b, seq, false, o);
  double sbh = 32.0 * 3 * 64;
  EXPECT_DOUBLE_EQ(got, sbh * (34 + 5.0 * 4 * 32 / 64));
  o.recompute = Recompute::kSelective;
  EXPECT_DOUBLE_EQ(activation_bytes_per_layer(s, b, seq, false, o), sbh * 34);
  o.tensor_parallel = 4;
  o.sequence_parallel = true;
  EXPECT_DOUBLE_EQ(activation_bytes_per_layer(s, b, seq, false, o), sbh * 34 / 4);
  o.sequence_parallel = false;
  EXPECT_DOUBLE_EQ(activation_bytes_per_layer(s, b, seq, false, o), sbh * (10 + 24.0 / 4));
  o.recompute = Recompute::kFull;
  EXPECT_DOUBLE_EQ(activation_bytes_per_layer(s, b, seq, false, o), 2 * sbh);
}

TEST(Memory, KvCachePerTokenGqaMlaAndWindows) {
  // Llama-3.1-8B: 2 x 8 kv heads x 128 x 32 layers x 2 bytes = 128 KiB per token.
  EXPECT_DOUBLE_EQ(kv_cache_bytes_per_token(load("llama-3.1-8b"), DType::kBF16), 131072);
  // DeepSeek-V3 MLA: (512 + 64) x 61 layers x 2 bytes.
  EXPECT_DOUBLE_EQ(kv_cache_bytes_per_token(load("deepseek-v3"), DType::kBF16), 576.0 * 61 * 2);
  // Gemma-2-9B: 21 of 42 layers hold at most 4096 tokens.
  TransformerSpec g = load("gemma-2-9b");
  double per_layer = 2.0 * 8 * 256 * 2;
  EXPECT_DOUBLE_EQ(kv_cache_bytes(g, 1, 8192, DType::kBF16), per_layer * (21 * 8192.0 + 21 * 4096.0));
  // fp8 cache halves it.
  EXPECT_DOUBLE_EQ(kv_cache_bytes(g, 1, 8192, DType::kFP8) * 2, kv_cache_bytes(g, 1, 8192, DType::kBF16));
}

TEST(Memory, WeightsByDtypeQuantizeLinearLayersOnly) {
  TransformerSpec s = load("llama-3.1-8b");
  ParamCounts c = count_params(s);
  EXPECT_DOUBLE_EQ(weight_bytes(s, DType::kBF16), 2.0 * static_cast<double>(c.total));
  EXPECT_DOUBLE_EQ(weight_bytes(s, DType::kFP32), 4.0 * static_cast<double>(c.total));
  double linear = static_cast<double>(c.attention + c.mlp);
  double rest = static_cast<double>(c.total) - linear;
  EXPECT_DOUBLE_EQ(weight_bytes(s, DType::kINT4, 128), linear * (0.5 + 2.0 / 128) + rest * 2);
  EXPECT_DOUBLE_EQ(weight_bytes(s, DType::kINT8), linear + rest * 2);
}

TEST(Memory, MixedPrecisionAdamIsSixteenBytesPerParam) {
  TransformerSpec s = load("llama-3.1-8b");
  MemoryOptions o;
  MemoryReport r = training_memory(s, 1, 1024, o);
  double p = static_cast<double>(count_params(s).total);
  EXPECT_DOUBLE_EQ(r.bytes_weights + r.bytes_gradients + r.bytes_optimizer, 16 * p);
  o.mixed_precision = false;
  MemoryReport b = training_memory(s, 1, 1024, o);
  EXPECT_DOUBLE_EQ(b.bytes_weights + b.bytes_gradients + b.bytes_optimizer, 8 * p);
  // Gradients are set to None between steps: they never coexist with the full activations.
  EXPECT_DOUBLE_EQ(r.bytes_total - r.bytes_runtime_overhead, r.bytes_peak_allocated);
  EXPECT_DOUBLE_EQ(r.bytes_peak_allocated,
                   r.bytes_weights + r.bytes_optimizer +
                       std::max(r.bytes_activations + r.bytes_logits, r.bytes_gradients));
}

TEST(Memory, HugeWorkloadsStayFinite) {
  TransformerSpec s = load("llama-3.1-405b");
  Workload w;
  w.phase = Phase::kTrainStep;
  w.batch = 2048;
  w.seq = 8192;
  FlopReport r = count_flops(s, w);
  // 15.6T tokens x 6 x 405B ~ 3.8e25: one step of 16.7M tokens is ~ 4e19.
  EXPECT_GT(r.model_flops, 3e19);
  EXPECT_LT(r.model_flops, 6e19);
  MemoryReport m = inference_memory(s, 256, 131072, MemoryOptions{});
  EXPECT_DOUBLE_EQ(m.bytes_kv_cache, 2.0 * 8 * 128 * 126 * 2 * 256 * 131072);  // 16.2 TiB, no overflow
}

}  // namespace
}  // namespace flopscope

namespace flopscope {
namespace {

// Every family: forward FLOPs outside attention's two products are 2 FLOPs per token per
// active matmul weight (Kaplan et al. 2020, C_forward = 2N), the LM head included even when
// it is tied to the embedding. Biases and norm weights are not matmul weights; they are
// under 0.1% of any model here, hence the tolerance.
TEST(Flops, EveryFamilyIsTwoFlopsPerActiveWeightPerToken) {
  std::set<std::string> families;
  for (const auto& f : model_catalog()) {
    TransformerSpec s = load(f.name.c_str());
    ParamCounts c = count_params(s);
    Workload w;
    w.phase = Phase::kForward;
    w.batch = 1;
    w.seq = 128;
    FlopReport r = count_flops(s, w);
    double weights = static_cast<double>(c.attention + c.mlp - (c.total - c.active));
    double head = s.causal ? static_cast<double>(s.vocab_size * s.hidden_size) : 0;
    double pooler = s.pooler ? 2.0 * static_cast<double>(s.hidden_size * s.hidden_size) : 0;  // one row per sequence
    double expected = 2.0 * 128 * (weights + head) + pooler;
    double got = r.flops_forward - r.forward.attention_scores - r.forward.attention_values;
    EXPECT_NEAR(got / expected, 1.0, 1e-3) << f.name;
    families.insert(s.model_type);
  }
  EXPECT_EQ(families.size(), 16u);  // every supported model_type
}

}  // namespace
}  // namespace flopscope

namespace flopscope {
namespace {

TEST(WorkloadLimits, ContextBeyondTheLimitNamesContextNotSeq) {
  Workload w;
  w.phase = Phase::kDecode;
  w.batch = 1;
  w.context = 9223372036854775807;  // INT64_MAX: context + 1 would wrap in the lowering
  Status st = validate(w);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message, "--batch x --context: expected at most 1e12 cached tokens, got 9.22e+18");
  w.context = 4096;
  w.batch = 1000000000;  // 4e12 cached tokens: each size fine, the product not
  ASSERT_FALSE(validate(w).ok());
  w.batch = 1024;
  EXPECT_TRUE(validate(w).ok());
}

// The options a workload decides reach the memory model (predict and the parallel
// profile both take them from here); the others keep what the caller set.
TEST(MemoryOptions, ApplyWorkloadSetsWhatTheWorkloadDecides) {
  Workload w;
  w.recompute = Recompute::kFull;
  w.mixed_precision = false;
  w.flash_attention = false;
  w.modules = Modules::kTransformers;
  MemoryOptions mo;
  mo.tensor_parallel = 4;
  mo.kv_dtype = DType::kFP8;
  apply_workload(w, mo);
  EXPECT_EQ(mo.recompute, Recompute::kFull);
  EXPECT_FALSE(mo.mixed_precision);
  EXPECT_FALSE(mo.flash_attention);
  EXPECT_EQ(mo.modules, Modules::kTransformers);
  EXPECT_EQ(mo.tensor_parallel, 4);
  EXPECT_EQ(mo.kv_dtype, DType::kFP8);
}

}  // namespace
}  // namespace flopscope

namespace flopscope {
namespace {

// Llama-3.1-8B as a serving engine lowers it (fused modules).
Workload fused_workload(Phase phase, int64_t batch) {
  Workload w;
  w.phase = phase;
  w.batch = batch;
  w.modules = Modules::kFused;
  return w;
}

// The attention op of a decode step's first layer.
const Op& decode_core(const OpList& ops) {
  auto it = std::find_if(ops.begin(), ops.end(), [](const Op& op) { return op.kind == OpKind::kAttention; });
  EXPECT_NE(it, ops.end());
  return *it;
}

// Bytes the attention op reads with the given decode kernel.
double core_bytes(const TransformerSpec& s, Workload w, DecodeAttention kernel) {
  w.decode_attention = kernel;
  return decode_core(lower_transformer(s, w)).bytes_read;
}

TEST(DecodeAttention, PerHeadReadsTheCacheOncePerQueryHead) {
  // Llama-3.1-8B: 32 query heads over 8 KV heads of 128, so a per-head kernel reads the
  // cache four times; FLOPs do not change.
  TransformerSpec s = load("llama-3.1-8b");
  Workload w = fused_workload(Phase::kDecode, 4);
  w.context = 1000;
  for (DType kv : {DType::kBF16, DType::kFP8}) {
    w.kv_dtype = kv;
    w.decode_attention = DecodeAttention::kGrouped;
    Op grouped = decode_core(lower_transformer(s, w));
    w.decode_attention = DecodeAttention::kPerHead;
    Op per_head = decode_core(lower_transformer(s, w));
    // K and V of 1001 positions (cache + this token), 4 sequences.
    double cache_per_kv_head = 4.0 * 1001 * 2 * 128 * bytes_per_element(kv);
    EXPECT_DOUBLE_EQ(per_head.bytes_read - grouped.bytes_read, (32 - 8) * cache_per_kv_head) << dtype_name(kv);
    EXPECT_DOUBLE_EQ(per_head.flops, grouped.flops);
    EXPECT_DOUBLE_EQ(per_head.bytes_written, grouped.bytes_written);
  }
  // Prefill kernels are not decode kernels: the setting leaves them alone.
  w.phase = Phase::kPrefill;
  w.seq = 512;
  EXPECT_DOUBLE_EQ(core_bytes(s, w, DecodeAttention::kPerHead), core_bytes(s, w, DecodeAttention::kGrouped));
}

TEST(DecodeAttention, MultiHeadModelsReadTheSameEitherWay) {
  Workload w;
  w.phase = Phase::kDecode;
  w.batch = 2;
  w.context = 100;
  EXPECT_DOUBLE_EQ(core_bytes(tiny_gpt(), w, DecodeAttention::kPerHead),
                   core_bytes(tiny_gpt(), w, DecodeAttention::kGrouped));
}

// TensorRT-LLM 0.9 runs XQA (grouped reads) only for 8 query heads per KV head and when
// kv_heads x batch x 4 reaches the SMs; the masked MHA kernel (per-head reads) otherwise.
TEST(DecodeAttention, TensorRtLlm09ChoosesXqaByGroupAndBatch) {
  Workload w = fused_workload(Phase::kDecode, 1);
  w.context = 500;
  w.device_units = 132;  // H100 SXM
  // Llama-3.1-8B: 4 query heads per KV head, never XQA.
  const TransformerSpec llama8 = load("llama-3.1-8b");
  for (int64_t batch : {1, 64, 256}) {
    w.batch = batch;
    EXPECT_DOUBLE_EQ(core_bytes(llama8, w, DecodeAttention::kTensorRtLlm09),
                     core_bytes(llama8, w, DecodeAttention::kPerHead)) << batch;
  }
  // Llama-3.1-70B at TP8: 8 query heads over 1 KV head per device; XQA from batch 33
  // (1 x 33 x 4 = 132).
  const TransformerSpec llama70 = load("llama-3.1-70b");
  w.parallel.tp = 8;
  w.batch = 32;
  EXPECT_DOUBLE_EQ(core_bytes(llama70, w, DecodeAttention::kTensorRtLlm09),
                   core_bytes(llama70, w, DecodeAttention::kPerHead));
  w.batch = 33;
  EXPECT_DOUBLE_EQ(core_bytes(llama70, w, DecodeAttention::kTensorRtLlm09),
                   core_bytes(llama70, w, DecodeAttention::kGrouped));
  EXPECT_LT(core_bytes(llama70, w, DecodeAttention::kGrouped), core_bytes(llama70, w, DecodeAttention::kPerHead));
  // SMs unknown: XQA wherever its kernel fits.
  w.batch = 1;
  w.device_units = 0;
  EXPECT_DOUBLE_EQ(core_bytes(llama70, w, DecodeAttention::kTensorRtLlm09),
                   core_bytes(llama70, w, DecodeAttention::kGrouped));
}

TEST(DecodeAttention, ParsesItsNamesAndRefusesOthers) {
  EXPECT_EQ(*parse_decode_attention("grouped"), DecodeAttention::kGrouped);
  EXPECT_EQ(*parse_decode_attention("per-head"), DecodeAttention::kPerHead);
  auto bad = parse_decode_attention("xqa\n", "decode_attention");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("decode_attention: expected grouped, per-head or trtllm-0.9"), std::string::npos);
  EXPECT_EQ(*parse_decode_attention("trtllm-0.9"), DecodeAttention::kTensorRtLlm09);
  EXPECT_STREQ(decode_attention_name(DecodeAttention::kTensorRtLlm09), "trtllm-0.9");
  EXPECT_EQ(bad.error().message.find('\n'), std::string::npos);
  EXPECT_STREQ(decode_attention_name(DecodeAttention::kPerHead), "per-head");
}

}  // namespace
}  // namespace flopscope

namespace flopscope {
namespace {

// fp8 is a GEMM input format: --dtype fp8 multiplies the linear layers in fp8 and keeps
// attention, norms, residuals, the LM head and the tensor-parallel all-reduce in bf16, the
// same op list as bf16 activations with fp8 weights (W8A8, what `compress` calls w8a8-fp8).
// A prefill chunk after `context` cached tokens: its queries attend to them as well, so the
// attention reads context + seq keys and its causal pairs are the bottom rows of the
// (context + seq)^2 triangle.
TEST(PrefillChunk, AttendsToTheCachedTokens) {
  const TransformerSpec s = load("llama-3.1-8b");
  Workload w = fused_workload(Phase::kPrefill, 1);
  w.seq = 1000;
  w.context = 3000;
  const Op a = decode_core(lower_transformer(s, w));  // a copy: the list is a temporary
  EXPECT_EQ(a.attention.q_len, 1000);
  EXPECT_EQ(a.attention.kv_len, 4000);
  // Pairs: sum over the 1000 query rows of (3000 + i + 1) keys, against 1000 x 1001 / 2
  // for the chunk alone; the attention FLOPs scale with them.
  EXPECT_DOUBLE_EQ(attention_pairs(1000, 4000, true, 0), 1000.0 * 3000 + 1000.0 * 1001 / 2);
  const double with_context = a.flops;
  w.context = 0;
  const double alone = decode_core(lower_transformer(s, w)).flops;
  EXPECT_NEAR(with_context / alone, attention_pairs(1000, 4000, true, 0) / attention_pairs(1000, 1000, true, 0), 1e-9);
  w.context = -1;
  EXPECT_FALSE(validate(w).ok());
}

TEST(Fp8Lowering, OnlyTheLinearLayersMultiplyInFp8) {
  TransformerSpec s = load("llama-3.1-8b");
  Workload w = fused_workload(Phase::kPrefill, 2);
  w.seq = 256;
  w.parallel.tp = 2;
  w.dtype = DType::kFP8;
  w.weight_dtype = DType::kFP8;
  OpList fp8 = lower_transformer(s, w);
  int gemms_fp8 = 0, quantize = 0;
  for (const Op& op : fp8) {
    if (op.kind == OpKind::kGemm && op.dtype == DType::kFP8) ++gemms_fp8;
    if (op.name.find("quantize_input") != std::string::npos) ++quantize;
    if (op.kind == OpKind::kAttention || op.kind == OpKind::kNorm || op.kind == OpKind::kElementwise) {
      EXPECT_EQ(op.dtype, DType::kBF16) << op.name;
    }
    if (op.name == "lm_head") {
      EXPECT_EQ(op.dtype, DType::kBF16);
    }
    if (op.kind == OpKind::kCollective && op.name.find("all_reduce") != std::string::npos) {
      // the layers' exchanges: [tokens, hidden] in bf16
      EXPECT_DOUBLE_EQ(op.collective.bytes, 2.0 * 256 * 4096 * 2) << op.name;
    }
  }
  EXPECT_EQ(gemms_fp8, 4);  // qkv, o, gate_up, down (one op each, counted per layer)
  EXPECT_EQ(quantize, 4);
  w.dtype = DType::kBF16;
  OpList w8a8 = lower_transformer(s, w);
  ASSERT_EQ(w8a8.size(), fp8.size());
  for (size_t i = 0; i < fp8.size(); ++i) {
    EXPECT_EQ(w8a8[i].name, fp8[i].name);
    EXPECT_EQ(w8a8[i].dtype, fp8[i].dtype) << fp8[i].name;
    EXPECT_DOUBLE_EQ(w8a8[i].bytes_read, fp8[i].bytes_read) << fp8[i].name;
  }
}

}  // namespace
}  // namespace flopscope
