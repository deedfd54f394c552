// predict graph FILE.onnx: an ONNX graph at its bound shapes, every node timed by the engine
// (api/predict_graph.h computes and renders it).
#include <memory>

#include "command.h"
#include "flopscope/api/predict_graph.h"
#include "predict_common.h"
#include "predict_model.h"

namespace flopscope::cli {

void register_predict_graph_command(CLI::App& predict, int& exit_code) {
  auto o = std::make_shared<api::PredictGraphOptions>();
  auto common = std::make_shared<Common>();
  CLI::App* sub = predict.add_subcommand("graph", "Time an ONNX graph at its bound shapes, node by node");
  sub->add_option("FILE", o->file, "An .onnx file (weights may be absent)")->required();
  sub->add_option("--dim", o->dims, "Bind a symbolic dimension, NAME=VALUE (repeatable)");
  sub->add_option("--top", o->top, "Nodes to list")->capture_default_str();
  add_common(*sub, *common, "eager");
  set_examples(*sub, {"flopscope predict graph resnet50.onnx --hardware h100-sxm --dtype bf16",
                      "flopscope predict graph model.onnx --dim batch=32 --hardware l4 --dtype fp16 --json"});
  sub->callback([o, common, &exit_code] {
    o->hw = hardware_options(*common);
    api::Render r = render_for(common->json);
    exit_code = print_output(api::predict_graph(*o, r), r);
  });
}

}  // namespace flopscope::cli
