// report [MODEL]: the one-screen summary (size, FLOPs per token, memory for training and
// inference, which accelerators hold it at each precision, how many it takes to train).
#include "flopscope/api/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "flopscope/api/common.h"
#include "flopscope/api/options.h"
#include "flopscope/cost/memory.h"
#include "flopscope/cost/parallel.h"
#include "flopscope/hw/hardware.h"
#include "flopscope/hw/system.h"
#include "flopscope/model/load.h"
#include "flopscope/perf/predict.h"
#include "flopscope/plan/train_planner.h"
#include "flopscope/report/table.h"
#include "flopscope/util/units.h"

namespace flopscope::api {

namespace {

// Usable fraction of device memory: allocator fragmentation and reserved memory keep
// frameworks from using all of it (vLLM's default gpu_memory_utilization is 0.9).
constexpr double kUsableMemory = 0.9;


// Devices needed to serve batch 1 at `context`: one replica over n devices, tensor parallel
// inside a node (tp up to 8) and pipeline stages past it (tp 8 x pp), each device holding
// what perf/predict.h's inference_memory_per_device gives (the same figure as
// `predict decode --tp --pp` and the analyses), plus the runtime allowance.
int64_t devices_to_serve(const TransformerSpec& s, const Hardware& hw, DType dtype, int64_t context) {
  flopscope::MemoryOptions o;
  o.weight_dtype = dtype;
  o.kv_dtype = dtype == DType::kFP8 ? DType::kFP8 : DType::kBF16;
  for (int64_t n = 1; n <= 1024; n *= 2) {
    Parallel par;
    par.tp = std::min<int64_t>(n, 8);
    par.pp = n / par.tp;
    if (!validate(par, s)) {
      // tp beyond what divides the heads: the same devices as pipeline stages.
      par.tp = 1;
      par.pp = n;
      if (!validate(par, s)) continue;
    }
    if (inference_memory_per_device(s, 1, context, o, par).bytes_total <= hw.bytes_memory * kUsableMemory) return n;
  }
  return 0;
}

// Devices to train with mixed-precision AdamW: the fewest (a power of two) on which the
// planner (plan/train_planner.h) finds a layout that fits, one sequence per data-parallel
// replica at micro-batch 1 with full recomputation, on the hardware's reference system
// (hw/system.h). 0 when none up to 4096 devices fits; minus the node size when it needs more
// than one node of hardware the catalog knows no network for.
int64_t devices_to_train(const TransformerSpec& s, const Hardware& hw, int64_t seq) {
  const System* reference = SystemCatalog::builtin().for_hardware(hw.id);
  const System system = reference ? *reference : standalone_system(hw);
  const Network network = system.network();
  TimingEngine engine(hw, nullptr, Software::kEager);
  engine.set_network(network);
  flopscope::MemoryOptions mo;
  mo.dropout = s.trains_with_dropout();
  for (int64_t n = 1; n <= 4096; n *= 2) {
    if (n > system.gpus_per_node && !network.multi_node()) return -system.gpus_per_node;
    PlanRequest r;
    r.workload.phase = Phase::kTrainStep;
    r.workload.seq = seq;
    r.workload.dtype = hw.supports(DType::kBF16) ? DType::kBF16 : DType::kFP16;
    r.workload.modules = Modules::kFused;
    r.workload.parallel.gpus_per_node = system.gpus_per_node;
    r.gpus = n;
    r.global_batch = n;
    r.recompute = {Recompute::kFull};
    r.max_micro_batch = 1;
    r.top = 1;
    r.fit_only = true;
    auto plan = plan_training(s, r, hw, system, engine, mo);
    if (plan && plan->fits()) return n;
  }
  return 0;
}

}  // namespace

Result<Output> report(const ReportOptions& a, const Render& render) {
  if (auto st = check_positive("--context", a.context); !st) return st.error();
  if (auto st = check_positive("--seq", a.seq); !st) return st.error();
  auto spec = load_model_option(a.model, a.model_config);
  if (!spec) return spec.error();
  const auto& catalog = HardwareCatalog::builtin();
  ParamCounts p = count_params(*spec);
  Workload fwd;
  fwd.phase = Phase::kForward;
  fwd.seq = a.seq;
  FlopReport rf = count_flops(*spec, fwd);
  Workload dec;
  dec.phase = Phase::kDecode;
  dec.context = a.context;
  FlopReport rd = count_flops(*spec, dec);
  flopscope::MemoryOptions train_o;
  MemoryReport train = training_memory(*spec, 1, a.seq, train_o);
  flopscope::MemoryOptions inf_o;
  MemoryReport infer = inference_memory(*spec, 1, a.context, inf_o);
  const ModelFacts* facts = a.model_config.is_null() ? find_catalog_model(a.model) : nullptr;

  const DType precisions[] = {DType::kBF16, DType::kFP8, DType::kINT8, DType::kINT4};
  Json fit = Json::array();
  Table t({"accelerator", "memory", "bf16", "fp8", "int8", "int4", "to train"}, {false, true, true, true, true, true, true});
  for (const Hardware& hw : catalog.all()) {
    if (hw.kind == "cpu" || hw.bytes_memory <= 0) continue;
    std::vector<std::string> row = {hw.id, format_bytes(hw.bytes_memory)};
    Json entry = {{"hardware", hw.id}, {"bytes_memory", hw.bytes_memory}};
    for (DType d : precisions) {
      int64_t n = devices_to_serve(*spec, hw, d, a.context);
      bool computes = d == DType::kINT4 || hw.supports(d);  // int4 weights run W4A16
      row.push_back(!computes ? "-" : n == 0 ? ">1024" : n == 1 ? "1" : std::to_string(n) + "x");
      entry[std::string("devices_infer_") + std::string(dtype_name(d))] = computes ? n : 0;
    }
    int64_t nt = devices_to_train(*spec, hw, a.seq);
    row.push_back(nt == 0 ? "no" : nt < 0 ? ">" + std::to_string(-nt) + "*" : std::to_string(nt));
    entry["devices_train_mixed_adamw"] = std::max<int64_t>(nt, 0);
    if (nt < 0) entry["devices_train_beyond_one_node"] = true;
    fit.push_back(entry);
    t.add(row);
  }
  const double tokens = static_cast<double>(a.seq);
  Output out;
  if (render.json) {
    Json& j = out.json;
    j = {{"model", spec->name}, {"model_type", spec->model_type}, {"seq", a.seq}, {"context", a.context}};
    j.update(params_json(p));
    j["flops_forward_per_token"] = rf.flops_forward / tokens;
    j["flops_train_per_token_model"] = 3 * rf.flops_forward / tokens;
    j["flops_decode_per_token"] = rd.flops_forward;
    j["bytes_kv_cache_per_token"] = kv_cache_bytes_per_token(*spec, DType::kBF16);
    j["bytes_train_total"] = train.bytes_total;
    j["bytes_infer_total"] = infer.bytes_total;
    j["tokens_trained"] = facts ? facts->tokens_trained : 0;
    j["hardware_fit"] = fit;
    j["conventions"] = conventions_json();
    return out;
  }
  std::string& text = out.text;
  text = style(render, spec->name, "1") + fmt::format("  {}, {} layers, hidden {}, {} heads ({} KV)", spec->model_type,
                                                      spec->num_layers, spec->hidden_size, spec->num_heads,
                                                      spec->num_kv_heads);
  if (spec->moe.active()) text += fmt::format(", {} experts (top {})", spec->moe.num_experts, spec->moe.experts_per_token);
  text += "\n\n";
  std::vector<std::pair<std::string, std::string>> f = {{"parameters", format_params(p.total)}};
  if (spec->moe.active()) f.push_back({"active per token", format_params(p.active)});
  f.push_back({"FLOPs per token", format_si(rf.flops_forward / tokens, "FLOP") + " forward, " +
                                      format_si(3 * rf.flops_forward / tokens, "FLOP") + " training (seq " +
                                      std::to_string(a.seq) + ")"});
  f.push_back({"decode", format_si(rd.flops_forward, "FLOP") + "/token at context " + std::to_string(a.context)});
  f.push_back({"KV cache", format_bytes(kv_cache_bytes_per_token(*spec, DType::kBF16)) + "/token (bf16)"});
  f.push_back({"inference memory", format_bytes(infer.bytes_total) + " (bf16, batch 1, context " + std::to_string(a.context) + ")"});
  f.push_back({"training memory", format_bytes(train.bytes_total) + " on one device (mixed-precision AdamW, seq " +
                                      std::to_string(a.seq) + ", no recompute)"});
  if (facts && facts->tokens_trained > 0) {
    f.push_back({"trained on", format_si(facts->tokens_trained) + " tokens (" +
                                   fmt::format("{:.0f}", facts->tokens_trained / static_cast<double>(p.total)) + " per parameter)"});
  }
  text += render_fields(f, 2) + "\n";
  text += fmt::format("Devices to serve (batch 1, context {}, weights + KV cache + 1 GiB runtime, ", a.context) +
          "90% usable) and to train (the fewest devices on which plan train finds a layout that fits: "
          "mixed-precision AdamW, micro-batch 1, full recompute):\n";
  text += t.render(2);
  text += style(render, "\n'*': more than one node, and the catalog has no network for this hardware (flopscope hardware --systems).", "2");
  text += style(render, "\n'-': the catalog has no peak for that compute type (unsupported, or no source confirmed one). See flopscope memory / count for details.\n", "2");
  return out;
}


Result<ReportOptions> report_options(const Json& j) {
  ReportOptions o;
  OptionsReader r(j, "report");
  r.model("model", o.model, o.model_config).read("seq", o.seq).read("context", o.context);
  if (auto st = r.done(); !st) return st.error();
  return o;
}

}  // namespace flopscope::api
