// flopscope report [MODEL]: the one-screen summary (size, FLOPs per token, memory for
// training and inference, which accelerators hold it at each precision, how many it takes
// to train). api/report.h computes and renders it.
#include "command.h"
#include "flopscope/api/report.h"

namespace flopscope::cli {
namespace {

std::function<int()> setup(CLI::App& sub) {
  auto a = std::make_shared<api::ReportOptions>();
  auto json = std::make_shared<bool>(false);
  sub.add_option("MODEL", a->model, "Catalog name, HF id, config.json, snapshot folder or .gguf")->capture_default_str();
  sub.add_option("--seq,-s", a->seq, "Training sequence length")->capture_default_str();
  sub.add_option("--context,-c", a->context, "Inference context length")->capture_default_str();
  sub.add_flag("--json", *json, "Machine-readable output");
  set_examples(sub, {"flopscope report", "flopscope report deepseek-v3", "flopscope report ./config.json --context 32768 --json"});
  return [a, json] {
    api::Render r = render_for(*json);
    return print_output(api::report(*a, r), r);
  };
}

FLOPSCOPE_COMMAND({"report", "One-screen summary: size, FLOPs, memory, which accelerators hold it", setup, 5});

}  // namespace
}  // namespace flopscope::cli
