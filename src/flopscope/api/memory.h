// `memory`: bytes per device for training or inference of a model, or for inference of an
// ONNX graph at its bound shapes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "flopscope/api/api.h"

namespace flopscope::api {

struct MemoryOptions {
  std::string model;        ///< catalog name, HF id, config.json, snapshot folder, .gguf, .onnx
  Json model_config;        ///< a config.json object instead of `model`
  std::string mode;         ///< train or infer (required)
  std::string dtype = "bf16";  ///< infer: weight dtype
  std::string kv_dtype;     ///< infer: default bf16 (fp8 with dtype fp8)
  std::string recompute = "none";
  std::string precision = "mixed";
  int64_t batch = 1;
  int64_t seq = 2048;       ///< train: tokens per sequence; infer: context when `context` is 0
  int64_t context = 0;
  int64_t tp = 1;
  int64_t pp = 1;
  int64_t gpus = 0;         ///< train: devices in all (0: tp x pp)
  std::optional<int> zero;  ///< train: ZeRO stage (default 1 with gpus past tp x pp, else 0)
  std::string hardware = "h100-sxm";  ///< train with a layout: the device it must fit
  /// Whether pp, gpus or zero was given: training memory of the fullest device of the layout
  /// (predict_training).
  bool layout_given = false;
  int64_t group_size = 128;
  bool sp = false;
  bool no_flash = false;
  double overhead_gib = 1.0;
  std::optional<double> dropout;  ///< overrides the config's dropout probabilities
  std::vector<std::string> dims;  ///< ONNX: NAME=VALUE bindings
};

/// The memory document (docs/json-schema.md, "memory") or its text report.
Result<Output> memory(const MemoryOptions& options, const Render& render);

/// The JSON form: keys model, mode, dtype, kv_dtype, batch, seq, context, recompute,
/// precision, tp, sp, pp, gpus, zero, hardware, no_flash, dropout, group_size, overhead_gib,
/// dim.
Result<MemoryOptions> memory_options(const Json& options);

}  // namespace flopscope::api
