// Options shared by the model subcommands (count, memory, report, predict prefill/decode/
// train): the library's versions (api/common.h), named in this namespace for the commands not
// yet moved onto the api.
#pragma once

#include <string>

#include "flopscope/api/common.h"
#include "flopscope/api/options.h"
#include "flopscope/model/transformer_spec.h"
#include "flopscope/util/result.h"

namespace flopscope::cli {

/// Loads MODEL (catalog name, HF id, config.json, folder or .gguf).
Result<TransformerSpec> load_model_arg(const std::string& model);

using api::breakdown_json;
using api::check_positive;
using api::conventions_json;
using api::format_params;
using api::params_json;

}  // namespace flopscope::cli
