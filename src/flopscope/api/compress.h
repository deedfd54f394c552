// `compress`: quantization, sparsity, pruning and distillation side by side for serving
// (plan/compression.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "flopscope/api/api.h"

namespace flopscope::api {

struct CompressOptions {
  std::string model;         ///< catalog name, HF id, config.json, snapshot folder or .gguf
  Json model_config;         ///< a config.json object instead of `model`
  std::string hardware;
  std::vector<std::string> schemes;  ///< empty: all that apply
  int64_t prompt = 512;
  int64_t output = 256;
  int64_t batch = 1;
  int64_t prune_layers = 0;  ///< depth pruning: drop this many layers
  double prune_mlp = 0;      ///< width pruning: this fraction of the MLP width
  double pue = 0;            ///< 0: the catalog's default
  std::string distill_to;    ///< the smaller model of distillation
};

/// The compression document (docs/json-schema.md, "compress") or its text report.
Result<Output> compress(const CompressOptions& options, const Render& render);

/// The JSON form: keys model, hardware, schemes, prompt, output, batch, pue, prune_layers,
/// prune_mlp, distill_to.
Result<CompressOptions> compress_options(const Json& options);

}  // namespace flopscope::api
