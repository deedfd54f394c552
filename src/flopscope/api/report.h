// `report`: the one-screen summary of a model (size, FLOPs per token, memory for training and
// inference, which accelerators hold it at each precision, how many it takes to train).
#pragma once

#include <cstdint>
#include <string>

#include "flopscope/api/api.h"

namespace flopscope::api {

struct ReportOptions {
  std::string model = "llama-3.1-8b";  ///< catalog name, HF id, config.json, snapshot folder, .gguf
  Json model_config;                   ///< a config.json object instead of `model`
  int64_t context = 4096;              ///< inference context length
  int64_t seq = 4096;                  ///< training sequence length
};

/// The report document or its text report.
Result<Output> report(const ReportOptions& options, const Render& render);

/// The JSON form: keys model, seq, context.
Result<ReportOptions> report_options(const Json& options);

}  // namespace flopscope::api
