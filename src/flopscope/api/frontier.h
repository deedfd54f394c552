// `frontier`: the quality-versus-compute Pareto frontier of a set of models. Quality is a
// score column (accuracy, F1, a benchmark score) or F1 from confusion counts (tp, fp, fn);
// compute is a flops column, or is counted from a model column as 6 * N_active * D training
// FLOPs (N_active from the parameter counter, D from a tokens column or the catalog).
// Reports quality per FLOP, and for each dominated model the model that beats it and how
// many times more compute it used; --svg plots it.
#pragma once

#include <string>

#include "flopscope/api/api.h"

namespace flopscope::api {

struct FrontierOptions {
  std::string results;  ///< the CSV
  /// Or the CSV itself, as the server and the page pass it (JSON key `csv`): its model column
  /// names catalog models only, so nothing is read from disk. Exactly one of results and csv.
  std::string csv;
  std::string metric;   ///< quality column; empty: quality, score, accuracy, f1 or benchmark
  std::string svg;      ///< write the plot here
};

/// The frontier document or its text report.
Result<Output> frontier(const FrontierOptions& options, const Render& render);

/// The JSON form: keys results (or csv, the text), metric, svg.
Result<FrontierOptions> frontier_options(const Json& options);

}  // namespace flopscope::api
