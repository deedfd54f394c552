// flopscope memory MODEL --mode train|infer: bytes per device for training or inference.
#include <algorithm>
#include <fmt/format.h>
#include <iostream>

#include "command.h"
#include "flopscope/cost/memory.h"
#include "flopscope/cost/parallel.h"
#include "flopscope/perf/parallel.h"
#include "flopscope/perf/predict.h"
#include "flopscope/report/table.h"
#include "flopscope/util/limits.h"
#include "flopscope/util/units.h"
#include "graph_commands.h"
#include "layout_flags.h"
#include "model_options.h"

namespace flopscope::cli {
namespace {

struct MemoryArgs {
  std::string model;
  std::string mode;
  std::string dtype = "bf16";
  std::string kv_dtype;
  std::string recompute = "none";
  std::string precision = "mixed";
  int64_t batch = 1;
  int64_t seq = 2048;
  int64_t context = 0;
  int64_t tp = 1;
  int64_t pp = 1;
  int64_t gpus = 0;     ///< train: devices in all (0: tp x pp); ZeRO shards over gpus / (tp pp)
  int zero = 0;         ///< train: ZeRO stage over the data-parallel ranks
  std::string hardware = "h100-sxm";  ///< train with --pp/--gpus/--zero: the device the layout is checked on
  bool many = false;    ///< --pp, --gpus or --zero given
  int64_t group_size = 128;
  bool sp = false;
  bool no_flash = false;
  double overhead_gib = 1.0;
  double dropout = 0;          ///< --dropout: overrides the config's dropout probabilities
  bool dropout_given = false;
  std::vector<std::string> dims;
  bool json = false;
};

// An ONNX graph at its bound shapes: its weights plus the largest node's working set
// (inputs and outputs alive at once) plus the runtime allowance.
int run_graph(const MemoryArgs& a) {
  if (a.mode != "infer") return report_error(bad_input("--mode: expected infer for an ONNX graph, got '" + a.mode + "'"));
  auto cost = load_graph_cost(a.model, a.dims);
  if (!cost) return report_error(cost.error());
  double peak = 0;
  for (const auto& n : cost->nodes) peak = std::max(peak, n.bytes_read + n.bytes_written);
  double overhead = a.overhead_gib * 1024 * 1024 * 1024;
  double total = cost->bytes_params + peak + overhead;
  if (a.json) {
    print_json({{"model", a.model}, {"mode", "infer"}, {"bytes_weights", cost->bytes_params},
                {"bytes_activations", peak}, {"bytes_runtime_overhead", overhead}, {"bytes_total", total}});
    return 0;
  }
  Table t({"part", "bytes", "note"}, {false, true, false});
  t.add({"weights", format_bytes(cost->bytes_params), "initializers at their stored types"});
  t.add({"activations (peak)", format_bytes(peak), "largest node: inputs + outputs"});
  t.add({"runtime allowance", format_bytes(overhead), "--overhead-gib"});
  t.add_rule();
  t.add({"total", format_bytes(total), ""});
  std::cout << style(a.model, "1") << ": inference memory at the graph's bound shapes\n\n" << t.render(2);
  return 0;
}

// Training memory of the fullest device of a layout: predict_training (perf/parallel.h), the
// same figure `predict train --gpus` reports (weights, gradients and optimizer states of the
// stage, sharded over dp from ZeRO 1 on; the first stage's activations of min(m, pp)
// micro-batches; the last stage's logits).
int run_train_layout(const MemoryArgs& a, const TransformerSpec& spec, const MemoryOptions& o) {
  auto hw = HardwareCatalog::builtin().find(a.hardware);
  if (!hw) return report_error(hw.error());
  const int64_t gpus = a.gpus > 0 ? a.gpus : a.tp * a.pp;
  if (a.zero < 0 || a.zero > 3) return report_error(bad_input(fmt::format("--zero: expected 0, 1, 2 or 3, got {}", a.zero)));
  if (gpus % (a.tp * a.pp) != 0) {
    return report_error(bad_input(fmt::format("--gpus: expected a multiple of tp x pp = {}, got {}", a.tp * a.pp, gpus)));
  }
  auto system = resolve_system("", **hw, gpus);
  if (!system) return report_error(system.error());
  Workload w;
  w.phase = Phase::kTrainStep;
  w.batch = a.batch;
  w.seq = a.seq;
  w.recompute = o.recompute;
  w.mixed_precision = o.mixed_precision;
  w.flash_attention = o.flash_attention;
  w.modules = Modules::kFused;  // the tensors Korthikanti et al. count (memory.h's default)
  w.parallel.tp = a.tp;
  w.parallel.pp = a.pp;
  w.parallel.sequence_parallel = a.sp && a.tp > 1;
  w.parallel.zero = a.zero;
  w.parallel.gpus_per_node = system->gpus_per_node;
  if (a.precision == "bf16") w.grad_reduce_dtype = DType::kBF16;
  TimingEngine engine(**hw, nullptr, Software::kEager);
  engine.set_network(system->network());
  const int64_t dp = gpus / (a.tp * a.pp);
  auto p = predict_training(spec, w, gpus, a.batch * dp * a.pp, **hw, engine, o);
  if (!p) return report_error(p.error());
  const MemoryReport& r = p->memory;
  if (a.json) {
    print_json({{"model", spec.name},
                {"mode", "train"},
                {"batch", a.batch},
                {"seq", a.seq},
                {"recompute", recompute_name(o.recompute)},
                {"tensor_parallel", a.tp},
                {"sequence_parallel", a.sp},
                {"pipeline_parallel", a.pp},
                {"gpus", gpus},
                {"data_parallel", dp},
                {"zero", a.zero},
                {"micro_batches", a.pp},
                {"hardware", (*hw)->id},
                {"bytes_weights", r.bytes_weights},
                {"bytes_gradients", r.bytes_gradients},
                {"bytes_optimizer", r.bytes_optimizer},
                {"bytes_activations", r.bytes_activations},
                {"bytes_activations_first_stage", p->bytes_activations_first_stage},
                {"bytes_activations_last_stage", p->bytes_activations_last_stage},
                {"bytes_logits", r.bytes_logits},
                {"bytes_runtime_overhead", r.bytes_runtime_overhead},
                {"bytes_total", r.bytes_total},
                {"fits", p->fits}});
    return 0;
  }
  std::cout << style(spec.name, "1") << ": training memory of the fullest device, micro batch " << a.batch
            << " x seq " << a.seq << ", " << describe(p->workload.parallel) << " on " << gpus << " x " << (*hw)->name
            << "\n\n";
  Table t({"part", "bytes", "note"}, {false, true, false});
  t.add({"weights", format_bytes(r.bytes_weights), "bf16, the stage's layers / tp"});
  t.add({"gradients", format_bytes(r.bytes_gradients), a.zero >= 2 ? "sharded over dp (ZeRO-2)" : "fp32 main grads"});
  t.add({"optimizer (AdamW)", format_bytes(r.bytes_optimizer),
         a.zero >= 1 ? fmt::format("12 B/param over dp {} (ZeRO-{})", dp, a.zero) : std::string("12 B/param")});
  t.add({"activations", format_bytes(r.bytes_activations),
         a.pp > 1 ? fmt::format("first stage: {} micro-batches of its layers in flight (1F1B)", a.pp)
                  : std::string("recompute ") + recompute_name(o.recompute)});
  t.add({"logits", format_bytes(r.bytes_logits), "last stage"});
  t.add({"runtime allowance", format_bytes(r.bytes_runtime_overhead), "CUDA context + workspace"});
  t.add_rule();
  t.add({"total", format_bytes(r.bytes_total), p->fits ? "fits" : "DOES NOT FIT on " + (*hw)->id});
  std::cout << t.render(2);
  return 0;
}

int run(const MemoryArgs& a) {
  if (a.model.size() > 5 && a.model.substr(a.model.size() - 5) == ".onnx") return run_graph(a);
  if (a.mode != "train" && a.mode != "infer") {
    return report_error(bad_input("--mode: expected train or infer, got '" + a.mode + "'"));
  }
  for (auto [flag, v] : {std::pair{"--batch", a.batch}, {"--tp", a.tp}, {"--pp", a.pp}, {"--group-size", a.group_size}}) {
    if (auto st = check_positive(flag, v); !st) return report_error(st.error());
  }
  if (a.dropout_given && !(a.dropout >= 0 && a.dropout < 1)) {
    return report_error(bad_input(fmt::format("--dropout: expected a probability in [0, 1), got {}", a.dropout)));
  }
  if (a.overhead_gib < 0) return report_error(bad_input("--overhead-gib: expected a non-negative number, got " + std::to_string(a.overhead_gib)));
  int64_t context = a.context > 0 ? a.context : a.seq;
  if (auto st = check_positive(a.context > 0 ? "--context" : "--seq", a.context > 0 ? a.context : a.seq); !st)
    return report_error(st.error());
  if (a.context < 0) return report_error(bad_input("--context: expected a positive integer, got " + std::to_string(a.context)));
  auto dtype = parse_dtype(a.dtype, "--dtype");
  if (!dtype) return report_error(dtype.error());
  auto kv = parse_dtype(a.kv_dtype.empty() ? (*dtype == DType::kFP8 ? "fp8" : "bf16") : a.kv_dtype, "--kv-dtype");
  if (!kv) return report_error(kv.error());
  auto rc = parse_recompute(a.recompute);
  if (!rc) return report_error(rc.error());
  if (a.precision != "mixed" && a.precision != "bf16") {
    return report_error(bad_input("--precision: expected mixed or bf16, got '" + a.precision + "'"));
  }
  if (!a.dims.empty()) {
    return report_error(bad_input("--dim: binds symbolic dimensions of an ONNX graph, not of '" + a.model + "'"));
  }
  // Sizes stay where int64 element counts and doubles are exact (docs/limits.md).
  const double tokens = static_cast<double>(a.batch) * static_cast<double>(a.mode == "train" ? a.seq : context);
  if (tokens > limits::kTokensPerStep) {
    return report_error(bad_input(fmt::format("--batch x --{}: expected at most 1e12 tokens per step, got {:.3g}",
                                              a.mode == "train" ? "seq" : "context", tokens)));
  }
  auto spec = load_model_arg(a.model);
  if (!spec) return report_error(spec.error());
  // Tensor parallelism splits attention heads across devices: a degree that does not divide
  // them would give each device a fractional head (and fractional bytes).
  if (a.tp > 1 && spec->num_heads % a.tp != 0) {
    return report_error(bad_input("--tp: expected a divisor of the model's " + std::to_string(spec->num_heads) +
                                  " attention heads, got " + std::to_string(a.tp)));
  }

  MemoryOptions o;
  o.weight_dtype = *dtype;
  o.kv_dtype = *kv;
  o.recompute = *rc;
  o.mixed_precision = a.precision == "mixed";
  o.tensor_parallel = a.tp;
  o.sequence_parallel = a.sp;
  o.flash_attention = !a.no_flash;
  o.int4_group_size = a.group_size;
  o.bytes_runtime_overhead = a.overhead_gib * 1024 * 1024 * 1024;
  // Training keeps dropout masks when the config trains with dropout; --dropout overrides it.
  const double p_attention = a.dropout_given ? a.dropout : spec->attention_dropout;
  const double p_hidden = a.dropout_given ? a.dropout : spec->hidden_dropout;
  o.dropout = p_attention > 0 || p_hidden > 0;
  bool train = a.mode == "train";
  Parallel par;
  par.tp = a.tp;
  par.pp = a.pp;
  par.sequence_parallel = a.sp && a.tp > 1;
  if (auto st = validate(par, *spec); !st) return report_error(st.error());
  if (train && a.many) return run_train_layout(a, *spec, o);
  MemoryReport r = train ? training_memory(*spec, a.batch, a.seq, o)
                         : inference_memory_per_device(*spec, a.batch, context, o, par);

  if (a.json) {
    nlohmann::json j = {{"model", spec->name},
                        {"mode", a.mode},
                        {"batch", a.batch},
                        {train ? "seq" : "context", train ? a.seq : context},
                        {"dtype_weights", train ? "bf16" : std::string(dtype_name(*dtype))},
                        {"dtype_kv_cache", std::string(dtype_name(*kv))},
                        {"recompute", recompute_name(*rc)},
                        {"tensor_parallel", a.tp},
                        {"pipeline_parallel", a.pp},
                        {"sequence_parallel", a.sp},
                        {"flash_attention", !a.no_flash},
                        {"dropout_attention", p_attention},
                        {"dropout_hidden", p_hidden},
                        {"dropout_masks", train && o.dropout},
                        {"bytes_weights", r.bytes_weights},
                        {"bytes_gradients", r.bytes_gradients},
                        {"bytes_optimizer", r.bytes_optimizer},
                        {"bytes_activations", r.bytes_activations},
                        {"bytes_activations_per_layer", r.bytes_activations_per_layer},
                        {"bytes_activations_layers", r.bytes_activations_layers},
                        {"bytes_activations_recompute", r.bytes_activations_recompute},
                        {"bytes_activations_outside", r.bytes_activations_outside},
                        {"bytes_kv_cache", r.bytes_kv_cache},
                        {"bytes_kv_cache_per_token", kv_cache_bytes_per_token(*spec, *kv)},
                        {"bytes_logits", r.bytes_logits},
                        {"bytes_runtime_overhead", r.bytes_runtime_overhead},
                        {"bytes_total", r.bytes_total}};
    print_json(j);
    return 0;
  }
  std::cout << style(spec->name, "1") << ": " << (train ? "training" : "inference") << " memory per device, batch "
            << a.batch << (train ? " x seq " + std::to_string(a.seq) : " x context " + std::to_string(context));
  if (a.tp > 1) std::cout << ", tensor parallel " << a.tp << (a.sp ? " + sequence parallel" : "");
  if (a.pp > 1) std::cout << ", " << a.pp << " pipeline stages (the fullest)";
  std::cout << "\n\n";
  Table t({"part", "bytes", "note"}, {false, true, false});
  if (train) {
    t.add({"weights", format_bytes(r.bytes_weights), "bf16"});
    t.add({"gradients", format_bytes(r.bytes_gradients), "bf16"});
    t.add({"optimizer (AdamW)", format_bytes(r.bytes_optimizer),
           o.mixed_precision ? "fp32 master + m + v: 12 B/param" : "bf16 m + v: 4 B/param"});
    t.add({"activations", format_bytes(r.bytes_activations),
           std::string("recompute ") + recompute_name(*rc) + ", " + format_bytes(r.bytes_activations_per_layer) + "/layer" +
               (o.dropout ? fmt::format(", dropout masks (p {:g})", std::max(p_attention, p_hidden)) : "")});
    t.add({"logits", format_bytes(r.bytes_logits), "bf16 + fp32 for the loss"});
  } else {
    t.add({"weights", format_bytes(r.bytes_weights), std::string(dtype_name(*dtype))});
    t.add({"kv cache", format_bytes(r.bytes_kv_cache),
           format_bytes(kv_cache_bytes_per_token(*spec, *kv)) + "/token, " + std::string(dtype_name(*kv))});
    t.add({"activations (peak)", format_bytes(r.bytes_activations), "prefill working set, one layer"});
    t.add({"logits", format_bytes(r.bytes_logits), "last token, fp32"});
  }
  t.add({"runtime allowance", format_bytes(r.bytes_runtime_overhead), "CUDA context + workspace (--overhead-gib)"});
  t.add_rule();
  t.add({"total", format_bytes(r.bytes_total), ""});
  std::cout << t.render(2);
  return 0;
}

std::function<int()> setup(CLI::App& sub) {
  auto a = std::make_shared<MemoryArgs>();
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
  sub.add_option("--zero", a->zero, "train: ZeRO stage 0-3 over the data-parallel ranks (default 1 with --gpus)");
  sub.add_option("--hardware", a->hardware, "train with --pp, --gpus or --zero: the device whose memory it must fit")
      ->capture_default_str();
  sub.add_flag("--no-flash", a->no_flash, "Unfused attention: keep the score matrices");
  sub.add_option_function<double>(
      "--dropout", [a](double p) {
        a->dropout = p;
        a->dropout_given = true;
      },
      "train: dropout probability in [0, 1) (default: the config's); > 0 keeps 1-byte masks");
  sub.add_option("--group-size", a->group_size, "int4: weights per fp16 scale")->capture_default_str();
  sub.add_option("--overhead-gib", a->overhead_gib, "Runtime allowance (CUDA context, workspace), GiB")->capture_default_str();
  sub.add_option("--dim", a->dims, "ONNX: bind a symbolic dimension, NAME=VALUE (repeatable)");
  sub.add_flag("--json", a->json, "Machine-readable output");
  set_examples(sub, {"flopscope memory resnet50.onnx --mode infer",
                     "flopscope memory llama-3.1-8b --mode infer --dtype int4 --batch 8 --context 8192",
                     "flopscope memory llama-3.1-70b --mode train --batch 1 --seq 8192 --recompute full --tp 8 --sp",
                     "flopscope memory llama-3.1-70b --mode train --seq 8192 --tp 8 --sp --pp 4 --gpus 64 --zero 1",
                     "flopscope memory llama-3.1-405b --mode infer --context 8192 --tp 8 --pp 2",
                     "flopscope memory mixtral-8x7b --mode infer --dtype fp8 --json"});
  return [a, &sub] {
    a->many = sub.count("--pp") + sub.count("--gpus") + sub.count("--zero") > 0;
    if (a->many && sub.count("--zero") == 0 && a->gpus > a->tp * a->pp) a->zero = 1;
    return run(*a);
  };
}

FLOPSCOPE_COMMAND({"memory", "Memory per device for training or inference", setup, 11});

}  // namespace
}  // namespace flopscope::cli
