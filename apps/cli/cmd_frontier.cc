// `flopscope frontier results.csv`: the quality-versus-compute Pareto frontier of a set of
// models (api/frontier.h): flags in, one library call, print.
#include "command.h"
#include "flopscope/api/frontier.h"

namespace flopscope::cli {
namespace {

std::function<int()> setup(CLI::App& sub) {
  auto o = std::make_shared<api::FrontierOptions>();
  auto json = std::make_shared<bool>(false);
  sub.add_option("results", o->results, "CSV: name or model, a quality column (or tp, fp, fn), flops (or model [+ tokens])")
      ->required();
  sub.add_option("--metric", o->metric, "Quality column to use (default: quality, score, accuracy, f1 or benchmark)");
  sub.add_option("--svg", o->svg, "Write the quality-vs-compute plot with the frontier");
  sub.add_flag("--json", *json, "JSON output");
  set_examples(sub, {"flopscope frontier results.csv", "flopscope frontier results.csv --metric mmlu --svg frontier.svg",
                     "flopscope frontier classifier_counts.csv --json"});
  return [o, json] {
    api::Render r = render_for(*json);
    return print_output(api::frontier(*o, r), r);
  };
}

FLOPSCOPE_COMMAND({"frontier", "Quality-versus-compute Pareto frontier of a set of models", setup, 63});

}  // namespace
}  // namespace flopscope::cli
