// flopscope models: the built-in model catalog.
#include "command.h"
#include "flopscope/api/models.h"

namespace flopscope::cli {
namespace {

std::function<int()> setup(CLI::App& sub) {
  auto json = std::make_shared<bool>(false);
  sub.add_flag("--json", *json, "Machine-readable output");
  set_examples(sub, {"flopscope models", "flopscope models --json"});
  return [json] {
    api::Render r = render_for(*json);
    return print_output(api::models(api::ModelsOptions{}, r), r);
  };
}

FLOPSCOPE_COMMAND({"models", "List the built-in model catalog", setup, 40});

}  // namespace
}  // namespace flopscope::cli
