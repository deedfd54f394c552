// `flopscope drift FILE --metric NAME`: changes in a metric over time, the retraining cadence
// they imply and a year of retraining priced by the training planner (api/drift.h,
// docs/drift.md). Flags in, one library call, print.
#include <memory>

#include "command.h"
#include "flopscope/api/drift.h"

namespace flopscope::cli {
namespace {

std::function<int()> setup(CLI::App& sub) {
  auto o = std::make_shared<api::DriftOptions>();
  auto json = std::make_shared<bool>(false);
  sub.add_option("file", o->file, "CSV with a header: the time first (ISO 8601 or numbers), then metric columns")
      ->required();
  sub.add_option("--metric", o->metric, "The metric column to watch")->required();
  sub.add_option("--detector", o->detector, "page-hinkley or adwin")->capture_default_str();
  sub.add_option("--direction", o->direction,
                 "drop (a quality metric falling), rise (a drift statistic growing) or both")
      ->capture_default_str();
  sub.add_option("--ph-delta", o->ph_delta, "Page-Hinkley: tolerated change, in warm-up standard deviations")
      ->capture_default_str();
  sub.add_option("--ph-lambda", o->ph_lambda, "Page-Hinkley: alarm threshold, in warm-up standard deviations")
      ->capture_default_str();
  sub.add_option("--ph-alpha", o->ph_alpha, "Page-Hinkley: forgetting factor in (0, 1]")->capture_default_str();
  sub.add_option("--ph-min-rows", o->ph_min_rows, "Page-Hinkley: warm-up rows of each segment")->capture_default_str();
  sub.add_option("--adwin-delta", o->adwin_delta, "ADWIN: confidence (bound on false alarms)")->capture_default_str();
  sub.add_option("--time-unit", o->time_unit, "Unit of numeric times: second, minute, hour, day or week");
  sub.add_option("--psi", o->psi, "CSV of binned distributions: time, bin, reference, current");
  sub.add_option("--psi-threshold", o->psi_threshold, "PSI above which a time is flagged")->capture_default_str();
  sub.add_option("--model", o->model, "Price retraining: catalog name, HF id, config.json, snapshot folder or .gguf");
  sub.add_option("--hardware", o->hardware.hardware, "Hardware catalog id of the training GPUs");
  sub.add_option("--dtype", o->hardware.dtype, "Compute dtype")->capture_default_str();
  sub.add_option("--profile", o->hardware.profile, "Calibration profile (flopscope probe)");
  sub.add_option("--software", o->hardware.software, "eager, graphs or compiled (default eager)");
  sub.add_option("--system", o->system, "System id (default: the hardware's reference node)");
  sub.add_option("--gpus", o->gpus, "GPUs of each retrain");
  sub.add_option("--global-batch", o->global_batch, "Sequences per optimizer step");
  sub.add_option("--seq", o->seq, "Tokens per sequence");
  sub.add_option("--retrain-tokens", o->retrain_tokens, "Tokens of a full retrain");
  sub.add_option("--finetune-tokens", o->finetune_tokens, "Tokens of a fine-tune (priced beside the full retrain)");
  sub.add_flag("--json", *json, "JSON output");
  set_examples(sub, {"flopscope drift quality.csv --metric accuracy --direction drop",
                     "flopscope drift quality.csv --metric accuracy --direction drop --detector adwin --json",
                     "flopscope drift stats.csv --metric ks_stat --direction rise --time-unit day --psi bins.csv",
                     "flopscope drift quality.csv --metric accuracy --direction drop --model llama-3.2-1b --hardware h100-sxm "
                     "--gpus 8 --global-batch 256 --seq 4096 --retrain-tokens 2e10 --finetune-tokens 1e9"});
  return [o, json] {
    api::Render r = render_for(*json);
    return print_output(api::drift(*o, r), r);
  };
}

FLOPSCOPE_COMMAND({"drift", "Drift in a metric over time; the retraining cadence and a year of retraining priced", setup, 72});

}  // namespace
}  // namespace flopscope::cli
