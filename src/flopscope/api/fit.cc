#include "flopscope/api/fit.h"

#include <fmt/format.h>

#include "flopscope/api/options.h"
#include "flopscope/report/table.h"
#include "flopscope/scaling/fit.h"
#include "flopscope/util/csv_table.h"
#include "flopscope/util/file.h"
#include "flopscope/util/limits.h"
#include "flopscope/util/units.h"

namespace flopscope::api {

namespace {

// FLOP counts span 1e18..1e28: scientific notation reads better than SI prefixes there.
std::string sci(double v) { return fmt::format("{:.3g}", v); }

Json estimate_json(const Estimate& e) { return {{"value", e.value}, {"ci95_lo", e.lo}, {"ci95_hi", e.hi}}; }

}  // namespace

Result<Output> fit(const FitOptions& o, const Render& render) {
  if (o.bootstrap < 0) return bad_input("--bootstrap: expected a non-negative count");
  // The id names the law in the written file and in --law: check it before any work, so a
  // file is never written that `optimal --law` then rejects.
  if (o.id.empty() || o.id.size() > 64 ||
      o.id.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != std::string::npos) {
    return bad_input("--id: expected 1 to 64 letters, digits, '.', '_' or '-', got '" + o.id + "'");
  }
  auto text = read_file(o.runs, limits::kCsvBytes);
  if (!text) return text.error();
  auto table = CsvTable::parse(*text, o.runs);
  if (!table) return table.error();
  auto runs = read_runs_csv(*table);
  if (!runs) return runs.error();
  // Work is runs x (resamples + 1) refits: bounded so that a run ends in minutes, not days.
  const double refits = static_cast<double>(runs->size()) * (o.bootstrap + 1.0);
  if (refits > limits::kFitWork) {
    return bad_input(fmt::format(
        "--bootstrap: expected at most {:.0e} runs x (resamples + 1) (docs/limits.md), got {} runs x {} = {:.3g}",
        limits::kFitWork, runs->size(), o.bootstrap + 1, refits));
  }
  ::flopscope::FitOptions fo;
  fo.bootstrap_samples = o.bootstrap;
  fo.seed = o.seed;
  fo.full_grid = !o.quick;
  if (o.progress) {
    fo.progress = [&o](int done, int total) { o.progress(fmt::format("bootstrap {}/{}", done, total)); };
  }
  auto f = fit_chinchilla(*runs, fo);
  if (!f) return f.error();

  ScalingLaw law = fitted_law(*f, o.id, o.runs);
  if (!o.out.empty()) {
    std::string toml = "# Written by flopscope fit from " + o.runs + "; use with --law " + o.out + "\n" + law_to_toml(law);
    if (Status s = write_file_atomic(o.out, toml); !s) return s.error();
  }
  Output result;
  if (render.json) {
    result.json = {{"runs", f->runs},
                   {"initial_points", f->starts},
                   {"bootstrap_samples", f->bootstrap_samples},
                   {"huber_delta", fo.huber_delta},
                   {"objective", f->objective},
                   {"rmse_log_loss", f->rmse_log},
                   {"E", estimate_json(f->E)},
                   {"A", estimate_json(f->A)},
                   {"B", estimate_json(f->B)},
                   {"alpha", estimate_json(f->alpha)},
                   {"beta", estimate_json(f->beta)},
                   {"a", estimate_json(f->a)},
                   {"b", estimate_json(f->b)},
                   {"law_file", o.out.empty() ? Json(nullptr) : Json(o.out)}};
    return result;
  }
  std::string& s = result.text;
  s += fmt::format(
      "Fit of L(N, D) = E + A/N^alpha + B/D^beta to {} runs from {}\n"
      "(Huber loss, delta 1e-3, on log loss; L-BFGS from {} initial points; {} bootstrap resamples)\n\n",
      f->runs, o.runs, f->starts, f->bootstrap_samples);
  Table t({"", "", "", ""}, {false, true, false, false});
  auto row = [&](const char* name, const Estimate& e, const char* what) {
    t.add({name, fmt::format("{:.5g}", e.value), fmt::format("95% CI [{:.5g}, {:.5g}]", e.lo, e.hi), what});
  };
  row("E", f->E, "irreducible loss");
  row("A", f->A, "");
  row("B", f->B, "");
  row("alpha", f->alpha, "model-size exponent");
  row("beta", f->beta, "data exponent");
  row("a", f->a, "N_opt ∝ C^a, a = beta/(alpha+beta)");
  row("b", f->b, "D_opt ∝ C^b, b = alpha/(alpha+beta)");
  s += t.render_body(2);
  s += fmt::format("\n  RMSE of log loss: {:.4f}\n", f->rmse_log);
  for (double c : {1e21, 1e23, 1e25}) {
    Allocation a = compute_optimal(law, c);
    s += fmt::format("  at {}: N_opt {}, D_opt {} ({:.1f} tokens/param), loss {:.4f}\n", sci(c), format_si(a.params),
                     format_si(a.tokens), a.tokens_per_param(), *a.loss);
  }
  if (!o.out.empty()) s += fmt::format("\nWrote the law to {} (use: flopscope optimal --law {})\n", o.out, o.out);
  return result;
}

Result<FitOptions> fit_options(const Json& j) {
  FitOptions o;
  OptionsReader r(j, "fit");
  int64_t seed = static_cast<int64_t>(o.seed);
  r.read("runs", o.runs).read("out", o.out).read("id", o.id).read("bootstrap", o.bootstrap).read("seed", seed).read("quick", o.quick);
  if (auto st = r.done(); !st) return st.error();
  if (seed < 0) return bad_input(fmt::format("fit: seed: expected a non-negative integer, got {}", seed));
  o.seed = static_cast<uint64_t>(seed);
  return o;
}

}  // namespace flopscope::api
