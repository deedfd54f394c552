// `flopscope optimal`: the compute-optimal model size and token count for a budget given in
// FLOPs, GPU-hours or dollars (api/optimal.h): flags in, one library call, print.
#include "command.h"
#include "flopscope/api/optimal.h"

namespace flopscope::cli {
namespace {

std::function<int()> setup(CLI::App& sub) {
  auto o = std::make_shared<api::OptimalOptions>();
  auto json = std::make_shared<bool>(false);
  sub.add_option("--flops", o->flops, "Training budget in FLOPs (C = 6 N D)");
  sub.add_option("--gpu-hours", o->gpu_hours, "Budget in device-hours of --hardware");
  sub.add_option("--budget-usd", o->budget_usd, "Budget in US dollars on --hardware");
  sub.add_option("--hardware", o->hardware, "Accelerator id (flopscope hardware) for time and cost");
  sub.add_option("--mfu", o->mfu, "Model FLOPs utilisation in (0, 1]; default: predicted on --gpus devices (see output)");
  sub.add_option("--price", o->price, "US dollars per device-hour (default: cheapest on-demand in the catalog)");
  sub.add_option("--gpus,--devices", o->gpus,
                 "Devices of --hardware: the MFU is predicted for a many-device layout on them, and the wall-clock "
                 "time (default: the smallest power-of-two cluster that holds the model and trains in 90 days)");
  sub.add_option("--law", o->law, "hoffmann-1, hoffmann-2, hoffmann-3, besiroglu, kaplan, or a laws .toml file (default: all)");
  sub.add_option("--inference-tokens", o->inference_tokens,
                 "Lifetime inference tokens: also show the inference-aware optimum (Sardana et al. 2024)");
  sub.add_option("--inference-mfu", o->inference_mfu,
                 "MFU of inference, to minimise cost instead of FLOPs (inference FLOPs weighted by MFU_train / MFU_inference)");
  sub.add_option("--svg", o->svg, "Write iso-FLOP curves (loss vs N at several budgets) with the optimal frontier");
  sub.add_option("--model", o->model, "Also: train this architecture on the budget, its FLOPs counted exactly through the pipeline");
  sub.add_option("--seq", o->seq, "With --model: training sequence length")->capture_default_str();
  sub.add_flag("--json", *json, "JSON output (SI units)");
  set_examples(sub, {"flopscope optimal --flops 5.76e23",
                     "flopscope optimal --gpu-hours 1e6 --hardware h100-sxm --law besiroglu",
                     "flopscope optimal --budget-usd 2e6 --hardware h100-sxm --mfu 0.45 --json",
                     "flopscope optimal --gpu-hours 1e6 --hardware h100-sxm --gpus 1024",
                     "flopscope optimal --flops 1e23 --inference-tokens 2e12 --law hoffmann-3",
                     "flopscope optimal --flops 1e22 --law besiroglu --svg isoflop.svg"});
  return [o, json] {
    api::Render r = render_for(*json);
    return print_output(api::optimal(*o, r), r);
  };
}

FLOPSCOPE_COMMAND({"optimal", "Compute-optimal model size and tokens for a budget (Chinchilla, Kaplan, ...)", setup, 60});

}  // namespace
}  // namespace flopscope::cli
