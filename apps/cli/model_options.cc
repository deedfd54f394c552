#include "model_options.h"

#include "flopscope/model/load.h"

namespace flopscope::cli {

Result<TransformerSpec> load_model_arg(const std::string& model) { return load_model(model); }

}  // namespace flopscope::cli
