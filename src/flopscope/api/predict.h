// `predict`: time on hardware. gemm and attention time one op with the timing engine;
// prefill, decode and train time a model (perf/predict.h), train also on many devices
// (perf/parallel.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "flopscope/api/api.h"
#include "flopscope/api/setup.h"
#include "flopscope/perf/parallel.h"

namespace flopscope::api {

/// predict gemm: one (batched) GEMM.
struct GemmOptions {
  EngineOptions hw;
  int64_t m = 0, n = 0, k = 0, batch = 1;
};
Result<Output> predict_gemm(const GemmOptions& options, const Render& render);
/// The JSON form: keys m, n, k, batch, hardware, dtype, profile, software.
Result<GemmOptions> predict_gemm_options(const Json& options);

/// predict attention: one flash-attention call, forward or forward + backward.
struct AttentionOptions {
  EngineOptions hw;
  int64_t batch = 1, heads = 0, kv_heads = 0, seq = 0, kv_len = 0, head_dim = 0;
  bool causal = false, backward = false, accumulate_grad = false;
};
Result<Output> predict_attention(const AttentionOptions& options, const Render& render);
/// The JSON form: keys batch, heads, kv_heads, seq, kv_len, head_dim, causal, backward,
/// accumulate_grad and the hardware keys.
Result<AttentionOptions> predict_attention_options(const Json& options);

/// predict prefill | decode | train: a model on hardware.
struct PredictModelOptions {
  EngineOptions hw;
  std::string model;        ///< catalog name, HF id, config.json, snapshot folder, .gguf
  Json model_config;        ///< a config.json object instead of `model`
  std::optional<int64_t> batch;  ///< prefill prompts / decode sequences / train micro batch;
                                 ///< unset: 1 (train on many devices: the fastest that fits)
  int64_t seq = 0;          ///< prefill: prompt tokens; train: tokens per sequence
  int64_t context = 0;      ///< tokens in the KV cache (decode: attended; prefill: the prompt continues them)
  std::string weights;      ///< weight dtype (default: the compute dtype)
  std::string kv_dtype;     ///< default bf16 (fp8 with dtype fp8)
  std::string recompute = "none";
  std::string precision = "mixed";
  std::string optimizer = "adamw";
  bool no_flash = false;
  std::string modules;      ///< empty: default_modules(phase)
  std::string decode_attention = "grouped";  ///< decode: grouped, per-head or trtllm-0.9 (cost/workload.h)
  int64_t top = 10;         ///< ops to list
  /// Layout. Prefill and decode take tp, pp, system (inference across devices); train takes
  /// all (the many-device path).
  int64_t gpus = 0;  ///< 0: not given
  int64_t tp = 1, pp = 1, ep = 1, cp = 1, virtual_stages = 1;
  bool sp = false;
  int zero = 1;
  int64_t global_batch = 0;
  std::string system;
  /// Whether a layout option was given: train takes the many-device path, prefill and decode
  /// run across devices (tp x pp on the system's network).
  bool layout_given = false;
  std::optional<double> dropout;  ///< overrides the config's dropout probabilities (train memory)
};
Result<Output> predict_prefill(const PredictModelOptions& options, const Render& render);
Result<Output> predict_decode(const PredictModelOptions& options, const Render& render);
Result<Output> predict_train(const PredictModelOptions& options, const Render& render);
/// The JSON forms. prefill: model, batch, prompt, context, tp, pp, system; decode: model, batch,
/// context, tp, pp, system; train: model, micro_batch, seq, recompute, precision, optimizer,
/// dropout, gpus, global_batch, system, tp, sp, pp, virtual_stages, ep, cp, zero. All: the
/// hardware keys, weights, kv_dtype, no_flash, modules, decode_attention, top.
Result<PredictModelOptions> predict_prefill_options(const Json& options);
Result<PredictModelOptions> predict_decode_options(const Json& options);
Result<PredictModelOptions> predict_train_options(const Json& options);

/// The document of a many-device training prediction (predict train --gpus, plan train).
Json parallel_train_json(const ParallelPrediction& p, const std::string& model, const Hardware& hardware,
                         const System& system);
/// The text report of the same.
std::string parallel_train_text(const ParallelPrediction& p, const std::string& model, const Hardware& hardware,
                                const System& system, const Render& render);

}  // namespace flopscope::api
