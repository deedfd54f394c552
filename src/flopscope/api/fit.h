// `fit`: fits Hoffmann et al.'s approach 3, L(N, D) = E + A/N^alpha + B/D^beta, to a user's
// training runs (a CSV with columns N, D, loss; optional C) by Huber loss on log-loss with
// L-BFGS from Hoffmann's grid of initial points, with bootstrap confidence intervals, and
// writes the fitted law to a file that --law accepts.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "flopscope/api/api.h"

namespace flopscope::api {

struct FitOptions {
  std::string runs;           ///< the CSV of runs
  std::string out;            ///< write the fitted law (TOML) here
  std::string id = "fit";     ///< the law's id in the written file
  int bootstrap = 200;        ///< resamples for the confidence intervals (0: none)
  uint64_t seed = 20220329;   ///< bootstrap random seed
  bool quick = false;         ///< 32 initial points instead of Hoffmann's 4,500
  /// Progress lines ("bootstrap 12/200") for a person watching; the CLI sets it on a terminal.
  std::function<void(const std::string&)> progress;
};

/// The fit document or its text report.
Result<Output> fit(const FitOptions& options, const Render& render);

/// The JSON form: keys runs, out, id, bootstrap, seed, quick.
Result<FitOptions> fit_options(const Json& options);

}  // namespace flopscope::api
