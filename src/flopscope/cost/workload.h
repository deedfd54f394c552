// A workload: what the model is asked to do (design.md: phase, batch, sequence, dtype,
// parallel layout). lower_transformer() turns a TransformerSpec and a Workload into the op list.
#pragma once

#include <cstdint>
#include <string>

#include "flopscope/cost/parallel.h"
#include "flopscope/util/dtype.h"
#include "flopscope/util/result.h"

namespace flopscope {

enum class Phase {
  kForward,    ///< one forward pass over batch x seq tokens (logits for every token)
  kPrefill,    ///< inference over a prompt: forward over batch x seq, logits for the last token
  kDecode,     ///< one generated token per sequence, attending to `context` cached tokens
  kTrainStep,  ///< forward + backward (+ optimizer) over batch x seq tokens
};

/// Activation recomputation (Korthikanti et al. 2022).
enum class Recompute { kNone, kSelective, kFull };

/// How the model's small layers are written, which sets their kernels and bytes:
///  kFused         serving engines (vLLM, SGLang, TensorRT-LLM): one kernel per RMSNorm, rotary
///                 and act(gate) * up; q/k/v and gate/up as one GEMM each
///  kPyTorch       a plain PyTorch decoder: q/k/v and gate/up as one GEMM each, rotary one
///                 kernel, but RMSNorm composite (F.rms_norm upcasts to fp32 in ~8 kernels)
///                 and act(gate) * up as two kernels
///  kTransformers  Hugging Face transformers modules run op by op: LlamaRMSNorm in 8 fp32
///                 kernels, rotate_half rotary in 5 kernels per tensor, q, k, v and gate, up
///                 as separate GEMMs, the loss upcasting the logits to fp32 (`Trainer` steps)
enum class Modules { kFused, kPyTorch, kTransformers };

/// How a decode step's attention kernel reads the KV cache of a grouped-query (GQA/MQA) model:
///  kGrouped  the query heads of one KV group share a CTA and each KV head is read once per
///            step (flash-decoding, FlashInfer, vLLM's and SGLang's kernels, TensorRT-LLM's XQA)
///  kPerHead  one CTA per (sequence, query head), each reading its group's KV head: the cache
///            is read heads / kv_heads times (TensorRT-LLM's masked multi-head attention kernel)
///  kTensorRtLlm09  TensorRT-LLM 0.9's own choice between the two: its XQA kernel (grouped)
///            only for 8 query heads per KV head (or 1), head size 128 or 256, and when
///            kv_heads per device x batch x 4 >= the device's SMs; the masked MHA kernel
///            (per-head) otherwise: Mistral-7B and Llama-3-8B (4 per KV head) always, a
///            70B at small batch (DecoderXQARunner::shouldUse and
///            DecoderXQAImplPrecompiled::mayHavePerfGain, TensorRT-LLM 0.10.0.dev2024043000)
/// Models without grouped heads read the same bytes either way.
enum class DecodeAttention { kGrouped, kPerHead, kTensorRtLlm09 };

struct Workload {
  Phase phase = Phase::kForward;
  int64_t batch = 1;
  int64_t seq = 2048;     ///< tokens per sequence (train, forward, prefill prompt)
  /// Tokens already in the KV cache: decode attends to them; a prefill continues after them
  /// (a chunk of a longer prompt: its queries also attend to the earlier chunks' keys).
  int64_t context = 0;
  DType dtype = DType::kBF16;     ///< compute / activation dtype
  DType weight_dtype = DType::kBF16;  ///< weight storage (int8/int4/fp8 for quantized serving)
  DType kv_dtype = DType::kBF16;
  /// Weight-only quantization: int8/fp8 weights are dequantized in the kernel and multiply in
  /// the compute dtype (W8A16) instead of running W8A8 kernels (int4 is always weight-only).
  bool weight_only = false;
  /// 2:4 structured sparsity of the linear layers' weights (attention and MLP projections;
  /// not attention itself, embeddings or the LM head): half the weights plus 2 bits of
  /// metadata per kept value, and the sparse tensor-core rate where the hardware has one
  /// (docs/compression.md).
  bool sparse_24 = false;
  Recompute recompute = Recompute::kNone;
  bool optimizer_step = true;     ///< train: include the AdamW update
  bool mixed_precision = true;    ///< train: fp32 master weights and Adam states (else all bf16)
  bool flash_attention = true;    ///< fused attention kernels (scores never reach memory)
  Modules modules = Modules::kPyTorch;  ///< how norms, rotary and the loss are written
  DecodeAttention decode_attention = DecodeAttention::kGrouped;  ///< decode only
  /// SMs of the device (kTensorRtLlm09's batch rule); predict() sets it from the hardware,
  /// 0 (unknown) takes XQA wherever its kernel fits.
  int64_t device_units = 0;
  /// The layout over devices; the op list is then ONE device's work for ONE micro-batch of
  /// `batch` sequences (cost/lower_transformer.h says which pipeline stage).
  Parallel parallel;
  /// Data-parallel gradient reduction dtype (Megatron reduces bf16 training's gradients in
  /// fp32; FSDP/ZeRO-3 in the weight dtype).
  DType grad_reduce_dtype = DType::kFP32;

  int64_t tokens() const { return phase == Phase::kDecode ? batch : batch * seq; }
};

const char* phase_name(Phase p);
Result<Recompute> parse_recompute(std::string_view text);
const char* recompute_name(Recompute r);
/// "fused", "pytorch" or "transformers" (`field` names the source in errors).
Result<Modules> parse_modules(std::string_view text, std::string_view field = "--modules");
const char* modules_name(Modules m);
/// "grouped", "per-head" or "trtllm-0.9" (`field` names the source in errors).
Result<DecodeAttention> parse_decode_attention(std::string_view text, std::string_view field = "--decode-attention");
const char* decode_attention_name(DecodeAttention d);
/// The modules of a phase when not given: training steps run transformers' modules (the
/// common fine-tuning path), inference plain PyTorch (the default software is eager).
Modules default_modules(Phase phase);

/// Checks sizes: positive batch and seq, non-negative context. Errors name the flag.
Status validate(const Workload& w);

}  // namespace flopscope
