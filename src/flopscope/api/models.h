// `models`: the built-in model catalog.
#pragma once

#include "flopscope/api/api.h"

namespace flopscope::api {

struct ModelsOptions {};

/// {"models": [{name, hf_id, model_type, params, params_active, tokens_trained, release,
/// source}, ...]} or the table.
Result<Output> models(const ModelsOptions& options, const Render& render);

/// The JSON form: no keys.
Result<ModelsOptions> models_options(const Json& options);

}  // namespace flopscope::api
