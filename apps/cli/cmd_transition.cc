// `flopscope transition MODEL --from ENV --to ENV`: what moving a workload to another
// environment gains or loses, with the factors behind it (api/transition.h,
// docs/transitions.md).
#include "command.h"
#include "flopscope/api/transition.h"
#include "workload_flags.h"

namespace flopscope::cli {
namespace {

std::function<int()> setup(CLI::App& sub) {
  auto o = std::make_shared<api::TransitionOptions>();
  auto json = std::make_shared<bool>(false);
  add_workload_flags(sub, *o);
  sub.add_option("--envs", o->envs, "TOML file of named environments ([env.NAME] tables, docs/transitions.md)");
  sub.add_option("--from", o->from, "Environment now: a name in --envs or a catalog hardware id")->required();
  sub.add_option("--to", o->to, "Environment to move to")->required();
  sub.add_option("--weight-time", o->weights.time, "Exponent of the speedup in the score")->capture_default_str();
  sub.add_option("--weight-cost", o->weights.cost, "Exponent of the cost efficiency in the score")->capture_default_str();
  sub.add_option("--egress-gb", o->migration.gb_egress, "One-time data egress (GB) for the break-even");
  sub.add_option("--usd-per-gb", o->migration.usd_per_gb_egress, "Egress price")->capture_default_str();
  sub.add_option("--engineer-hours", o->migration.engineer_hours, "One-time engineering hours");
  sub.add_option("--usd-per-engineer-hour", o->migration.usd_per_engineer_hour, "Cost of an engineer-hour")
      ->capture_default_str();
  sub.add_flag("--json", *json, "Print JSON (SI units; keys in docs/transitions.md)");
  set_examples(sub, {"flopscope transition llama-3.1-8b --mode train --tokens 1e9 --from a100-sxm-80gb --to h100-sxm",
                     "flopscope transition llama-3.1-8b --mode infer --requests 100000 --batch 32 --prompt 1024 --output 256 "
                     "--envs docs/examples/envs.toml --from a100-serving --to h100-fp8",
                     "flopscope transition llama-3.1-8b --mode train --tokens 2e11 --envs docs/examples/envs.toml "
                     "--from aws-h100x8 --to lambda-h100x8 --egress-gb 2000 --engineer-hours 40 --json"});
  return [o, json] {
    api::Render r = render_for(*json);
    return print_output(api::transition(*o, r), r);
  };
}

FLOPSCOPE_COMMAND({"transition", "What moving a workload to another GPU, cloud, precision or stack gains or loses", setup, 70});

}  // namespace
}  // namespace flopscope::cli
