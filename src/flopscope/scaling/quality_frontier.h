// The quality-versus-compute Pareto frontier of a set of models.
//
// A model is dominated when another reaches at least its quality with no more compute (and is
// strictly better in one of the two). For each dominated model we report the cheapest model
// that matches its quality and how many times more compute the dominated one used.
// Quality comes from a score column (accuracy, F1, a benchmark score) or from confusion
// counts: precision = tp / (tp + fp), recall = tp / (tp + fn), F1 = 2 P R / (P + R).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "flopscope/util/csv_table.h"
#include "flopscope/util/result.h"

namespace flopscope {

struct QualityPoint {
  std::string name;
  double quality = 0;
  double flops = 0;
  int line = 0;
  std::string compute_source;  ///< "flops column", "6 * N_active * D (catalog tokens)", ...
  std::optional<double> precision, recall;  ///< when quality is F1 from confusion counts
};

struct FrontierEntry {
  QualityPoint point;
  bool on_frontier = false;
  double quality_per_flop = 0;
  std::optional<std::string> dominated_by;  ///< cheapest model with at least this quality
  double compute_excess = 1;  ///< flops / flops of dominated_by (1 on the frontier)
};

/// Sorted by compute, then by quality (descending).
std::vector<FrontierEntry> pareto_frontier(std::vector<QualityPoint> points);

/// Training FLOPs of a model named in the MODEL column; `tokens` is the row's tokens column
/// when present. Supplied by the caller (the CLI resolves catalog models).
using ModelFlops = std::function<Result<std::pair<double, std::string>>(const std::string& model,
                                                                        std::optional<double> tokens, int line)>;

/// Reads models from CSV: name (or model), a quality column (`metric`, or the first of
/// quality, score, accuracy, f1, benchmark; or tp, fp, fn) and compute (flops, compute,
/// training_flops or C; else `model_flops` on the model column, with tokens when present).
Result<std::vector<QualityPoint>> read_quality_csv(const CsvTable& table, const std::string& metric,
                                                   const ModelFlops& model_flops);

}  // namespace flopscope
