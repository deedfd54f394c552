#include "flopscope/api/plan.h"

#include <fmt/format.h>

#include <algorithm>

#include "flopscope/api/common.h"
#include "flopscope/api/options.h"
#include "flopscope/api/predict.h"
#include "flopscope/plan/price_catalog.h"
#include "flopscope/plan/train_planner.h"
#include "flopscope/report/table.h"
#include "flopscope/util/units.h"

namespace flopscope::api {

namespace {

Json or_null(double v) { return v > 0 ? Json(v) : Json(nullptr); }

Json planned_json(const PlannedLayout& p, const std::string& model, const Hardware& hw, const System& sys) {
  Json j = parallel_train_json(p.prediction, model, hw, sys);
  j["usd_per_token"] = or_null(p.usd_per_token);
  j["usd_per_million_tokens"] = or_null(p.usd_per_token * 1e6);
  return j;
}

}  // namespace

Result<Output> plan_train(const PlanTrainOptions& o, const Render& render) {
  if (auto st = check_positive("--gpus", o.gpus); !st) return st.error();
  if (o.global_batch <= 0) {
    return bad_input(fmt::format("--global-batch: expected a positive number of sequences per step, got {}", o.global_batch));
  }
  if (auto st = check_positive("--seq", o.seq); !st) return st.error();
  if (o.top <= 0) return bad_input(fmt::format("--top: expected a positive number of layouts, got {}", o.top));
  if (o.dropout >= 1) return bad_input(fmt::format("--dropout: expected a probability from 0 to below 1, got {}", o.dropout));
  if (o.precision != "mixed" && o.precision != "bf16") {
    return bad_input("--precision: expected bf16 or mixed, got '" + o.precision + "'");
  }
  auto objective = parse_plan_objective(o.objective);
  if (!objective) return objective.error();
  PlanRequest req;
  if (!o.recompute.empty()) {
    req.recompute.clear();
    for (const std::string& r : o.recompute) {
      auto rc = parse_recompute(r);
      if (!rc) return rc.error();
      if (std::find(req.recompute.begin(), req.recompute.end(), *rc) == req.recompute.end()) req.recompute.push_back(*rc);
    }
  }
  auto s = resolve_setup(o.hardware, Software::kEager);
  if (!s) return s.error();
  const Hardware& hw = *s->hardware;
  const InstancePrice* price = PriceCatalog::builtin().cheapest_on_demand(hw.id);
  if (*objective == PlanObjective::kCost && !price) {
    return bad_input(fmt::format(
        "--objective cost: the price catalog has no on-demand price for '{}'; rank by throughput instead", hw.id));
  }
  auto spec = load_model_option(o.model, o.model_config);
  if (!spec) return spec.error();
  auto system = resolve_system(o.system, hw, o.gpus);
  if (!system) return system.error();

  Workload& w = req.workload;
  w.phase = Phase::kTrainStep;
  w.seq = o.seq;
  w.dtype = s->dtype;
  w.weight_dtype = s->dtype;
  w.kv_dtype = s->dtype == DType::kFP8 ? DType::kFP8 : DType::kBF16;
  w.mixed_precision = o.precision == "mixed";
  if (o.precision == "bf16") w.grad_reduce_dtype = DType::kBF16;
  w.modules = Modules::kFused;  // as predict train --gpus: Megatron-class stacks
  req.gpus = o.gpus;
  req.global_batch = o.global_batch;
  req.top = o.top;
  req.objective = *objective;
  req.usd_per_device_hour = price ? price->usd_per_device_hour : 0;
  TimingEngine engine(hw, s->profile_or_null(), s->software);
  engine.set_network(system->network());
  MemoryOptions mo;
  mo.dropout = o.dropout >= 0 ? o.dropout > 0 : spec->trains_with_dropout();
  PlanProgress on_progress;
  if (o.progress) {
    on_progress = [&o](int64_t done, int64_t total) { o.progress(fmt::format("searching layouts {}/{}", done, total)); };
  }
  auto r = plan_training(*spec, req, hw, *system, engine, mo, on_progress);
  if (!r) return r.error();

  Output out;
  if (render.json) {
    Json& j = out.json;
    j = {{"model", spec->name},
         {"hardware", hw.id},
         {"system", system->id},
         {"gpus", req.gpus},
         {"global_batch", req.global_batch},
         {"seq", o.seq},
         {"objective", plan_objective_name(req.objective)},
         {"layouts_searched", r->layouts_searched},
         {"layouts_valid", r->layouts_valid},
         {"layouts_fitting", r->layouts_fitting},
         {"usd_per_device_hour", or_null(req.usd_per_device_hour)},
         {"price", price ? Json(price->provider + " " + price->instance + " (" + price->pricing + ", " + price->date + ")")
                         : Json(nullptr)},
         {"why", r->why}};
    j["best"] = r->fits() ? planned_json(r->top.front(), spec->name, hw, *system) : Json(nullptr);
    Json top = Json::array();
    for (const PlannedLayout& p : r->top) top.push_back(planned_json(p, spec->name, hw, *system));
    j["top"] = top;
    j["software"] = std::string(software_name(s->software));
    j["calibration"] = s->profile ? "profile" : "catalog defaults";
    j["conventions"] = conventions_json();
    return out;
  }
  if (!r->fits()) return failure(fmt::format("{} ({} layouts searched)", r->why, r->layouts_searched));
  std::string& t = out.text;
  t += style(render, spec->name, "1") + fmt::format(" training on {} x {} ({}), global batch {} x {} tokens\n", req.gpus,
                                                    hw.name, system->name, req.global_batch, o.seq);
  t += fmt::format("{} layouts searched, {} valid, {} fit; ranked by {}\n\n", format_count(r->layouts_searched),
                   format_count(r->layouts_valid), format_count(r->layouts_fitting), plan_objective_name(req.objective));
  if (!r->top.empty()) {
    std::vector<std::string> header = {"#", "layout", "micro batch", "recompute", "step", "tokens/s", "MFU", "memory", "$/M tokens"};
    std::vector<bool> right(header.size(), true);
    right[0] = false;
    Table table(header, right);
    int rank = 1;
    for (const PlannedLayout& p : r->top) {
      const ParallelPrediction& q = p.prediction;
      table.add({std::to_string(rank++), describe(p.layout), std::to_string(p.micro_batch), recompute_name(p.recompute),
                 format_seconds(q.seconds_per_step), format_si(q.tokens_per_second), format_percent(q.mfu),
                 format_bytes(q.memory.bytes_total), p.usd_per_token > 0 ? format_usd(p.usd_per_token * 1e6) : "-"});
    }
    t += table.render() + "\n";
  }
  t += "Why: " + r->why + "\n";
  if (!price) t += "No price for " + hw.id + " in the price catalog: cost per token not shown.\n";
  return out;
}

Result<PlanTrainOptions> plan_train_options(const Json& j) {
  PlanTrainOptions o;
  OptionsReader r(j, "plan/train");
  r.model("model", o.model, o.model_config);
  read_engine_options(r, o.hardware);
  r.read("gpus", o.gpus)
      .read("global_batch", o.global_batch)
      .read("system", o.system)
      .read("seq", o.seq)
      .read("top", o.top)
      .read("objective", o.objective)
      .read("recompute", o.recompute)
      .read("precision", o.precision)
      .read("dropout", o.dropout);
  if (auto st = r.done(); !st) return st.error();
  return o;
}

}  // namespace flopscope::api
