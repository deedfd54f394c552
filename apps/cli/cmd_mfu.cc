// flopscope mfu MODEL --tokens-per-second X --hardware ID --gpus N --seq S: the model FLOPs
// utilization of a measured training throughput (api/mfu.h computes and renders it).
#include "command.h"
#include "flopscope/api/mfu.h"
#include "predict_common.h"

namespace flopscope::cli {
namespace {

std::function<int()> setup(CLI::App& sub) {
  auto o = std::make_shared<api::MfuOptions>();
  auto common = std::make_shared<Common>();
  sub.add_option("MODEL", o->model, "Catalog name, HF id, config.json, snapshot folder or .gguf")->required();
  sub.add_option("--tokens-per-second", o->tokens_per_second, "Measured training throughput, all GPUs")->required();
  sub.add_option("--gpus", o->gpus, "GPUs producing that throughput")->capture_default_str();
  sub.add_option("--seq,-s", o->seq, "Sequence length")->required();
  sub.add_option("--recompute", o->recompute, "For HFU: none, selective or full")->capture_default_str();
  add_common(sub, *common);
  set_examples(sub, {"flopscope mfu llama-3.1-8b --tokens-per-second 3.2e5 --hardware h100-sxm --gpus 64 --seq 8192",
                     "flopscope mfu llama-3.1-70b --tokens-per-second 2.5e5 --hardware h100 --gpus 512 --seq 4096 --json"});
  return [o, common] {
    o->hw = hardware_options(*common);
    api::Render r = render_for(common->json);
    return print_output(api::mfu(*o, r), r);
  };
}

FLOPSCOPE_COMMAND({"mfu", "Model FLOPs utilization of a measured training throughput", setup, 32});

}  // namespace
}  // namespace flopscope::cli
