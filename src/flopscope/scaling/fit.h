// Fitting Hoffmann et al.'s approach 3 to a user's training runs (Hoffmann et al. 2022,
// Section 3.3 and D.2; as corrected by Besiroglu et al. 2024, Section 3):
//
//   min over (a, b, e, alpha, beta) of  sum_i Huber_delta( LSE(a - alpha log N_i,
//                                                              b - beta log D_i, e) - log L_i )
//
// with A = e^a, B = e^b, E = e^e, delta = 1e-3, L-BFGS (NLopt LD_LBFGS) from every point of
// Hoffmann's grid of initialisations (alpha, beta in {0, 0.5, ..., 2}, e in {-1, -0.5, ..., 1},
// a, b in {0, 5, ..., 25}), keeping the best. The Huber loss is summed over runs, not
// averaged: averaging is what made the original optimiser stop early (Besiroglu et al.).
// Confidence intervals come from refitting bootstrap resamples of the runs.
#pragma once

#include <cstdint>
#include <string_view>
#include <functional>
#include <vector>

#include "flopscope/scaling/scaling_law.h"
#include "flopscope/util/csv_table.h"
#include "flopscope/util/result.h"

namespace flopscope {

/// One training run: final loss of a model of `params` trained on `tokens`.
struct TrainingRunPoint {
  double params = 0;
  double tokens = 0;
  double loss = 0;
  int line = 0;  ///< line in the CSV it came from (0 when synthetic)
};

/// Reads runs from CSV with columns N (or params), D (or tokens), loss; C (or flops) is
/// optional and, when present, must agree with 6 N D within 10% or the row is reported.
Result<std::vector<TrainingRunPoint>> read_runs_csv(const CsvTable& table);

struct FitOptions {
  double huber_delta = 1e-3;
  int bootstrap_samples = 200;  ///< 0 = no intervals
  uint64_t seed = 20220329;     ///< bootstrap resampling; fixed so runs repeat
  bool full_grid = true;        ///< Hoffmann's 4,500 starting points (false: 32, for speed)
  /// Called after the grid search (done = 0) and after each bootstrap resample, with the
  /// number of resamples done and the total: for a progress display. May be empty.
  std::function<void(int done, int total)> progress;
};

/// A parameter with its bootstrap interval (2.5th and 97.5th percentiles).
struct Estimate {
  double value = 0;
  double lo = 0, hi = 0;  ///< equal to value when no bootstrap ran
};

struct FitResult {
  LossLaw loss;  ///< form kChinchilla
  Estimate E, A, B, alpha, beta;
  Estimate a, b;  ///< implied N_opt ∝ C^a, D_opt ∝ C^b: a = beta/(alpha+beta)
  double objective = 0;   ///< summed Huber loss at the optimum
  double rmse_log = 0;    ///< root mean squared log-loss residual
  int runs = 0;
  int starts = 0;         ///< initial points tried
  int bootstrap_samples = 0;
};

/// Fits approach 3. Needs at least 5 runs with at least 2 distinct N and 2 distinct D.
Result<FitResult> fit_chinchilla(const std::vector<TrainingRunPoint>& runs, const FitOptions& options = {});

/// The fitted law as a ScalingLaw (id "fit" unless given), ready for law_to_toml.
ScalingLaw fitted_law(const FitResult& fit, std::string id, std::string source);

}  // namespace flopscope
