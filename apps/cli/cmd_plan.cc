// `flopscope plan train`: the fastest (or cheapest) training layout on N devices
// (api/plan.h): flags in, one library call, print.
#include <memory>

#include "command.h"
#include "flopscope/api/plan.h"
#include "layout_flags.h"
#include "predict_common.h"
#include "progress_line.h"

namespace flopscope::cli {
namespace {

std::function<int()> setup_plan(CLI::App& sub) {
  auto exit_code = std::make_shared<int>(0);
  sub.require_subcommand(1);
  auto o = std::make_shared<api::PlanTrainOptions>();
  auto common = std::make_shared<Common>();
  auto layout = std::make_shared<LayoutFlags>();
  CLI::App* train = sub.add_subcommand(
      "train", "Search every training layout (tp, sp, pp, v, cp, ep, ZeRO, recompute, micro batch) on N devices");
  train->add_option("MODEL", o->model, "Catalog name, HF id, config.json, snapshot folder or .gguf")->required();
  add_common(*train, *common, "eager");
  add_layout_flags(*train, *layout, false);
  train->add_option("--seq,-s", o->seq, "Tokens per sequence")->required();
  train->add_option("--top", o->top, "Layouts to show")->capture_default_str();
  train->add_option("--objective", o->objective, "Rank by throughput or by cost per token (cloud list price)")
      ->capture_default_str();
  train->add_option("--recompute", o->recompute, "Recomputation modes to search (default: none selective full)")
      ->delimiter(',');
  train->add_option("--precision", o->precision, "mixed (fp32 master weights and Adam) or bf16")->capture_default_str();
  train->add_option("--dropout", o->dropout, "Dropout probability (default: the config's) for activation memory");
  set_examples(*train, {"flopscope plan train llama-3.1-70b --hardware h100-sxm --gpus 64 --global-batch 512 --seq 4096",
                        "flopscope plan train llama-3.1-8b --hardware a100-sxm-80gb --gpus 16 --global-batch 256 --seq 4096 "
                        "--objective cost --top 10",
                        "flopscope plan train mixtral-8x7b --hardware h100-sxm --gpus 64 --global-batch 256 --seq 4096 "
                        "--recompute selective,full --json"});
  train->callback([o, common, layout, exit_code] {
    api::PlanTrainOptions opts = *o;
    opts.hardware = hardware_options(*common);
    opts.gpus = layout->gpus;
    opts.global_batch = layout->global_batch;
    opts.system = layout->system;
    ProgressLine line("plan");
    if (line.on()) opts.progress = [&line](const std::string& text) { line.show(text); };
    api::Render r = render_for(common->json);
    auto out = api::plan_train(opts, r);
    line.done();
    *exit_code = print_output(out, r);
    // No layout fits: the document says why (best is null), and the exit status is 1.
    if (*exit_code == 0 && r.json && out->json["best"].is_null()) *exit_code = 1;
  });
  return [exit_code]() -> int { return *exit_code; };
}

FLOPSCOPE_COMMAND({"plan", "Plan a training run: the fastest or cheapest layout on N devices", setup_plan, 35});

}  // namespace
}  // namespace flopscope::cli
