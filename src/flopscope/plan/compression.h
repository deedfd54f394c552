// Compression effects on serving: one model, one device, several schemes side by side
// (docs/compression.md). Each scheme is a change to the workload (weight, compute and KV
// dtypes, 2:4 sparsity) or to the model (fewer layers, a narrower MLP, a smaller model
// distilled into); everything is then predicted by the same pipeline (perf/predict.h):
//
//   bytes_weights      memory.h weight_bytes (linear layers quantized, int4 plus an fp16 scale
//                      per group of 128; embeddings, LM head and norms 16-bit); 2:4 below
//   batch_max          the largest batch whose inference memory at context prompt + output
//                      (weights, KV cache, prefill working set, runtime allowance) fits
//   seconds_ttft       prefill of `batch` prompts (PyTorch eager, default_software)
//   seconds_tpot       one decode step at the mean context prompt + output / 2 (CUDA graphs)
//   seconds_request    ttft + output x tpot
//   tokens_per_second  batch x output / seconds_request (output tokens)
//   usd_per_million    price per device-hour x seconds_request / 3600 / (batch x output) x 1e6
//   joules_per_token   P(u) x seconds_request x PUE / (batch x output), one device (plan/energy.h):
//                      u = (busy prefill seconds + output x busy decode-step seconds) / seconds_request
//
// 2:4 sparsity (NVIDIA A100 whitepaper; cuSPARSELt): each group of four weights keeps two,
// each kept value with a 2-bit index, so a linear weight costs half its bytes plus 1/8 byte;
// the sparse GEMMs run at the hardware's sparse peak (flops_peak_sparse) and the scheme is
// "n/a" on hardware without one.
// Quality: data/quality/compression.toml, published measurements with their sources, matched
// by model name prefix and scheme; otherwise "not measured".
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "flopscope/hw/hardware.h"
#include "flopscope/hw/power.h"
#include "flopscope/model/transformer_spec.h"
#include "flopscope/util/dtype.h"
#include "flopscope/util/result.h"

namespace flopscope {

/// What a file stores as it is (a GGUF file's own quantization): reported as the scheme "as-is".
struct StoredWeights {
  std::string description;   ///< "GGUF Q4_K_M: Q4_K 72%, Q6_K 20%, F32 1%"
  double bytes_weights = 0;  ///< exact bytes of the tensors
  double bits_per_weight = 0;
};

struct CompressionRequest {
  TransformerSpec spec;
  std::string model;           ///< as the user named it ("llama-3.1-8b"); quality lookups use it
  const Hardware* hardware = nullptr;
  /// Scheme names (compression_scheme_names()); empty: every scheme that applies.
  std::vector<std::string> schemes;
  int64_t prompt = 512;
  int64_t output = 256;
  int64_t batch = 1;
  int64_t prune_layers = 0;    ///< "prune-layers": drop this many layers (depth pruning)
  double prune_mlp = 0;        ///< "prune-mlp": remove this fraction of the MLP width (0..1)
  std::optional<TransformerSpec> distill_to;  ///< "distill": a smaller catalog model
  std::string distill_name;
  std::optional<StoredWeights> stored;        ///< "as-is": the file's own quantization
  /// The quality data (TOML text); empty: the embedded data/quality/compression.toml.
  std::string quality_toml;
  double pue = 0;              ///< >= 1: given; 0: the default of data/hardware/power.toml
};

/// A published quality change for a model family under a scheme.
struct QualityNote {
  std::string change;   ///< "+0.13 WikiText-2 perplexity (5.47 -> 5.60)", "effectively lossless"
  std::string metric;
  std::string measured_on;  ///< the model it was measured on
  std::string source;
  std::string url;
};

struct SchemeResult {
  std::string name;         ///< "w4a16-int4"
  std::string description;  ///< "int4 weights (group 128), bf16 activations"
  bool applies = true;      ///< false: "n/a" on this hardware or model (see `reason`)
  std::string reason;
  std::string model_name;   ///< the model predicted (differs for distill)
  double bytes_weights = 0;
  double bytes_kv_cache = 0;  ///< batch x (prompt + output)
  int64_t batch_max = 0;      ///< 0: not even one sequence fits
  bool fits = true;           ///< batch <= batch_max
  double seconds_ttft = 0;
  double seconds_tpot = 0;
  double seconds_request = 0;
  double tokens_per_second = 0;
  double speedup_tpot = 0;          ///< baseline tpot / this tpot
  std::optional<double> usd_per_million_tokens;
  std::optional<double> joules_per_token;  ///< nullopt: no power figure ("not known")
  std::optional<double> kwh_per_million_tokens;
  double utilization = 0;   ///< busy fraction of the request (plan/energy.h)
  double watts = 0;         ///< mean draw of the device over the request, before PUE
  std::optional<QualityNote> quality;  ///< nullopt: "not measured"
};

struct CompressionResult {
  std::string model;
  std::string hardware;
  int64_t prompt = 0, output = 0, batch = 0;
  std::string price_note;   ///< "AWS p5.48xlarge on-demand $x/device-hour" or "no price"
  std::string power_note;   ///< "idle 142.5 W to board 700 W by utilization, PUE 1.58 (...)" or "not known"
  PowerModel power;
  Pue pue;
  std::vector<SchemeResult> schemes;
};

/// Every scheme name, in display order.
const std::vector<std::string>& compression_scheme_names();

/// Compares the schemes. Errors: an unknown scheme ("--schemes: unknown scheme 'fp9', did you
/// mean 'fp8'?"), bad sizes, a prune or distill scheme without its setting, a bad quality file.
Result<CompressionResult> compare_compression(const CompressionRequest& request);

/// The result document (`compress --json`).
nlohmann::json compression_json(const CompressionResult& result);

}  // namespace flopscope
