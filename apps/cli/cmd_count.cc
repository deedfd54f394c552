// flopscope count MODEL: exact parameters and FLOPs (forward, training step, prefill, decode).
#include "command.h"
#include "flopscope/api/count.h"

namespace flopscope::cli {
namespace {

std::function<int()> setup(CLI::App& sub) {
  auto a = std::make_shared<api::CountOptions>();
  auto json = std::make_shared<bool>(false);
  sub.add_option("MODEL", a->model, "Catalog name, HF id, config.json, snapshot folder, .gguf, .onnx or .safetensors")
      ->required();
  sub.add_option("--batch,-b", a->batch, "Sequences per batch")->capture_default_str();
  sub.add_option("--seq,-s", a->seq, "Tokens per sequence (decode is counted at this context)")->capture_default_str();
  sub.add_option("--dim", a->dims, "ONNX: bind a symbolic dimension, NAME=VALUE (repeatable)");
  sub.add_option("--hardware", a->hardware, "ONNX: rank nodes by predicted time on this hardware");
  sub.add_option("--tp", a->tp, "Tensor-parallel degree: add per-device parameters and FLOPs")->capture_default_str();
  sub.add_option("--pp", a->pp, "Pipeline stages (per device: the fullest stage)")->capture_default_str();
  sub.add_option("--ep", a->ep, "Expert-parallel degree (MoE)")->capture_default_str();
  sub.add_flag("--json", *json, "Machine-readable output (schema: docs/json-schema.md)");
  set_examples(sub, {"flopscope count llama-3.1-70b --tp 8 --pp 2","flopscope count llama-3.1-8b", "flopscope count meta-llama/Llama-3.1-70B --batch 8 --seq 4096 --json",
                     "flopscope count ./my-snapshot/config.json", "flopscope count model.onnx --dim batch=1 --dim seq=128"});
  return [a, json] {
    api::Render r = render_for(*json);
    return print_output(api::count(*a, r), r);
  };
}

FLOPSCOPE_COMMAND({"count", "Count parameters and FLOPs (forward, training step, prefill, decode)", setup, 10});

}  // namespace
}  // namespace flopscope::cli
