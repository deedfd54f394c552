// `mfu`: the model FLOPs utilization of a measured training throughput (PaLM, appendix B).
#pragma once

#include <cstdint>
#include <string>

#include "flopscope/api/api.h"
#include "flopscope/api/setup.h"

namespace flopscope::api {

struct MfuOptions {
  EngineOptions hw;
  std::string model;        ///< catalog name, HF id, config.json, snapshot folder, .gguf
  Json model_config;        ///< a config.json object instead of `model`
  double tokens_per_second = 0;  ///< measured, all GPUs
  int64_t gpus = 1;
  int64_t seq = 0;
  std::string recompute = "none";  ///< for HFU
};

/// The mfu document or its text report. An MFU above 100% is a bad-input error: the inputs
/// are inconsistent.
Result<Output> mfu(const MfuOptions& options, const Render& render);

/// The JSON form: keys model, tokens_per_second, gpus, seq, recompute and the hardware keys.
Result<MfuOptions> mfu_options(const Json& options);

}  // namespace flopscope::api
