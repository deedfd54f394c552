// Model files that are not transformer configs, for the commands not yet moved onto the api
// (memory, predict graph): the library's functions (api/graph.h).
#pragma once

#include "flopscope/api/graph.h"

namespace flopscope::cli {

using api::is_model_file;
using api::load_graph_cost;
using api::load_graph_ops;

}  // namespace flopscope::cli
