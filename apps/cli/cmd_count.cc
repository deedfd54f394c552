// flopscope count MODEL: exact parameters and FLOPs (forward, training step, prefill, decode).
#include <fmt/format.h>

#include <algorithm>
#include <iostream>

#include "command.h"
#include "flopscope/cost/lower_transformer.h"
#include "flopscope/cost/parallel.h"
#include "flopscope/report/table.h"
#include "flopscope/util/units.h"
#include "graph_commands.h"
#include "model_options.h"

namespace flopscope::cli {
namespace {

struct CountArgs {
  std::string model;
  int64_t batch = 1;
  int64_t seq = 2048;
  std::vector<std::string> dims;
  std::string hardware;
  bool json = false;
  int64_t tp = 1, pp = 1, ep = 1;  // per-device counts when any is above 1
};

int run(const CountArgs& a) {
  if (is_model_file(a.model) && a.model.size() > 5 && a.model.substr(a.model.size() - 5) != ".gguf") {
    return run_count_file(a.model, a.dims, a.json, a.hardware);
  }
  if (auto st = check_positive("--batch", a.batch); !st) return report_error(st.error());
  if (auto st = check_positive("--seq", a.seq); !st) return report_error(st.error());
  // ONNX-only flags are refused, not ignored, on a transformer config or catalog model.
  if (!a.dims.empty()) {
    return report_error(bad_input("--dim: binds symbolic dimensions of an ONNX graph, not of '" + a.model + "'"));
  }
  if (!a.hardware.empty()) {
    return report_error(bad_input("--hardware: ranks the nodes of an ONNX graph; for '" + a.model +
                                  "' use flopscope predict"));
  }
  auto spec = load_model_arg(a.model);
  if (!spec) return report_error(spec.error());
  ParamCounts p = count_params(*spec);

  Workload fwd;
  fwd.phase = Phase::kForward;
  fwd.batch = a.batch;
  fwd.seq = a.seq;
  if (auto st = validate(fwd); !st) return report_error(st.error());
  Workload train = fwd;
  train.phase = Phase::kTrainStep;
  Workload train_full = train;
  train_full.recompute = Recompute::kFull;
  Workload prefill = fwd;
  prefill.phase = Phase::kPrefill;
  Workload decode = fwd;
  decode.phase = Phase::kDecode;
  decode.context = a.seq;
  // Per device under a layout: the fullest pipeline stage's parameters (matrices / tp, experts
  // / ep) and the forward FLOPs of one device (the last stage's op list, cost/parallel.h).
  Parallel layout;
  layout.tp = a.tp;
  layout.pp = a.pp;
  layout.ep = a.ep;
  layout.dp = a.ep;  // expert parallelism spans data-parallel ranks: the smallest dp that allows it
  const bool per_device = !layout.single_device() || a.ep > 1;
  if (auto st = validate(layout, *spec); !st) return report_error(st.error());
  double device_params_max = std::max(device_params(*spec, layout, true), device_params(*spec, layout, false));
  Workload fwd_device = fwd;
  fwd_device.parallel = layout;
  double device_flops = per_device ? count_flops(*spec, fwd_device).flops_forward : 0;
  FlopReport rf = count_flops(*spec, fwd), rt = count_flops(*spec, train), rtf = count_flops(*spec, train_full);
  FlopReport rp = count_flops(*spec, prefill), rd = count_flops(*spec, decode);
  const double tokens = static_cast<double>(a.batch * a.seq);

  if (a.json) {
    nlohmann::json j = {{"model", spec->name},
                        {"model_type", spec->model_type},
                        {"source", spec->source},
                        {"batch", a.batch},
                        {"seq", a.seq}};
    j.update(params_json(p));
    j["flops_forward"] = rf.flops_forward;
    j["flops_forward_per_token"] = rf.flops_forward / tokens;
    j["flops_forward_dense_attention"] = rf.flops_forward_dense_attention;
    j["flops_forward_dense_attention_per_token"] = rf.flops_forward_dense_attention / tokens;
    j["flops_forward_breakdown"] = breakdown_json(rf.forward);
    j["flops_train_step_model"] = rt.model_flops;
    j["flops_train_step_model_dense_attention"] = rt.model_flops_dense_attention;
    j["flops_train_per_token_model"] = rt.model_flops / tokens;
    j["flops_train_step_hardware"] = rt.hardware_flops;
    j["flops_train_step_hardware_full_recompute"] = rtf.hardware_flops;
    j["flops_prefill"] = rp.flops_forward;
    j["flops_decode_per_token"] = rd.flops_forward / static_cast<double>(a.batch);
    j["decode_context"] = a.seq;
    j["six_n_d"] = 6.0 * static_cast<double>(p.active) * tokens;
    if (per_device) {
      j["layout"] = {{"tp", a.tp}, {"pp", a.pp}, {"ep", a.ep}};
      j["params_per_device"] = device_params_max;
      j["flops_forward_per_device"] = device_flops;
    }
    j["conventions"] = conventions_json();
    print_json(j);
    return 0;
  }
  std::cout << style(spec->name, "1") << "  (" << spec->model_type << ", " << spec->source << ")\n\n";
  std::vector<std::pair<std::string, std::string>> params = {
      {"parameters", format_params(p.total)},
      {"embedding", format_params(p.embedding)},
      {"non-embedding", format_params(p.non_embedding)},
  };
  if (spec->moe.active()) params.push_back({"active per token", format_params(p.active)});
  if (per_device) {
    params.push_back({"per device", format_params(static_cast<int64_t>(device_params_max)) + " parameters, " +
                                        format_si(device_flops, "FLOP") +
                                        fmt::format(" forward (tp {}, pp {}, ep {}; the fullest stage)", a.tp, a.pp,
                                                    a.ep)});
  }
  std::cout << render_fields(params) << "\n";

  std::cout << "Forward FLOPs, batch " << a.batch << " x seq " << a.seq << " (causal attention):\n";
  Table t({"component", "FLOPs", "per token", "share"}, {false, true, true, true});
  const FlopBreakdown& b = rf.forward;
  auto row = [&](const char* name, double f) {
    if (f <= 0) return;
    t.add({name, format_si(f, "FLOP"), format_si(f / tokens, "FLOP"), format_percent(f / rf.flops_forward)});
  };
  row("qkv projections", b.qkv);
  row("attention scores (QK^T)", b.attention_scores);
  row("attention values (PV)", b.attention_values);
  row("attention output proj", b.attention_out);
  row("mlp", b.mlp);
  row("moe router", b.moe_router);
  row("moe routed experts", b.moe_experts);
  row("moe shared experts", b.moe_shared);
  row("lm head", b.lm_head);
  row("pooler", b.pooler);
  t.add_rule();
  row("total (matmul)", rf.flops_forward);
  std::cout << t.render(2) << "\n";

  Table s({"workload", "model FLOPs", "per token", "note"}, {false, true, true, false});
  s.add({"forward", format_si(rf.flops_forward, "FLOP"), format_si(rf.flops_forward / tokens, "FLOP"),
         "dense attention: " + format_si(rf.flops_forward_dense_attention / tokens, "FLOP") + "/token"});
  s.add({"train step", format_si(rt.model_flops, "FLOP"), format_si(rt.model_flops / tokens, "FLOP"),
         "6ND = " + format_si(6.0 * static_cast<double>(p.active) * tokens, "FLOP")});
  s.add({"  hardware, no recompute", format_si(rt.hardware_flops, "FLOP"), format_si(rt.hardware_flops / tokens, "FLOP"), ""});
  s.add({"  hardware, full recompute", format_si(rtf.hardware_flops, "FLOP"), format_si(rtf.hardware_flops / tokens, "FLOP"), ""});
  s.add({"prefill (" + std::to_string(a.seq) + " prompt)", format_si(rp.flops_forward, "FLOP"),
         format_si(rp.flops_forward / tokens, "FLOP"), "LM head on the last token"});
  s.add({"decode @ context " + std::to_string(a.seq), format_si(rd.flops_forward, "FLOP"),
         format_si(rd.flops_forward / static_cast<double>(a.batch), "FLOP"), "per generated token"});
  std::cout << s.render(2);
  std::cout << style("\nFLOP = one add or multiply (multiply-add = 2). Model FLOPs: matmuls, no recomputation.\n", "2");
  return 0;
}

std::function<int()> setup(CLI::App& sub) {
  auto a = std::make_shared<CountArgs>();
  sub.add_option("MODEL", a->model, "Catalog name, HF id, config.json, snapshot folder, .gguf, .onnx or .safetensors")
      ->required();
  sub.add_option("--batch,-b", a->batch, "Sequences per batch")->capture_default_str();
  sub.add_option("--seq,-s", a->seq, "Tokens per sequence (decode is counted at this context)")->capture_default_str();
  sub.add_option("--dim", a->dims, "ONNX: bind a symbolic dimension, NAME=VALUE (repeatable)");
  sub.add_option("--hardware", a->hardware, "ONNX: rank nodes by predicted time on this hardware");
  sub.add_option("--tp", a->tp, "Tensor-parallel degree: add per-device parameters and FLOPs")->capture_default_str();
  sub.add_option("--pp", a->pp, "Pipeline stages (per device: the fullest stage)")->capture_default_str();
  sub.add_option("--ep", a->ep, "Expert-parallel degree (MoE)")->capture_default_str();
  sub.add_flag("--json", a->json, "Machine-readable output (schema: docs/json-schema.md)");
  set_examples(sub, {"flopscope count llama-3.1-70b --tp 8 --pp 2","flopscope count llama-3.1-8b", "flopscope count meta-llama/Llama-3.1-70B --batch 8 --seq 4096 --json",
                     "flopscope count ./my-snapshot/config.json", "flopscope count model.onnx --dim batch=1 --dim seq=128"});
  return [a] { return run(*a); };
}

FLOPSCOPE_COMMAND({"count", "Count parameters and FLOPs (forward, training step, prefill, decode)", setup, 10});

}  // namespace
}  // namespace flopscope::cli
