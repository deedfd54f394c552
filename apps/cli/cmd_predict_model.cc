// predict prefill | decode | train: a model on hardware, through the op list and the
// timing engine (perf/predict.h).
#include <fmt/format.h>

#include <iostream>
#include <optional>

#include "flopscope/perf/predict.h"
#include "flopscope/report/table.h"
#include "flopscope/util/units.h"
#include "command.h"
#include "model_options.h"
#include "predict_common.h"
#include "layout_flags.h"
#include "predict_model.h"

namespace flopscope::cli {
namespace {

struct ModelOptions {
  Common common;
  std::string model;
  Phase phase = Phase::kPrefill;
  int64_t batch = 1;
  int64_t seq = 0;      // prompt (prefill) or sequence (train)
  int64_t context = 0;  // decode
  std::string weights;  // weight dtype (default: the compute dtype)
  std::string kv_dtype;
  std::string recompute = "none";
  std::string precision = "mixed";
  std::string optimizer = "adamw";
  bool no_flash = false;
  std::string modules;  // empty: default_modules(phase)
  int64_t top = 10;
  LayoutFlags layout;
  bool many = false;          // a many-device flag was given (train)
  bool inference_layout = false;  // --tp / --pp / --system given to prefill or decode
  std::optional<double> dropout;  // --dropout: overrides the config's probabilities
};

nlohmann::json rows_json(const std::vector<OpRow>& rows) {
  nlohmann::json a = nlohmann::json::array();
  for (const OpRow& r : rows) {
    a.push_back({{"name", r.op->name},
                 {"kind", op_kind_name(r.op->kind)},
                 {"count", r.op->count},
                 {"seconds", r.seconds},
                 {"flops", r.op->total_flops()},
                 {"bytes", r.op->total_bytes()},
                 {"bound", std::string(bound_name(r.bound))}});
  }
  return a;
}

// `predict train --gpus N ...`: the many-device path (perf/parallel.h).
int run_many(const ModelOptions& o, Workload w, const Setup& s, const TransformerSpec& spec) {
  const Hardware& hw = *s.hardware;
  int64_t gpus = o.layout.gpus > 0 ? o.layout.gpus : o.layout.tp * o.layout.pp * o.layout.cp;
  if (o.layout.global_batch <= 0) {
    return report_error(bad_input("--global-batch: expected a positive number of sequences per step (with --gpus)"));
  }
  auto system = resolve_system(o.layout.system, hw, gpus);
  if (!system) return report_error(system.error());
  w.parallel = to_parallel(o.layout);
  w.parallel.gpus_per_node = system->gpus_per_node;
  // Many-device training runs Megatron-class stacks: fused norms, rotary and loss.
  if (o.modules.empty()) w.modules = Modules::kFused;
  if (o.precision == "bf16") w.grad_reduce_dtype = DType::kBF16;
  TimingEngine engine(hw, s.profile ? &*s.profile : nullptr, s.software);
  engine.set_network(system->network());
  MemoryOptions mo;
  mo.dropout = spec.trains_with_dropout();
  auto p = predict_training(spec, w, gpus, o.layout.global_batch, hw, engine, mo);
  if (!p) return report_error(p.error());
  if (o.common.json) {
    nlohmann::json j = parallel_train_json(*p, spec.name, hw, *system);
    j["software"] = std::string(software_name(s.software));
    j["calibration"] = s.profile ? "profile" : "catalog defaults";
    j["dropout"] = mo.dropout;
    j["conventions"] = conventions_json();
    print_json(j);
  } else {
    print_parallel_train(*p, spec.name, hw, *system);
  }
  return 0;
}

int run(const ModelOptions& o) {
  Workload w;
  w.phase = o.phase;
  w.batch = o.batch;
  w.seq = o.phase == Phase::kDecode ? 1 : o.seq;
  w.context = o.context;
  if (o.many && o.batch == 0) {
    // --micro-batch left out: predict_training chooses it.
  } else if (auto st = check_positive(o.phase == Phase::kTrainStep ? "--micro-batch" : "--batch", o.batch); !st) {
    return report_error(st.error());
  }
  if (o.dropout && !(*o.dropout >= 0 && *o.dropout < 1)) {
    return report_error(bad_input(fmt::format("--dropout: expected a probability in [0, 1), got {}", *o.dropout)));
  }
  if (o.phase == Phase::kPrefill) {
    if (auto st = check_positive("--prompt", o.seq); !st) return report_error(st.error());
  } else if (o.phase == Phase::kTrainStep) {
    if (auto st = check_positive("--seq", o.seq); !st) return report_error(st.error());
  } else if (auto st = check_positive("--context", o.context); !st) {
    return report_error(st.error());
  }
  if (auto st = check_positive("--top", o.top); !st) return report_error(st.error());
  auto s = resolve(o.common, default_software(o.phase));
  if (!s) return report_error(s.error());
  w.dtype = s->dtype;
  w.weight_dtype = s->dtype;
  if (!o.weights.empty()) {
    auto wd = parse_dtype(o.weights, "--weights");
    if (!wd) return report_error(wd.error());
    w.weight_dtype = *wd;
  }
  w.kv_dtype = s->dtype == DType::kFP8 ? DType::kFP8 : DType::kBF16;
  if (!o.kv_dtype.empty()) {
    auto kd = parse_dtype(o.kv_dtype, "--kv-dtype");
    if (!kd) return report_error(kd.error());
    w.kv_dtype = *kd;
  }
  auto rc = parse_recompute(o.recompute);
  if (!rc) return report_error(rc.error());
  w.recompute = *rc;
  if (o.precision != "mixed" && o.precision != "bf16")
    return report_error(bad_input("--precision: expected bf16 or mixed, got '" + o.precision + "'"));
  if (o.optimizer != "adamw") return report_error(bad_input("--optimizer: expected adamw, got '" + o.optimizer + "'"));
  w.mixed_precision = o.precision == "mixed";
  w.flash_attention = !o.no_flash;
  w.modules = default_modules(o.phase);
  if (!o.modules.empty()) {
    auto m = parse_modules(o.modules);
    if (!m) return report_error(m.error());
    w.modules = *m;
  }

  auto spec = load_model_arg(o.model);
  if (!spec) return report_error(spec.error());
  if (o.dropout) spec->attention_dropout = spec->hidden_dropout = *o.dropout;  // what memory counts
  if (o.many) return run_many(o, w, *s, *spec);
  TimingEngine engine(*s->hardware, s->profile ? &*s->profile : nullptr, s->software);
  // Inference across devices (--tp, --pp): the collectives run on the system's network.
  std::optional<System> system;
  if (o.inference_layout) {
    if (auto st = check_positive("--tp", o.layout.tp); !st) return report_error(st.error());
    if (auto st = check_positive("--pp", o.layout.pp); !st) return report_error(st.error());
    w.parallel.tp = o.layout.tp;
    w.parallel.pp = o.layout.pp;
    if (auto st = validate(w.parallel, *spec); !st) return report_error(st.error());
    auto sys = resolve_system(o.layout.system, *s->hardware, w.parallel.devices());
    if (!sys) return report_error(sys.error());
    system = *sys;
    w.parallel.gpus_per_node = system->gpus_per_node;
    engine.set_network(system->network());
  }
  auto p = predict(*spec, w, *s->hardware, engine);
  if (!p) return report_error(p.error());
  auto top = top_ops(*p, static_cast<size_t>(o.top));
  const double tokens = static_cast<double>(w.tokens());

  if (o.common.json) {
    nlohmann::json j = {{"model", spec->name},
                        {"phase", phase_name(o.phase)},
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
                        {"gpus", w.parallel.devices()},
                        {"layout", {{"tp", w.parallel.tp}, {"pp", w.parallel.pp}}},
                        {"seconds_communication", p->seconds_communication},
                        {"conventions", conventions_json()}};
    if (system) j["system"] = system->id;
    if (w.parallel.pp > 1) j["seconds_stage"] = p->seconds_stage;
    if (o.phase == Phase::kPrefill) {
      j["seconds"] = p->seconds;
      j["prompt"] = o.seq;
      j["tokens_per_second"] = p->tokens_per_second;
    } else if (o.phase == Phase::kDecode) {
      j["seconds_per_step"] = p->seconds;
      j["context"] = o.context;
      j["tokens_per_second"] = p->tokens_per_second;
    } else {
      j["seconds_per_step"] = p->seconds;
      j["seq"] = o.seq;
      j["tokens_per_second"] = p->tokens_per_second;
      j["recompute"] = recompute_name(w.recompute);
      j["precision"] = o.precision;
    }
    print_json(j);
    return 0;
  }
  std::cout << style(spec->name, "1") << " " << phase_name(o.phase) << " on "
            << (w.parallel.single_device() ? std::string() : fmt::format("{} x ", w.parallel.devices()))
            << s->hardware->name << " ("
            << dtype_name(w.dtype) << ", " << software_name(s->software) << ", "
            << (s->profile ? "calibration profile" : "catalog efficiencies") << ")\n\n";
  Table t({"op", "x", "time", "share", "bound"}, {false, true, true, true, false});
  for (const OpRow& r : top) {
    t.add({r.op->name, std::to_string(r.op->count), format_seconds(r.seconds), format_percent(r.seconds / p->seconds_stage),
           std::string(bound_name(r.bound))});
  }
  std::cout << "Top " << top.size() << " of " << p->ops.size() << " ops by time:\n" << t.render(2) << "\n";
  std::vector<std::pair<std::string, std::string>> f;
  if (system) {
    f.push_back({"layout", fmt::format("tp {} pp {} on {} ({} devices)", w.parallel.tp, w.parallel.pp, system->name,
                                       w.parallel.devices())});
  }
  const char* step = o.phase == Phase::kPrefill ? "time" : "time per step";
  f.push_back({step, format_seconds(p->seconds) + (w.parallel.pp > 1 ? " (one request through every stage)" : "")});
  f.push_back({o.phase == Phase::kDecode ? "generated tokens/s" : "tokens/s",
               format_si(p->tokens_per_second) + (w.parallel.pp > 1 ? fmt::format(" ({} micro-batches in the pipeline)", w.parallel.pp) : "")});
  if (!w.parallel.single_device()) {
    f.push_back({"communication", format_seconds(p->seconds_communication) + " (" +
                                      format_percent(p->seconds_communication / p->seconds) + ", exposed)"});
  }
  f.push_back({"model FLOPs", format_si(p->flops.model_flops, "FLOP")});
  f.push_back({"MFU", format_percent(p->mfu) + " (model FLOPs / dense " + std::string(dtype_name(w.dtype)) + " peak; HFU " +
                          format_percent(p->hfu) + ")"});
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
  std::cout << render_fields(f, 2);
  return 0;
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

std::function<void()> bind_inference(std::shared_ptr<ModelOptions> o, CLI::App* sub, int& exit_code) {
  return [o, sub, &exit_code] {
    o->inference_layout = sub->count("--tp") + sub->count("--pp") + sub->count("--system") > 0;
    exit_code = run(*o);
  };
}

void add_model(CLI::App& sub, ModelOptions& o, const char* software_default) {
  sub.add_option("MODEL", o.model, "Catalog name, HF id, config.json, snapshot folder or .gguf")->required();
  add_common(sub, o.common, software_default);
  sub.add_option("--weights", o.weights, "Weight dtype if it differs (int4, int8, fp8: quantized serving)");
  sub.add_option("--kv-dtype", o.kv_dtype, "KV-cache dtype (default bf16; fp8 with --dtype fp8)");
  sub.add_flag("--no-flash", o.no_flash, "Unfused attention (scores written to memory)");
  sub.add_option("--modules", o.modules,
                 "How norms, rotary and the loss are written: fused (serving engines: one kernel each), pytorch "
                 "(plain PyTorch: one-kernel F.rms_norm, fused projections) or transformers (Hugging Face modules "
                 "op by op). Default: transformers for train, pytorch otherwise");
  sub.add_option("--top", o.top, "Ops to list")->capture_default_str();
}

}  // namespace

void register_predict_model_commands(CLI::App& predict, int& exit_code) {
  auto pre = std::make_shared<ModelOptions>();
  pre->phase = Phase::kPrefill;
  CLI::App* prefill = predict.add_subcommand("prefill", "Time to process a prompt (PyTorch eager by default)");
  add_model(*prefill, *pre, "eager");
  prefill->add_option("--batch,-b", pre->batch, "Prompts")->capture_default_str();
  prefill->add_option("--prompt,-p", pre->seq, "Prompt tokens")->required();
  set_examples(*prefill, {"flopscope predict prefill llama-3.1-8b --batch 1 --prompt 2048 --hardware h100-sxm",
                          "flopscope predict prefill llama-3.1-70b --prompt 8192 --hardware h200 --dtype fp8 --json",
                          "flopscope predict prefill llama-3.1-70b --prompt 4096 --hardware h100-sxm --tp 4"});
  add_inference_layout(*prefill, *pre);
  prefill->callback(bind_inference(pre, prefill, exit_code));

  auto dec = std::make_shared<ModelOptions>();
  dec->phase = Phase::kDecode;
  CLI::App* decode = predict.add_subcommand("decode", "Time per generated token (CUDA graphs by default)");
  add_model(*decode, *dec, "graphs");
  decode->add_option("--batch,-b", dec->batch, "Sequences decoding together")->capture_default_str();
  decode->add_option("--context,-c", dec->context, "Tokens already in the KV cache")->required();
  set_examples(*decode, {"flopscope predict decode llama-3.1-8b --batch 16 --context 4096 --hardware h100-sxm",
                         "flopscope predict decode mixtral-8x7b --batch 1 --context 1024 --hardware a100-sxm-80gb --weights int4",
                         "flopscope predict decode llama-3.1-70b --context 4096 --hardware h100-sxm --tp 8 --json",
                         "flopscope predict decode llama-3.1-405b --context 4096 --hardware h100-sxm --tp 8 --pp 2"});
  add_inference_layout(*decode, *dec);
  decode->callback(bind_inference(dec, decode, exit_code));

  auto tr = std::make_shared<ModelOptions>();
  tr->phase = Phase::kTrainStep;
  CLI::App* train = predict.add_subcommand(
      "train", "Time, throughput, MFU and memory of one training step, on one device or many (--gpus)");
  add_model(*train, *tr, "eager");
  train->add_option("--micro-batch,-b", tr->batch,
                    "Sequences per device per micro-step (default 1; with --gpus the fastest that fits)");
  add_layout_flags(*train, tr->layout);
  train->add_option("--dropout", tr->dropout, "Dropout probability (default: the config's) for activation memory");
  train->add_option("--seq,-s", tr->seq, "Tokens per sequence")->required();
  train->add_option("--recompute", tr->recompute, "Activation recomputation: none, selective, full")->capture_default_str();
  train->add_option("--precision", tr->precision, "mixed (fp32 master weights and Adam) or bf16")->capture_default_str();
  train->add_option("--optimizer", tr->optimizer, "adamw")->capture_default_str();
  set_examples(*train, {"flopscope predict train llama-3.2-1b --micro-batch 8 --seq 2048 --hardware h100-sxm",
                        "flopscope predict train llama-3.1-8b --micro-batch 1 --seq 4096 --recompute full --hardware h100-sxm --json",
                        "flopscope predict train llama-3.1-70b --hardware h100-sxm --gpus 64 --tp 8 --sp --pp 2 "
                        "--global-batch 512 --seq 8192 --recompute selective",
                        "flopscope predict train mixtral-8x7b --hardware h100-sxm --gpus 64 --tp 2 --ep 8 --zero 1 "
                        "--global-batch 256 --seq 4096 --json"});
  train->callback([tr, train, &exit_code] {
    tr->many = tr->layout.given(*train);
    if (tr->many && train->count("--micro-batch") == 0) tr->batch = 0;
    exit_code = run(*tr);
  });

  register_predict_graph_command(predict, exit_code);
}

}  // namespace flopscope::cli
