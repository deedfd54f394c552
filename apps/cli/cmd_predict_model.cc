// predict prefill | decode | train: a model on hardware. The library computes and renders
// (api/predict.h: perf/predict.h on one device or tp x pp, perf/parallel.h for many-device
// training); this file only reads the flags.
#include <memory>
#include <optional>

#include "command.h"
#include "flopscope/api/predict.h"
#include "layout_flags.h"
#include "predict_common.h"
#include "predict_model.h"

namespace flopscope::cli {
namespace {

struct ModelOptions {
  api::PredictModelOptions api;
  Common common;
  int64_t batch = 1;
  LayoutFlags layout;
};

using PredictFn = Result<api::Output> (*)(const api::PredictModelOptions&, const api::Render&);

// Fills the library's options from the flags and prints what it returns.
int run(ModelOptions& o, PredictFn predict_fn) {
  api::PredictModelOptions& a = o.api;
  a.hw = hardware_options(o.common);
  a.gpus = o.layout.gpus;
  a.tp = o.layout.tp;
  a.pp = o.layout.pp;
  a.ep = o.layout.ep;
  a.cp = o.layout.cp;
  a.virtual_stages = o.layout.virtual_stages;
  a.sp = o.layout.sp;
  a.zero = o.layout.zero;
  a.global_batch = o.layout.global_batch;
  a.system = o.layout.system;
  api::Render r = render_for(o.common.json);
  return print_output(predict_fn(a, r), r);
}

// --tp, --pp, --system of prefill and decode (inference across devices).
void add_inference_layout(CLI::App& sub, ModelOptions& o) {
  sub.add_option("--tp", o.layout.tp, "Tensor-parallel degree (heads and MLP columns over T devices)")
      ->capture_default_str();
  sub.add_option("--pp", o.layout.pp, "Pipeline stages (layers over P devices; seconds = one request's latency)")
      ->capture_default_str();
  sub.add_option("--system", o.layout.system,
                 "Node type and network from the system catalog (default: the reference node of --hardware)");
}

std::function<void()> bind_inference(std::shared_ptr<ModelOptions> o, CLI::App* sub, PredictFn fn, int& exit_code) {
  return [o, sub, fn, &exit_code] {
    o->api.layout_given = sub->count("--tp") + sub->count("--pp") + sub->count("--system") > 0;
    o->api.batch = o->batch;
    exit_code = run(*o, fn);
  };
}

void add_model(CLI::App& sub, ModelOptions& o, const char* software_default) {
  sub.add_option("MODEL", o.api.model, "Catalog name, HF id, config.json, snapshot folder or .gguf")->required();
  add_common(sub, o.common, software_default);
  sub.add_option("--weights", o.api.weights, "Weight dtype if it differs (int4, int8, fp8: quantized serving)");
  sub.add_option("--kv-dtype", o.api.kv_dtype, "KV-cache dtype (default bf16; fp8 with --dtype fp8)");
  sub.add_flag("--no-flash", o.api.no_flash, "Unfused attention (scores written to memory)");
  sub.add_option("--modules", o.api.modules,
                 "How norms, rotary and the loss are written: fused (serving engines: one kernel each), pytorch "
                 "(plain PyTorch: one-kernel F.rms_norm, fused projections) or transformers (Hugging Face modules "
                 "op by op). Default: transformers for train, pytorch otherwise");
  sub.add_option("--top", o.api.top, "Ops to list")->capture_default_str();
}

}  // namespace

void register_predict_model_commands(CLI::App& predict, int& exit_code) {
  auto pre = std::make_shared<ModelOptions>();
  CLI::App* prefill = predict.add_subcommand("prefill", "Time to process a prompt (PyTorch eager by default)");
  add_model(*prefill, *pre, "eager");
  prefill->add_option("--batch,-b", pre->batch, "Prompts")->capture_default_str();
  prefill->add_option("--prompt,-p", pre->api.seq, "Prompt tokens")->required();
  prefill->add_option("--context,-c", pre->api.context,
                      "Tokens already in the KV cache that the prompt continues (a chunk of a longer prompt, "
                      "a conversation's next turn): the prompt attends to them too (leave out for none)");
  set_examples(*prefill, {"flopscope predict prefill llama-3.1-8b --batch 1 --prompt 2048 --hardware h100-sxm",
                          "flopscope predict prefill llama-3.1-70b --prompt 8192 --hardware h200 --dtype fp8 --json",
                          "flopscope predict prefill llama-3.1-70b --prompt 4096 --hardware h100-sxm --tp 4",
                          "flopscope predict prefill llama-3.1-8b --prompt 8192 --context 12000 --hardware h100-sxm"});
  add_inference_layout(*prefill, *pre);
  prefill->callback(bind_inference(pre, prefill, api::predict_prefill, exit_code));

  auto dec = std::make_shared<ModelOptions>();
  CLI::App* decode = predict.add_subcommand("decode", "Time per generated token (CUDA graphs by default)");
  add_model(*decode, *dec, "graphs");
  decode->add_option("--batch,-b", dec->batch, "Sequences decoding together")->capture_default_str();
  decode->add_option("--context,-c", dec->api.context, "Tokens already in the KV cache")->required();
  decode->add_option("--decode-attention", dec->api.decode_attention,
                     "How attention reads a GQA model's KV cache: grouped (each KV head once per step: "
                     "flash-decoding, vLLM, SGLang, TensorRT-LLM XQA), per-head (once per query head: "
                     "TensorRT-LLM's masked MHA kernel) or trtllm-0.9 (TensorRT-LLM 0.9's choice between them)")
      ->capture_default_str();
  set_examples(*decode, {"flopscope predict decode llama-3.1-8b --batch 16 --context 4096 --hardware h100-sxm",
                         "flopscope predict decode mixtral-8x7b --batch 1 --context 1024 --hardware a100-sxm-80gb --weights int4",
                         "flopscope predict decode llama-3.1-70b --context 4096 --hardware h100-sxm --tp 8 --json",
                         "flopscope predict decode llama-3.1-405b --context 4096 --hardware h100-sxm --tp 8 --pp 2"});
  add_inference_layout(*decode, *dec);
  decode->callback(bind_inference(dec, decode, api::predict_decode, exit_code));

  auto tr = std::make_shared<ModelOptions>();
  CLI::App* train = predict.add_subcommand(
      "train", "Time, throughput, MFU and memory of one training step, on one device or many (--gpus)");
  add_model(*train, *tr, "eager");
  train->add_option("--micro-batch,-b", tr->batch,
                    "Sequences per device per micro-step (default 1; with --gpus the fastest that fits)");
  add_layout_flags(*train, tr->layout);
  train->add_option("--dropout", tr->api.dropout, "Dropout probability (default: the config's) for activation memory");
  train->add_option("--seq,-s", tr->api.seq, "Tokens per sequence")->required();
  train->add_option("--recompute", tr->api.recompute, "Activation recomputation: none, selective, full")->capture_default_str();
  train->add_option("--precision", tr->api.precision, "mixed (fp32 master weights and Adam) or bf16")->capture_default_str();
  train->add_option("--optimizer", tr->api.optimizer, "adamw")->capture_default_str();
  set_examples(*train, {"flopscope predict train llama-3.2-1b --micro-batch 8 --seq 2048 --hardware h100-sxm",
                        "flopscope predict train llama-3.1-8b --micro-batch 1 --seq 4096 --recompute full --hardware h100-sxm --json",
                        "flopscope predict train llama-3.1-70b --hardware h100-sxm --gpus 64 --tp 8 --sp --pp 2 "
                        "--global-batch 512 --seq 8192 --recompute selective",
                        "flopscope predict train mixtral-8x7b --hardware h100-sxm --gpus 64 --tp 2 --ep 8 --zero 1 "
                        "--global-batch 256 --seq 4096 --json"});
  train->callback([tr, train, &exit_code] {
    tr->api.layout_given = tr->layout.given(*train);
    // --micro-batch left out: 1 on one device, the fastest that fits on many (the library's default).
    if (train->count("--micro-batch") > 0) tr->api.batch = tr->batch; else tr->api.batch.reset();
    exit_code = run(*tr, api::predict_train);
  });

  register_predict_graph_command(predict, exit_code);
}

}  // namespace flopscope::cli
