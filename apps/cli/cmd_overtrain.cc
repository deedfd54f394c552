// `flopscope overtrain MODEL [--tokens D]`: how far a trained model sits past the compute-
// optimal point under each scaling law, and what it buys (api/overtrain.h).
#include "command.h"
#include "flopscope/api/overtrain.h"

namespace flopscope::cli {
namespace {

std::function<int()> setup(CLI::App& sub) {
  auto o = std::make_shared<api::OvertrainOptions>();
  auto json = std::make_shared<bool>(false);
  sub.add_option("model", o->model, "Catalog model, HF id, config.json or snapshot folder")->required();
  sub.add_option("--tokens", o->tokens, "Training tokens (default: the catalog's published figure)");
  sub.add_option("--law", o->law, "One law (hoffmann-1, hoffmann-2, hoffmann-3, besiroglu, kaplan) or a laws .toml file");
  sub.add_flag("--json", *json, "JSON output (SI units)");
  set_examples(sub, {"flopscope overtrain llama-3.1-8b", "flopscope overtrain mistral-7b --tokens 8e12 --law besiroglu",
                     "flopscope overtrain qwen2.5-7b --json"});
  return [o, json] {
    api::Render r = render_for(*json);
    return print_output(api::overtrain(*o, r), r);
  };
}

FLOPSCOPE_COMMAND({"overtrain", "How far a trained model is past compute-optimal, and what it saves at inference", setup, 61});

}  // namespace
}  // namespace flopscope::cli
