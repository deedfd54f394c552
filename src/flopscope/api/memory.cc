#include "flopscope/api/memory.h"

#include <fmt/format.h>

#include <algorithm>

#include "flopscope/api/common.h"
#include "flopscope/api/graph.h"
#include "flopscope/api/options.h"
#include "flopscope/api/setup.h"
#include "flopscope/cost/memory.h"
#include "flopscope/cost/parallel.h"
#include "flopscope/perf/parallel.h"
#include "flopscope/perf/predict.h"
#include "flopscope/report/table.h"
#include "flopscope/util/limits.h"
#include "flopscope/util/units.h"

namespace flopscope::api {

namespace {

// An ONNX graph at its bound shapes: its weights plus the largest node's working set
// (inputs and outputs alive at once) plus the runtime allowance.
Result<Output> run_graph(const api::MemoryOptions& a, const Render& render) {
  if (a.mode != "infer") return (bad_input("--mode: expected infer for an ONNX graph, got '" + a.mode + "'"));
  auto cost = load_graph_cost(a.model, a.dims);
  if (!cost) return (cost.error());
  double peak = 0;
  for (const auto& n : cost->nodes) peak = std::max(peak, n.bytes_read + n.bytes_written);
  double overhead = a.overhead_gib * 1024 * 1024 * 1024;
  double total = cost->bytes_params + peak + overhead;
  Output out;
  if (render.json) {
    out.json = Json({{"model", a.model}, {"mode", "infer"}, {"bytes_weights", cost->bytes_params},
                {"bytes_activations", peak}, {"bytes_runtime_overhead", overhead}, {"bytes_total", total}});
    return out;
  }
  Table t({"part", "bytes", "note"}, {false, true, false});
  t.add({"weights", format_bytes(cost->bytes_params), "initializers at their stored types"});
  t.add({"activations (peak)", format_bytes(peak), "largest node: inputs + outputs"});
  t.add({"runtime allowance", format_bytes(overhead), "--overhead-gib"});
  t.add_rule();
  t.add({"total", format_bytes(total), ""});
  out.text = style(render, a.model, "1") + ": inference memory at the graph's bound shapes\n\n" + t.render(2);
  return out;
}

// Training memory of the fullest device of a layout: predict_training (perf/parallel.h), the
// same figure `predict train --gpus` reports (weights, gradients and optimizer states of the
// stage, sharded over dp from ZeRO 1 on; the first stage's activations of min(m, pp)
// micro-batches; the last stage's logits).
Result<Output> run_train_layout(const api::MemoryOptions& a, const TransformerSpec& spec, const flopscope::MemoryOptions& o,
                                const Render& render) {
  auto hw = HardwareCatalog::builtin().find(a.hardware);
  if (!hw) return (hw.error());
  const int64_t gpus = a.gpus > 0 ? a.gpus : a.tp * a.pp;
  const int zero = a.zero ? *a.zero : (a.gpus > a.tp * a.pp ? 1 : 0);
  if (zero < 0 || zero > 3) return bad_input(fmt::format("--zero: expected 0, 1, 2 or 3, got {}", zero));
  if (gpus % (a.tp * a.pp) != 0) {
    return (bad_input(fmt::format("--gpus: expected a multiple of tp x pp = {}, got {}", a.tp * a.pp, gpus)));
  }
  auto system = resolve_system("", **hw, gpus);
  if (!system) return (system.error());
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
  w.parallel.zero = zero;
  w.parallel.gpus_per_node = system->gpus_per_node;
  if (a.precision == "bf16") w.grad_reduce_dtype = DType::kBF16;
  TimingEngine engine(**hw, nullptr, Software::kEager);
  engine.set_network(system->network());
  const int64_t dp = gpus / (a.tp * a.pp);
  auto p = predict_training(spec, w, gpus, a.batch * dp * a.pp, **hw, engine, o);
  if (!p) return (p.error());
  const MemoryReport& r = p->memory;
  Output out;
  if (render.json) {
    out.json = Json({{"model", spec.name},
                {"mode", "train"},
                {"batch", a.batch},
                {"seq", a.seq},
                {"recompute", recompute_name(o.recompute)},
                {"tensor_parallel", a.tp},
                {"sequence_parallel", a.sp},
                {"pipeline_parallel", a.pp},
                {"gpus", gpus},
                {"data_parallel", dp},
                {"zero", zero},
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
    return out;
  }
  out.text = style(render, spec.name, "1") +
             fmt::format(": training memory of the fullest device, micro batch {} x seq {}, {} on {} x {}\n\n", a.batch,
                         a.seq, describe(p->workload.parallel), gpus, (*hw)->name);
  Table t({"part", "bytes", "note"}, {false, true, false});
  t.add({"weights", format_bytes(r.bytes_weights), "bf16, the stage's layers / tp"});
  t.add({"gradients", format_bytes(r.bytes_gradients), zero >= 2 ? "sharded over dp (ZeRO-2)" : "fp32 main grads"});
  t.add({"optimizer (AdamW)", format_bytes(r.bytes_optimizer),
         zero >= 1 ? fmt::format("12 B/param over dp {} (ZeRO-{})", dp, zero) : std::string("12 B/param")});
  t.add({"activations", format_bytes(r.bytes_activations),
         a.pp > 1 ? fmt::format("first stage: {} micro-batches of its layers in flight (1F1B)", a.pp)
                  : std::string("recompute ") + recompute_name(o.recompute)});
  t.add({"logits", format_bytes(r.bytes_logits), "last stage"});
  t.add({"runtime allowance", format_bytes(r.bytes_runtime_overhead), "CUDA context + workspace"});
  t.add_rule();
  t.add({"total", format_bytes(r.bytes_total), p->fits ? "fits" : "DOES NOT FIT on " + (*hw)->id});
  out.text += t.render(2);
  return out;
}

Result<Output> run(const api::MemoryOptions& a, const Render& render) {
  if (a.model.size() > 5 && a.model.substr(a.model.size() - 5) == ".onnx") return run_graph(a, render);
  if (a.mode != "train" && a.mode != "infer") {
    return (bad_input("--mode: expected train or infer, got '" + a.mode + "'"));
  }
  for (auto [flag, v] : {std::pair{"--batch", a.batch}, {"--tp", a.tp}, {"--pp", a.pp}, {"--group-size", a.group_size}}) {
    if (auto st = check_positive(flag, v); !st) return (st.error());
  }
  if (a.dropout && !(*a.dropout >= 0 && *a.dropout < 1)) {
    return bad_input(fmt::format("--dropout: expected a probability in [0, 1), got {}", *a.dropout));
  }
  if (a.overhead_gib < 0) return (bad_input("--overhead-gib: expected a non-negative number, got " + std::to_string(a.overhead_gib)));
  int64_t context = a.context > 0 ? a.context : a.seq;
  if (auto st = check_positive(a.context > 0 ? "--context" : "--seq", a.context > 0 ? a.context : a.seq); !st)
    return (st.error());
  if (a.context < 0) return (bad_input("--context: expected a positive integer, got " + std::to_string(a.context)));
  auto dtype = parse_dtype(a.dtype, "--dtype");
  if (!dtype) return (dtype.error());
  auto kv = parse_dtype(a.kv_dtype.empty() ? (*dtype == DType::kFP8 ? "fp8" : "bf16") : a.kv_dtype, "--kv-dtype");
  if (!kv) return (kv.error());
  auto rc = parse_recompute(a.recompute);
  if (!rc) return (rc.error());
  if (a.precision != "mixed" && a.precision != "bf16") {
    return (bad_input("--precision: expected mixed or bf16, got '" + a.precision + "'"));
  }
  if (!a.dims.empty()) {
    return (bad_input("--dim: binds symbolic dimensions of an ONNX graph, not of '" + a.model + "'"));
  }
  // Sizes stay where int64 element counts and doubles are exact (docs/limits.md).
  const double tokens = static_cast<double>(a.batch) * static_cast<double>(a.mode == "train" ? a.seq : context);
  if (tokens > limits::kTokensPerStep) {
    return (bad_input(fmt::format("--batch x --{}: expected at most 1e12 tokens per step, got {:.3g}",
                                              a.mode == "train" ? "seq" : "context", tokens)));
  }
  auto spec = load_model_option(a.model, a.model_config);
  if (!spec) return (spec.error());
  // Tensor parallelism splits attention heads across devices: a degree that does not divide
  // them would give each device a fractional head (and fractional bytes).
  if (a.tp > 1 && spec->num_heads % a.tp != 0) {
    return (bad_input("--tp: expected a divisor of the model's " + std::to_string(spec->num_heads) +
                                  " attention heads, got " + std::to_string(a.tp)));
  }

  flopscope::MemoryOptions o;
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
  const double p_attention = a.dropout ? *a.dropout : spec->attention_dropout;
  const double p_hidden = a.dropout ? *a.dropout : spec->hidden_dropout;
  o.dropout = p_attention > 0 || p_hidden > 0;
  bool train = a.mode == "train";
  Parallel par;
  par.tp = a.tp;
  par.pp = a.pp;
  par.sequence_parallel = a.sp && a.tp > 1;
  if (auto st = validate(par, *spec); !st) return (st.error());
  if (train && a.layout_given) return run_train_layout(a, *spec, o, render);
  MemoryReport r = train ? training_memory(*spec, a.batch, a.seq, o)
                         : inference_memory_per_device(*spec, a.batch, context, o, par);

  Output out;
  if (render.json) {
    out.json = {{"model", spec->name},
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
    return out;
  }
  std::string& text = out.text;
  text = style(render, spec->name, "1") + ": " + (train ? "training" : "inference") + " memory per device, batch " +
         std::to_string(a.batch) + (train ? " x seq " + std::to_string(a.seq) : " x context " + std::to_string(context));
  if (a.tp > 1) text += ", tensor parallel " + std::to_string(a.tp) + (a.sp ? " + sequence parallel" : "");
  if (a.pp > 1) text += ", " + std::to_string(a.pp) + " pipeline stages (the fullest)";
  text += "\n\n";
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
  text += t.render(2);
  return out;
}

}  // namespace

Result<Output> memory(const MemoryOptions& options, const Render& render) { return run(options, render); }

Result<MemoryOptions> memory_options(const Json& j) {
  MemoryOptions o;
  OptionsReader r(j, "memory");
  r.model("model", o.model, o.model_config)
      .read("mode", o.mode)
      .read("dtype", o.dtype)
      .read("kv_dtype", o.kv_dtype)
      .read("batch", o.batch)
      .read("seq", o.seq)
      .read("context", o.context)
      .read("recompute", o.recompute)
      .read("precision", o.precision)
      .read("tp", o.tp)
      .read("sp", o.sp)
      .read("pp", o.pp)
      .read("gpus", o.gpus)
      .read("hardware", o.hardware)
      .read("no_flash", o.no_flash)
      .read("dropout", o.dropout)
      .read("group_size", o.group_size)
      .read("overhead_gib", o.overhead_gib)
      .read("dim", o.dims);
  std::optional<int64_t> zero;
  r.read("zero", zero);
  if (auto st = r.done(); !st) return st.error();
  if (zero) o.zero = static_cast<int>(*zero);
  for (const char* k : {"pp", "gpus", "zero"}) {
    if (j.is_object() && j.contains(k) && !j[k].is_null()) o.layout_given = true;
  }
  return o;
}

}  // namespace flopscope::api
