// flopscope memory MODEL --mode train|infer: bytes per device for training or inference
// (api/memory.h computes and renders it).
#include "command.h"
#include "flopscope/api/memory.h"

namespace flopscope::cli {
namespace {

std::function<int()> setup(CLI::App& sub) {
  auto a = std::make_shared<api::MemoryOptions>();
  auto json = std::make_shared<bool>(false);
  auto zero = std::make_shared<int>(0);
  sub.add_option("MODEL", a->model, "Catalog name, HF id, config.json, snapshot folder, .gguf or .onnx")->required();
  sub.add_option("--mode", a->mode, "train or infer")->required();
  sub.add_option("--dtype", a->dtype, "infer: weight dtype (fp32, bf16, fp16, fp8, int8, int4)")->capture_default_str();
  sub.add_option("--kv-dtype", a->kv_dtype, "infer: KV-cache dtype (default bf16; fp8 with --dtype fp8)");
  sub.add_option("--batch,-b", a->batch, "Sequences")->capture_default_str();
  sub.add_option("--seq,-s", a->seq, "train: tokens per sequence; infer: context when --context is absent")->capture_default_str();
  sub.add_option("--context,-c", a->context, "infer: tokens in the KV cache per sequence");
  sub.add_option("--recompute", a->recompute, "train: none, selective or full")->capture_default_str();
  sub.add_option("--precision", a->precision, "train: mixed (fp32 master + Adam) or bf16")->capture_default_str();
  sub.add_option("--tp", a->tp, "Tensor-parallel degree")->capture_default_str();
  sub.add_flag("--sp", a->sp, "Sequence parallelism (with --tp)");
  sub.add_option("--pp", a->pp, "Pipeline stages: per-stage memory (weights of ceil(layers / pp) layers; train: the "
                                "first stage's activations of min(m, pp) micro-batches)")
      ->capture_default_str();
  sub.add_option("--gpus", a->gpus, "train: devices in all; optimizer states (and more with --zero) shard over "
                                    "dp = gpus / (tp x pp)");
  sub.add_option("--zero", *zero, "train: ZeRO stage 0-3 over the data-parallel ranks (default 1 with --gpus)");
  sub.add_option("--hardware", a->hardware, "train with --pp, --gpus or --zero: the device whose memory it must fit")
      ->capture_default_str();
  sub.add_flag("--no-flash", a->no_flash, "Unfused attention: keep the score matrices");
  sub.add_option("--dropout", a->dropout,
      "train: dropout probability in [0, 1) (default: the config's); > 0 keeps 1-byte masks");
  sub.add_option("--group-size", a->group_size, "int4: weights per fp16 scale")->capture_default_str();
  sub.add_option("--overhead-gib", a->overhead_gib, "Runtime allowance (CUDA context, workspace), GiB")->capture_default_str();
  sub.add_option("--dim", a->dims, "ONNX: bind a symbolic dimension, NAME=VALUE (repeatable)");
  sub.add_flag("--json", *json, "Machine-readable output");
  set_examples(sub, {"flopscope memory resnet50.onnx --mode infer",
                     "flopscope memory llama-3.1-8b --mode infer --dtype int4 --batch 8 --context 8192",
                     "flopscope memory llama-3.1-70b --mode train --batch 1 --seq 8192 --recompute full --tp 8 --sp",
                     "flopscope memory llama-3.1-70b --mode train --seq 8192 --tp 8 --sp --pp 4 --gpus 64 --zero 1",
                     "flopscope memory llama-3.1-405b --mode infer --context 8192 --tp 8 --pp 2",
                     "flopscope memory mixtral-8x7b --mode infer --dtype fp8 --json"});
  return [a, json, zero, &sub] {
    a->layout_given = sub.count("--pp") + sub.count("--gpus") + sub.count("--zero") > 0;
    if (sub.count("--zero") > 0) a->zero = *zero; else a->zero.reset();
    api::Render r = render_for(*json);
    return print_output(api::memory(*a, r), r);
  };
}

FLOPSCOPE_COMMAND({"memory", "Memory per device for training or inference", setup, 11});

}  // namespace
}  // namespace flopscope::cli
