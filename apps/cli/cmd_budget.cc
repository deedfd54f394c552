// `flopscope budget plan FILE`: a portfolio of jobs under a budget (api/budget.h,
// docs/budget.md): flags in, one library call, print. Exit 0 ok, 1 failure, 2 bad input.
#include <memory>

#include "command.h"
#include "flopscope/api/budget.h"
#include "progress_line.h"

namespace flopscope::cli {
namespace {

std::function<int()> setup_budget(CLI::App& sub) {
  auto exit_code = std::make_shared<int>(0);
  sub.require_subcommand(1);
  auto o = std::make_shared<api::BudgetPlanOptions>();
  auto json = std::make_shared<bool>(false);
  CLI::App* plan = sub.add_subcommand(
      "plan", "Choose an environment, device count and start month per job under a spending cap (GLPK)");
  plan->add_option("FILE", o->file, "Portfolio (TOML): [budget], [env.NAME] with gpus, [job.NAME]; docs/budget.md")
      ->required();
  plan->add_flag("--json", *json, "JSON output");
  set_examples(*plan, {"flopscope budget plan docs/examples/portfolio.toml",
                       "flopscope budget plan portfolio.toml --json | jq '.left_out, .next_dollar'"});
  plan->callback([o, json, exit_code] {
    api::BudgetPlanOptions opts = *o;
    ProgressLine line("budget");
    if (line.on()) opts.progress = [&line](const std::string& text) { line.show(text); };
    api::Render r = render_for(*json);
    auto out = api::budget_plan(opts, r);
    line.done();
    *exit_code = print_output(out, r);
  });
  set_examples(sub, {"flopscope budget plan docs/examples/portfolio.toml", "flopscope budget <subcommand> --help"});
  return [exit_code]() -> int { return *exit_code; };
}

FLOPSCOPE_COMMAND({"budget", "Plan a portfolio of training, serving and evaluation jobs under a budget", setup_budget, 72});

}  // namespace
}  // namespace flopscope::cli
