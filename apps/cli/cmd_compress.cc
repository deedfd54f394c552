// flopscope compress MODEL --hardware ID: compression schemes side by side (plan/compression.h).
#include "command.h"
#include "flopscope/api/compress.h"
#include "flopscope/plan/compression.h"

namespace flopscope::cli {
namespace {

std::function<int()> setup(CLI::App& sub) {
  auto o = std::make_shared<api::CompressOptions>();
  auto json = std::make_shared<bool>(false);
  std::string names;
  for (const auto& n : compression_scheme_names()) names += (names.empty() ? "" : ", ") + n;
  sub.add_option("MODEL", o->model, "Catalog name, HF id, config.json, snapshot folder or .gguf")->required();
  sub.add_option("--hardware", o->hardware, "Hardware id (flopscope hardware)")->required();
  sub.add_option("--schemes", o->schemes, "Comma-separated schemes (default: all that apply): " + names)
      ->delimiter(',');
  sub.add_option("--prompt", o->prompt, "Prompt tokens")->capture_default_str();
  sub.add_option("--output", o->output, "Output tokens")->capture_default_str();
  sub.add_option("--batch", o->batch, "Sequences served together")->capture_default_str();
  sub.add_option("--pue", o->pue, "Data-centre PUE, >= 1 (default: data/hardware/power.toml, Uptime Institute 2023 average)");
  sub.add_option("--prune-layers", o->prune_layers, "Depth pruning: drop this many layers (adds prune-layers)");
  sub.add_option("--prune-mlp", o->prune_mlp, "Width pruning: remove this fraction of the MLP width (adds prune-mlp)");
  sub.add_option("--distill-to", o->distill_to, "Distillation: the smaller model (adds distill)");
  sub.add_flag("--json", *json, "One JSON document");
  set_examples(sub, {"flopscope compress llama-3.1-8b --hardware h100-sxm --prompt 512 --output 256",
                     "flopscope compress llama-3.1-8b --hardware h100-sxm --schemes bf16,w8a8-fp8,w4a16-int4 --batch 32 --json",
                     "flopscope compress llama-3.1-70b --hardware h100-sxm --prune-layers 16 --distill-to llama-3.1-8b",
                     "flopscope compress model.Q4_K_M.gguf --hardware l4 --schemes bf16,as-is"});
  return [o, json] {
    api::Render r = render_for(*json);
    return print_output(api::compress(*o, r), r);
  };
}

FLOPSCOPE_COMMAND({"compress", "Quantization, sparsity, pruning and distillation side by side for serving", setup, 45});

}  // namespace
}  // namespace flopscope::cli
