// `flopscope fit runs.csv`: fits a Chinchilla scaling law L(N, D) to a user's training runs
// and writes it to a file that --law accepts (api/fit.h).
#include "command.h"
#include "flopscope/api/fit.h"
#include "progress_line.h"

namespace flopscope::cli {
namespace {

std::function<int()> setup(CLI::App& sub) {
  auto o = std::make_shared<api::FitOptions>();
  auto json = std::make_shared<bool>(false);
  sub.add_option("runs", o->runs, "CSV with columns N, D, loss (optional C = 6ND)")->required();
  sub.add_option("--out,-o", o->out, "Write the fitted law (TOML) to this file");
  sub.add_option("--id", o->id, "Law id in the written file (default: fit)");
  sub.add_option("--bootstrap", o->bootstrap, "Bootstrap resamples for the confidence intervals (default 200; 0 = none)");
  sub.add_option("--seed", o->seed, "Bootstrap random seed");
  sub.add_flag("--quick", o->quick, "32 initial points instead of Hoffmann's 4,500");
  sub.add_flag("--json", *json, "JSON output");
  set_examples(sub, {"flopscope fit runs.csv", "flopscope fit runs.csv --out mylaw.toml && flopscope optimal --flops 1e22 --law mylaw.toml",
                     "flopscope fit runs.csv --bootstrap 1000 --json"});
  return [o, json] {
    api::Render r = render_for(*json);
    // Progress on a terminal only: the grid search and the resamples take seconds.
    ProgressLine line("fit");
    api::FitOptions opts = *o;
    if (line.on()) opts.progress = [&line](const std::string& text) { line.show(text); };
    auto out = api::fit(opts, r);
    line.done();
    return print_output(out, r);
  };
}

FLOPSCOPE_COMMAND({"fit", "Fit a scaling law L(N, D) to your training runs (Hoffmann approach 3)", setup, 62});

}  // namespace
}  // namespace flopscope::cli
