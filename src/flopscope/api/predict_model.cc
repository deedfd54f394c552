// predict prefill | decode | train: a model on hardware, through the op list and the timing
// engine (perf/predict.h); train on many devices through perf/parallel.h.
#include <fmt/format.h>

#include "flopscope/api/common.h"
#include "flopscope/api/options.h"
#include "flopscope/api/predict.h"
#include "flopscope/perf/predict.h"
#include "flopscope/report/table.h"
#include "flopscope/util/units.h"

namespace flopscope::api {

namespace {

// Each op as the roofline places it (the page's roofline view, docs/server.md):
// `intensity` = FLOPs per byte moved (null when it moves none), `flops_per_second` = its FLOPs
// over its predicted time (null when it takes none).
Json rows_json(const std::vector<OpRow>& rows) {
  Json a = Json::array();
  for (const OpRow& r : rows) {
    const double flops = r.op->total_flops(), bytes = r.op->total_bytes();
    a.push_back({{"name", r.op->name},
                 {"kind", op_kind_name(r.op->kind)},
                 {"count", r.op->count},
                 {"seconds", r.seconds},
                 {"flops", flops},
                 {"bytes", bytes},
                 {"intensity", bytes > 0 ? Json(flops / bytes) : Json(nullptr)},
                 {"flops_per_second", r.seconds > 0 ? Json(flops / r.seconds) : Json(nullptr)},
                 {"bound", std::string(bound_name(r.bound))}});
  }
  return a;
}

// The device's roofs for the compute dtype: the dense datasheet peak, the memory bandwidth,
// and the ridge intensity where they meet (null when the catalog lists no bandwidth).
Json roofline_json(const Hardware& hw, DType dtype) {
  const double peak = hw.peak(dtype), bw = hw.bytes_per_second_memory;
  return {{"flops_per_second_peak", peak},
          {"bytes_per_second_memory", bw},
          {"intensity_ridge", bw > 0 ? Json(peak / bw) : Json(nullptr)}};
}

Json layout_json(const Parallel& p) {
  return {{"tp", p.tp},       {"sp", p.sequence_parallel}, {"pp", p.pp},
          {"virtual_stages", p.virtual_stages}, {"dp", p.dp}, {"cp", p.cp},
          {"ep", p.ep},       {"zero", p.zero},             {"micro_batches", p.micro_batches}};
}

Parallel to_parallel(const PredictModelOptions& o) {
  Parallel p;
  p.tp = o.tp;
  p.pp = o.pp;
  p.ep = o.ep;
  p.cp = o.cp;
  p.virtual_stages = o.virtual_stages;
  p.sequence_parallel = o.sp;
  p.zero = o.zero;
  return p;
}

// `predict train --gpus N ...`: the many-device path (perf/parallel.h).
Result<Output> run_many(const PredictModelOptions& o, Workload w, const Setup& s, const TransformerSpec& spec,
                        const Render& r) {
  const Hardware& hw = *s.hardware;
  int64_t gpus = o.gpus > 0 ? o.gpus : o.tp * o.pp * o.cp;
  if (o.global_batch <= 0) {
    return bad_input("--global-batch: expected a positive number of sequences per step (with --gpus)");
  }
  auto system = resolve_system(o.system, hw, gpus);
  if (!system) return system.error();
  w.parallel = to_parallel(o);
  w.parallel.gpus_per_node = system->gpus_per_node;
  // Many-device training runs Megatron-class stacks: fused norms, rotary and loss.
  if (o.modules.empty()) w.modules = Modules::kFused;
  if (o.precision == "bf16") w.grad_reduce_dtype = DType::kBF16;
  TimingEngine engine(hw, s.profile_or_null(), s.software);
  engine.set_network(system->network());
  MemoryOptions mo;
  mo.dropout = spec.trains_with_dropout();
  auto p = predict_training(spec, w, gpus, o.global_batch, hw, engine, mo);
  if (!p) return p.error();
  Output out;
  if (r.json) {
    out.json = parallel_train_json(*p, spec.name, hw, *system);
    out.json["software"] = std::string(software_name(s.software));
    out.json["calibration"] = s.profile ? "profile" : "catalog defaults";
    out.json["dropout"] = mo.dropout;
    out.json["conventions"] = conventions_json();
  } else {
    out.text = parallel_train_text(*p, spec.name, hw, *system, r);
  }
  return out;
}

Result<Output> run(const PredictModelOptions& o, Phase phase, const Render& r) {
  const bool many = phase == Phase::kTrainStep && o.layout_given;
  const bool inference_layout = phase != Phase::kTrainStep && o.layout_given;
  Workload w;
  w.phase = phase;
  w.batch = o.batch ? *o.batch : (many ? 0 : 1);
  w.seq = phase == Phase::kDecode ? 1 : o.seq;
  w.context = o.context;
  if (many && w.batch == 0) {
    // micro batch left out: predict_training chooses it.
  } else if (auto st = check_positive(phase == Phase::kTrainStep ? "--micro-batch" : "--batch", w.batch); !st) {
    return st.error();
  }
  if (o.dropout && !(*o.dropout >= 0 && *o.dropout < 1)) {
    return bad_input(fmt::format("--dropout: expected a probability in [0, 1), got {}", *o.dropout));
  }
  if (phase == Phase::kPrefill) {
    if (auto st = check_positive("--prompt", o.seq); !st) return st.error();
  } else if (phase == Phase::kTrainStep) {
    if (auto st = check_positive("--seq", o.seq); !st) return st.error();
  } else if (auto st = check_positive("--context", o.context); !st) {
    return st.error();
  }
  if (auto st = check_positive("--top", o.top); !st) return st.error();
  auto s = resolve_setup(o.hw, default_software(phase));
  if (!s) return s.error();
  w.dtype = s->dtype;
  w.weight_dtype = s->dtype;
  if (!o.weights.empty()) {
    auto wd = parse_dtype(o.weights, "--weights");
    if (!wd) return wd.error();
    w.weight_dtype = *wd;
  }
  w.kv_dtype = s->dtype == DType::kFP8 ? DType::kFP8 : DType::kBF16;
  if (!o.kv_dtype.empty()) {
    auto kd = parse_dtype(o.kv_dtype, "--kv-dtype");
    if (!kd) return kd.error();
    w.kv_dtype = *kd;
  }
  auto da = parse_decode_attention(o.decode_attention);
  if (!da) return da.error();
  w.decode_attention = *da;
  auto rc = parse_recompute(o.recompute);
  if (!rc) return rc.error();
  w.recompute = *rc;
  if (o.precision != "mixed" && o.precision != "bf16")
    return bad_input("--precision: expected bf16 or mixed, got '" + o.precision + "'");
  if (o.optimizer != "adamw") return bad_input("--optimizer: expected adamw, got '" + o.optimizer + "'");
  w.mixed_precision = o.precision == "mixed";
  w.flash_attention = !o.no_flash;
  w.modules = default_modules(phase);
  if (!o.modules.empty()) {
    auto m = parse_modules(o.modules);
    if (!m) return m.error();
    w.modules = *m;
  }

  auto spec = load_model_option(o.model, o.model_config);
  if (!spec) return spec.error();
  if (o.dropout) spec->attention_dropout = spec->hidden_dropout = *o.dropout;  // what memory counts
  if (many) return run_many(o, w, *s, *spec, r);
  TimingEngine engine(*s->hardware, s->profile_or_null(), s->software);
  // Inference across devices (--tp, --pp): the collectives run on the system's network.
  std::optional<System> system;
  if (inference_layout) {
    if (auto st = check_positive("--tp", o.tp); !st) return st.error();
    if (auto st = check_positive("--pp", o.pp); !st) return st.error();
    w.parallel.tp = o.tp;
    w.parallel.pp = o.pp;
    if (auto st = validate(w.parallel, *spec); !st) return st.error();
    auto sys = resolve_system(o.system, *s->hardware, w.parallel.devices());
    if (!sys) return sys.error();
    system = *sys;
    w.parallel.gpus_per_node = system->gpus_per_node;
    engine.set_network(system->network());
  }
  auto p = predict(*spec, w, *s->hardware, engine);
  if (!p) return p.error();
  auto top = top_ops(*p, static_cast<size_t>(o.top));
  const double tokens = static_cast<double>(w.tokens());

  Output out;
  if (r.json) {
    Json j = {{"model", spec->name},
              {"phase", phase_name(phase)},
              {"hardware", s->hardware->id},
              {"dtype", std::string(dtype_name(w.dtype))},
              {"software", std::string(software_name(s->software))},
              {"calibration", s->profile ? "profile" : "catalog defaults"},
              {"batch", w.batch},
              {"tokens", tokens},
              {"flops_model", p->flops.model_flops},
              {"flops_hardware", p->flops.hardware_flops},
              {"bytes_moved", p->timing.bytes},
              {"kernels", p->timing.kernels},
              {"seconds_compute_bound_ops", p->timing.seconds_by_bound[static_cast<size_t>(Bound::kCompute)]},
              {"seconds_memory_bound_ops", p->timing.seconds_by_bound[static_cast<size_t>(Bound::kMemory)]},
              {"seconds_overhead_bound_ops", p->timing.seconds_by_bound[static_cast<size_t>(Bound::kOverhead)]},
              {"mfu", p->mfu},
              {"hfu", p->hfu},
              {"bytes_peak_memory", p->memory.bytes_peak_allocated},
              {"bytes_peak_memory_with_runtime", p->memory.bytes_total},
              {"modules", modules_name(w.modules)},
              {"seconds_gpu", p->timing.seconds_gpu},
              {"seconds_host", p->timing.seconds_host},
              {"fits", p->fits},
              {"top_ops", rows_json(top)},
              {"roofline", roofline_json(*s->hardware, w.dtype)},
              {"gpus", w.parallel.devices()},
              {"layout", {{"tp", w.parallel.tp}, {"pp", w.parallel.pp}}},
              {"seconds_communication", p->seconds_communication},
              {"conventions", conventions_json()}};
    if (system) j["system"] = system->id;
    if (w.parallel.pp > 1) j["seconds_stage"] = p->seconds_stage;
    if (phase == Phase::kPrefill) {
      j["seconds"] = p->seconds;
      j["prompt"] = o.seq;
      j["context"] = o.context;
      j["tokens_per_second"] = p->tokens_per_second;
    } else if (phase == Phase::kDecode) {
      j["seconds_per_step"] = p->seconds;
      j["context"] = o.context;
      j["decode_attention"] = decode_attention_name(w.decode_attention);
      j["tokens_per_second"] = p->tokens_per_second;
    } else {
      j["seconds_per_step"] = p->seconds;
      j["seq"] = o.seq;
      j["tokens_per_second"] = p->tokens_per_second;
      j["recompute"] = recompute_name(w.recompute);
      j["precision"] = o.precision;
    }
    out.json = std::move(j);
    return out;
  }
  std::string& t = out.text;
  t += style(r, spec->name, "1") + " " + std::string(phase_name(phase)) + " on " +
       (w.parallel.single_device() ? std::string() : fmt::format("{} x ", w.parallel.devices())) +
       s->hardware->name + " (" + std::string(dtype_name(w.dtype)) + ", " + std::string(software_name(s->software)) +
       ", " + (s->profile ? "calibration profile" : "catalog efficiencies") + ")\n\n";
  Table tt({"op", "x", "time", "share", "bound"}, {false, true, true, true, false});
  for (const OpRow& row : top) {
    tt.add({row.op->name, std::to_string(row.op->count), format_seconds(row.seconds),
            format_percent(row.seconds / p->seconds_stage), std::string(bound_name(row.bound))});
  }
  t += fmt::format("Top {} of {} ops by time:\n", top.size(), p->ops.size()) + tt.render(2) + "\n";
  std::vector<std::pair<std::string, std::string>> f;
  if (system) {
    f.push_back({"layout", fmt::format("tp {} pp {} on {} ({} devices)", w.parallel.tp, w.parallel.pp, system->name,
                                       w.parallel.devices())});
  }
  const char* step = phase == Phase::kPrefill ? "time" : "time per step";
  f.push_back({step, format_seconds(p->seconds) + (w.parallel.pp > 1 ? " (one request through every stage)" : "")});
  f.push_back({phase == Phase::kDecode ? "generated tokens/s" : "tokens/s",
               format_si(p->tokens_per_second) +
                   (w.parallel.pp > 1 ? fmt::format(" ({} micro-batches in the pipeline)", w.parallel.pp) : "")});
  if (!w.parallel.single_device()) {
    f.push_back({"communication", format_seconds(p->seconds_communication) + " (" +
                                      format_percent(p->seconds_communication / p->seconds) + ", exposed)"});
  }
  f.push_back({"model FLOPs", format_si(p->flops.model_flops, "FLOP")});
  f.push_back({"MFU", format_percent(p->mfu) + " (model FLOPs / dense " + std::string(dtype_name(w.dtype)) +
                          " peak; HFU " + format_percent(p->hfu) + ")"});
  const auto& by = p->timing.seconds_by_bound;
  const double stage = p->seconds_stage;  // one device's time (= seconds without pipeline stages)
  f.push_back({"bound", "compute " + format_percent(by[0] / stage) + ", memory " + format_percent(by[1] / stage) +
                            ", overhead " + format_percent(by[2] / stage)});
  f.push_back({"kernels", std::to_string(p->timing.kernels)});
  if (s->hardware->bytes_memory > 0) {
    f.push_back({"memory", format_bytes(p->memory.bytes_total) + " of " + format_bytes(s->hardware->bytes_memory) +
                               (p->fits ? " (fits)" : " (DOES NOT FIT on one device)") +
                               (w.parallel.single_device() ? "" : " per device")});
  } else {
    f.push_back({"memory", format_bytes(p->memory.bytes_total) + " (device memory not in the catalog)"});
  }
  t += render_fields(f, 2);
  return out;
}

bool has(const Json& j, std::initializer_list<const char*> keys) {
  if (!j.is_object()) return false;
  for (const char* k : keys) {
    auto it = j.find(k);
    if (it != j.end() && !it->is_null()) return true;
  }
  return false;
}

// The keys every model subcommand reads.
void read_model_keys(OptionsReader& r, PredictModelOptions& o) {
  r.model("model", o.model, o.model_config);
  read_engine_options(r, o.hw);
  r.read("weights", o.weights).read("kv_dtype", o.kv_dtype).read("no_flash", o.no_flash).read("modules", o.modules)
      .read("decode_attention", o.decode_attention).read("top", o.top);
}

Result<PredictModelOptions> inference_options(const Json& j, const char* command, const char* length_key,
                                              int64_t PredictModelOptions::*length) {
  PredictModelOptions o;
  OptionsReader r(j, command);
  read_model_keys(r, o);
  r.read("batch", o.batch).read(length_key, o.*length).read("tp", o.tp).read("pp", o.pp).read("system", o.system);
  // A prefill may continue after cached tokens (a chunk, a conversation's next turn).
  if (length != &PredictModelOptions::context) r.read("context", o.context);
  if (auto st = r.done(); !st) return st.error();
  o.layout_given = has(j, {"tp", "pp", "system"});
  return o;
}

}  // namespace

Result<Output> predict_prefill(const PredictModelOptions& o, const Render& r) { return run(o, Phase::kPrefill, r); }
Result<Output> predict_decode(const PredictModelOptions& o, const Render& r) { return run(o, Phase::kDecode, r); }
Result<Output> predict_train(const PredictModelOptions& o, const Render& r) { return run(o, Phase::kTrainStep, r); }

Result<PredictModelOptions> predict_prefill_options(const Json& j) {
  return inference_options(j, "predict/prefill", "prompt", &PredictModelOptions::seq);
}

Result<PredictModelOptions> predict_decode_options(const Json& j) {
  return inference_options(j, "predict/decode", "context", &PredictModelOptions::context);
}

Result<PredictModelOptions> predict_train_options(const Json& j) {
  PredictModelOptions o;
  OptionsReader r(j, "predict/train");
  read_model_keys(r, o);
  r.read("micro_batch", o.batch)
      .read("seq", o.seq)
      .read("recompute", o.recompute)
      .read("precision", o.precision)
      .read("optimizer", o.optimizer)
      .read("dropout", o.dropout)
      .read("gpus", o.gpus)
      .read("global_batch", o.global_batch)
      .read("system", o.system)
      .read("tp", o.tp)
      .read("sp", o.sp)
      .read("pp", o.pp)
      .read("virtual_stages", o.virtual_stages)
      .read("ep", o.ep)
      .read("cp", o.cp)
      .read("zero", o.zero);
  if (auto st = r.done(); !st) return st.error();
  o.layout_given =
      has(j, {"gpus", "tp", "pp", "ep", "cp", "virtual_stages", "sp", "zero", "global_batch", "system"});
  return o;
}

Json parallel_train_json(const ParallelPrediction& p, const std::string& model, const Hardware& hw,
                         const System& system) {
  const Workload& w = p.workload;
  Json parts = Json::object();
  for (size_t i = 0; i < p.seconds_by_part.size(); ++i) {
    parts[step_part_name(static_cast<StepPart>(i))] = p.seconds_by_part[i];
  }
  Json mem = {{"bytes_weights", p.memory.bytes_weights},
              {"bytes_gradients", p.memory.bytes_gradients},
              {"bytes_optimizer", p.memory.bytes_optimizer},
              {"bytes_activations", p.memory.bytes_activations},
              {"bytes_logits", p.memory.bytes_logits},
              {"bytes_runtime_overhead", p.memory.bytes_runtime_overhead},
              {"bytes_activations_first_stage", p.bytes_activations_first_stage},
              {"bytes_activations_last_stage", p.bytes_activations_last_stage}};
  return {{"model", model},
          {"phase", "train"},
          {"hardware", hw.id},
          {"system", system.id},
          {"gpus", w.parallel.devices()},
          {"dtype", std::string(dtype_name(w.dtype))},
          {"modules", modules_name(w.modules)},
          {"layout", layout_json(w.parallel)},
          {"micro_batch", w.batch},
          {"global_batch", p.global_batch},
          {"seq", w.seq},
          {"recompute", recompute_name(w.recompute)},
          {"seconds_per_step", p.seconds_per_step},
          {"tokens_per_second", p.tokens_per_second},
          {"tokens_per_second_per_gpu", p.tokens_per_second / static_cast<double>(w.parallel.devices())},
          {"mfu", p.mfu},
          {"hfu", p.hfu},
          {"flops_model_per_step", p.flops_model_per_step},
          {"flops_hardware_per_step", p.flops_hardware_per_step},
          {"seconds_micro_batch", p.seconds_micro_batch},
          {"bubble_fraction", p.bubble_fraction},
          {"seconds_communication", p.seconds_communication},
          {"seconds_communication_exposed", p.seconds_communication_exposed},
          {"seconds_by_part", parts},
          {"bytes_peak_memory", p.memory.bytes_peak_allocated},
          {"bytes_peak_memory_with_runtime", p.memory.bytes_total},
          {"bytes_device_memory", hw.bytes_memory},
          {"memory", mem},
          {"fits", p.fits}};
}

std::string parallel_train_text(const ParallelPrediction& p, const std::string& model, const Hardware& hw,
                                const System& system, const Render& r) {
  const Workload& w = p.workload;
  const Parallel& par = w.parallel;
  std::string t = style(r, model, "1") + fmt::format(" training on {} x {} ({}, {})\n\n", par.devices(), hw.name,
                                                     system.name, dtype_name(w.dtype));
  std::vector<std::pair<std::string, std::string>> f;
  f.push_back({"layout", describe(par) + fmt::format(", micro batch {} x {} micro-batches", w.batch, par.micro_batches)});
  f.push_back({"global batch", fmt::format("{} sequences of {} tokens", p.global_batch, w.seq)});
  f.push_back({"time per step", format_seconds(p.seconds_per_step)});
  f.push_back({"tokens/s", format_si(p.tokens_per_second) + " (" +
                               format_si(p.tokens_per_second / static_cast<double>(par.devices())) + " per GPU)"});
  f.push_back({"MFU", format_percent(p.mfu) + " (HFU " + format_percent(p.hfu) + ")"});
  f.push_back({"pipeline bubble", format_percent(p.bubble_fraction)});
  f.push_back({"communication", format_seconds(p.seconds_communication_exposed) + " exposed of " +
                                    format_seconds(p.seconds_communication)});
  f.push_back({"memory", format_bytes(p.memory.bytes_total) + " of " + format_bytes(hw.bytes_memory) +
                             " on the fullest device" + (p.fits ? " (fits)" : " (DOES NOT FIT)")});
  t += render_fields(f, 2) + "\n";
  Table tt({"where the step goes", "time", "share"}, {false, true, true});
  for (size_t i = 0; i < p.seconds_by_part.size(); ++i) {
    if (p.seconds_by_part[i] <= 0) continue;
    tt.add({step_part_name(static_cast<StepPart>(i)), format_seconds(p.seconds_by_part[i]),
            format_percent(p.seconds_by_part[i] / p.seconds_per_step)});
  }
  t += tt.render(2);
  return t;
}

}  // namespace flopscope::api
