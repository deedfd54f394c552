// `flopscope fit runs.csv`: fits Hoffmann et al.'s approach 3, L(N, D) = E + A/N^alpha + B/D^beta,
// to a user's training runs (columns N, D, loss; optional C) by Huber loss on log-loss with
// L-BFGS from Hoffmann's grid of initial points, with bootstrap confidence intervals, and
// writes the fitted law to a file that --law accepts.
#include <fmt/format.h>

#include <iostream>
#include <nlohmann/json.hpp>
#include <string>

#include "command.h"
#include "flopscope/scaling/fit.h"
#include "flopscope/util/csv_table.h"
#include "flopscope/util/file.h"
#include "flopscope/util/limits.h"
#include "flopscope/util/units.h"

namespace flopscope::cli {
namespace {

// FLOP counts span 1e18..1e28: scientific notation reads better than SI prefixes there.
std::string sci(double v) { return fmt::format("{:.3g}", v); }

struct Options {
  std::string csv, out, id = "fit";
  int bootstrap = 200;
  uint64_t seed = 20220329;
  bool quick = false, json = false;
};

nlohmann::json estimate_json(const Estimate& e) { return {{"value", e.value}, {"ci95_lo", e.lo}, {"ci95_hi", e.hi}}; }

int run(const Options& o) {
  if (o.bootstrap < 0) return report_error(bad_input("--bootstrap: expected a non-negative count"));
  // The id names the law in the written file and in --law: check it before any work, so a
  // file is never written that `optimal --law` then rejects.
  if (o.id.empty() || o.id.size() > 64 || o.id.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != std::string::npos) {
    return report_error(bad_input("--id: expected 1 to 64 letters, digits, '.', '_' or '-', got '" + o.id + "'"));
  }
  auto text = read_file(o.csv, limits::kCsvBytes);
  if (!text) return report_error(text.error());
  auto table = CsvTable::parse(*text, o.csv);
  if (!table) return report_error(table.error());
  auto runs = read_runs_csv(*table);
  if (!runs) return report_error(runs.error());
  // Work is runs x (resamples + 1) refits: bounded so that a run ends in minutes, not days.
  const double refits = static_cast<double>(runs->size()) * (o.bootstrap + 1.0);
  if (refits > limits::kFitWork) {
    return report_error(bad_input(fmt::format(
        "--bootstrap: expected at most {:.0e} runs x (resamples + 1) (docs/limits.md), got {} runs x {} = {:.3g}",
        limits::kFitWork, runs->size(), o.bootstrap + 1, refits)));
  }
  FitOptions fo;
  fo.bootstrap_samples = o.bootstrap;
  fo.seed = o.seed;
  fo.full_grid = !o.quick;
  if (stderr_is_tty()) {
    // Progress on a terminal only: the grid search and the resamples take seconds.
    fo.progress = [](int done, int total) {
      std::cerr << "\rfit: bootstrap " << done << "/" << total << std::flush;
    };
  }
  auto fit = fit_chinchilla(*runs, fo);
  if (fo.progress) std::cerr << "\r\x1b[K" << std::flush;
  if (!fit) return report_error(fit.error());

  ScalingLaw law = fitted_law(*fit, o.id, o.csv);
  if (!o.out.empty()) {
    std::string toml = "# Written by flopscope fit from " + o.csv + "; use with --law " + o.out + "\n" + law_to_toml(law);
    Status s = write_file_atomic(o.out, toml);
    if (!s) return report_error(s.error());
  }
  if (o.json) {
    print_json({{"runs", fit->runs},
                {"initial_points", fit->starts},
                {"bootstrap_samples", fit->bootstrap_samples},
                {"huber_delta", fo.huber_delta},
                {"objective", fit->objective},
                {"rmse_log_loss", fit->rmse_log},
                {"E", estimate_json(fit->E)},
                {"A", estimate_json(fit->A)},
                {"B", estimate_json(fit->B)},
                {"alpha", estimate_json(fit->alpha)},
                {"beta", estimate_json(fit->beta)},
                {"a", estimate_json(fit->a)},
                {"b", estimate_json(fit->b)},
                {"law_file", o.out.empty() ? nlohmann::json(nullptr) : nlohmann::json(o.out)}});
    return 0;
  }
  std::cout << fmt::format(
      "Fit of L(N, D) = E + A/N^alpha + B/D^beta to {} runs from {}\n"
      "(Huber loss, delta 1e-3, on log loss; L-BFGS from {} initial points; {} bootstrap resamples)\n\n",
      fit->runs, o.csv, fit->starts, fit->bootstrap_samples);
  auto row = [&](const char* name, const Estimate& e, const char* what) {
    std::cout << fmt::format("  {:<6} {:>12.5g}   95% CI [{:.5g}, {:.5g}]   {}\n", name, e.value, e.lo, e.hi, what);
  };
  row("E", fit->E, "irreducible loss");
  row("A", fit->A, "");
  row("B", fit->B, "");
  row("alpha", fit->alpha, "model-size exponent");
  row("beta", fit->beta, "data exponent");
  row("a", fit->a, "N_opt ∝ C^a, a = beta/(alpha+beta)");
  row("b", fit->b, "D_opt ∝ C^b, b = alpha/(alpha+beta)");
  std::cout << fmt::format("\n  RMSE of log loss: {:.4f}\n", fit->rmse_log);
  for (double c : {1e21, 1e23, 1e25}) {
    Allocation a = compute_optimal(law, c);
    std::cout << fmt::format("  at {}: N_opt {}, D_opt {} ({:.1f} tokens/param), loss {:.4f}\n", sci(c),
                             format_si(a.params), format_si(a.tokens), a.tokens_per_param(), *a.loss);
  }
  if (!o.out.empty()) std::cout << fmt::format("\nWrote the law to {} (use: flopscope optimal --law {})\n", o.out, o.out);
  return 0;
}

std::function<int()> setup(CLI::App& sub) {
  auto o = std::make_shared<Options>();
  sub.add_option("runs", o->csv, "CSV with columns N, D, loss (optional C = 6ND)")->required();
  sub.add_option("--out,-o", o->out, "Write the fitted law (TOML) to this file");
  sub.add_option("--id", o->id, "Law id in the written file (default: fit)");
  sub.add_option("--bootstrap", o->bootstrap, "Bootstrap resamples for the confidence intervals (default 200; 0 = none)");
  sub.add_option("--seed", o->seed, "Bootstrap random seed");
  sub.add_flag("--quick", o->quick, "32 initial points instead of Hoffmann's 4,500");
  sub.add_flag("--json", o->json, "JSON output");
  set_examples(sub, {"flopscope fit runs.csv", "flopscope fit runs.csv --out mylaw.toml && flopscope optimal --flops 1e22 --law mylaw.toml",
                     "flopscope fit runs.csv --bootstrap 1000 --json"});
  return [o] { return run(*o); };
}

FLOPSCOPE_COMMAND({"fit", "Fit a scaling law L(N, D) to your training runs (Hoffmann approach 3)", setup, 62});

}  // namespace
}  // namespace flopscope::cli
