// `flopscope rank MODEL ...`: every environment that can run a workload, ranked by time,
// cost or energy, with the Pareto front of time against cost (api/rank.h,
// docs/transitions.md).
#include "command.h"
#include "flopscope/api/rank.h"
#include "workload_flags.h"

namespace flopscope::cli {
namespace {

std::function<int()> setup(CLI::App& sub) {
  auto o = std::make_shared<api::RankOptions>();
  auto json = std::make_shared<bool>(false);
  add_workload_flags(sub, *o);
  sub.add_option("--envs", o->envs, "TOML file of named environments (default: every priced catalog accelerator)");
  sub.add_flag("--with-catalog", o->with_catalog, "With --envs: also rank every priced catalog accelerator");
  sub.add_option("--devices", o->devices,
                 "Devices per catalog candidate (default: the fewest of 1, 2, 4, 8 on which the job fits, tensor "
                 "parallel inside a node)");
  sub.add_option("--deadline", o->deadline, "Leave out what takes longer: 36h, 2d, 90m, 3600 (seconds)");
  sub.add_option("--budget-usd", o->budget_usd, "Leave out what costs more");
  sub.add_option("--objective", o->objective, "time, cost or energy")->capture_default_str();
  sub.add_option("--svg", o->svg, "Write the time-cost scatter with its Pareto front to this SVG file");
  sub.add_flag("--json", *json, "Print JSON (SI units; keys in docs/transitions.md)");
  set_examples(sub, {"flopscope rank llama-3.1-8b --mode train --tokens 1e10 --devices 8 --objective cost",
                     "flopscope rank llama-3.1-8b --mode infer --requests 100000 --batch 32 --prompt 1024 --output 256 "
                     "--envs docs/examples/envs.toml --with-catalog --svg rank.svg",
                     "flopscope rank llama-3.1-8b --mode train --tokens 2e11 --devices 8 --deadline 3d --budget-usd 20000 --json",
                     "flopscope rank llama-3.1-70b --mode infer --requests 10000 --batch 8 --prompt 1024 --output 256"});
  return [o, json] {
    api::Render r = render_for(*json);
    return print_output(api::rank(*o, r), r);
  };
}

FLOPSCOPE_COMMAND({"rank", "Rank environments for a workload by time, cost or energy, with the Pareto front", setup, 71});

}  // namespace
}  // namespace flopscope::cli
