// `flopscope plan train`: the fastest (or cheapest) training layout on N devices
// (plan/train_planner.h). Flags in, plan_training, print: a table, or one JSON document.
#include <fmt/format.h>

#include <iostream>
#include <memory>

#include "command.h"
#include "progress_line.h"
#include "flopscope/plan/price_catalog.h"
#include "flopscope/plan/train_planner.h"
#include "flopscope/util/units.h"
#include "layout_flags.h"
#include "model_options.h"
#include "predict_common.h"

namespace flopscope::cli {
namespace {

struct PlanOptions {
  Common common;
  std::string model;
  LayoutFlags layout;  // --gpus, --global-batch, --system
  int64_t seq = 0;
  int64_t top = 5;
  std::string objective = "throughput";
  std::vector<std::string> recompute;  // empty: all three
  std::string precision = "mixed";
  double dropout = -1;
};


nlohmann::json or_null(double v) { return v > 0 ? nlohmann::json(v) : nlohmann::json(nullptr); }

nlohmann::json planned_json(const PlannedLayout& p, const std::string& model, const Hardware& hw, const System& sys) {
  nlohmann::json j = parallel_train_json(p.prediction, model, hw, sys);
  j["usd_per_token"] = or_null(p.usd_per_token);
  j["usd_per_million_tokens"] = or_null(p.usd_per_token * 1e6);
  return j;
}

int run(const PlanOptions& o) {
  if (o.layout.gpus <= 0) return report_error(bad_input(fmt::format("--gpus: expected a positive number of devices, got {}", o.layout.gpus)));
  if (o.layout.global_batch <= 0) {
    return report_error(bad_input(fmt::format("--global-batch: expected a positive number of sequences per step, got {}",
                                              o.layout.global_batch)));
  }
  if (o.seq <= 0) return report_error(bad_input(fmt::format("--seq: expected a positive number of tokens, got {}", o.seq)));
  if (o.top <= 0) return report_error(bad_input(fmt::format("--top: expected a positive number of layouts, got {}", o.top)));
  if (o.dropout >= 1) {
    return report_error(bad_input(fmt::format("--dropout: expected a probability from 0 to below 1, got {}", o.dropout)));
  }
  if (o.precision != "mixed" && o.precision != "bf16") {
    return report_error(bad_input("--precision: expected bf16 or mixed, got '" + o.precision + "'"));
  }
  auto objective = parse_plan_objective(o.objective);
  if (!objective) return report_error(objective.error());
  PlanRequest req;
  if (!o.recompute.empty()) {
    req.recompute.clear();
    for (const std::string& r : o.recompute) {
      auto rc = parse_recompute(r);
      if (!rc) return report_error(rc.error());
      if (std::find(req.recompute.begin(), req.recompute.end(), *rc) == req.recompute.end()) req.recompute.push_back(*rc);
    }
  }
  auto s = resolve(o.common, Software::kEager);
  if (!s) return report_error(s.error());
  const Hardware& hw = *s->hardware;
  const InstancePrice* price = PriceCatalog::builtin().cheapest_on_demand(hw.id);
  if (*objective == PlanObjective::kCost && !price) {
    return report_error(bad_input(fmt::format(
        "--objective cost: the price catalog has no on-demand price for '{}'; rank by throughput instead", hw.id)));
  }
  auto spec = load_model_arg(o.model);
  if (!spec) return report_error(spec.error());
  auto system = resolve_system(o.layout.system, hw, o.layout.gpus);
  if (!system) return report_error(system.error());

  Workload& w = req.workload;
  w.phase = Phase::kTrainStep;
  w.seq = o.seq;
  w.dtype = s->dtype;
  w.weight_dtype = s->dtype;
  w.kv_dtype = s->dtype == DType::kFP8 ? DType::kFP8 : DType::kBF16;
  w.mixed_precision = o.precision == "mixed";
  if (o.precision == "bf16") w.grad_reduce_dtype = DType::kBF16;
  w.modules = Modules::kFused;  // as predict train --gpus: Megatron-class stacks
  req.gpus = o.layout.gpus;
  req.global_batch = o.layout.global_batch;
  req.top = o.top;
  req.objective = *objective;
  req.usd_per_device_hour = price ? price->usd_per_device_hour : 0;
  TimingEngine engine(hw, s->profile ? &*s->profile : nullptr, s->software);
  engine.set_network(system->network());
  MemoryOptions mo;
  mo.dropout = o.dropout >= 0 ? o.dropout > 0 : spec->trains_with_dropout();

  ProgressLine progress("plan");
  PlanProgress on_progress;
  if (progress.on()) {
    on_progress = [&progress](int64_t done, int64_t total) {
      progress.show(fmt::format("searching layouts {}/{}", done, total));
    };
  }
  auto r = plan_training(*spec, req, hw, *system, engine, mo, on_progress);
  progress.done();
  if (!r) return report_error(r.error());

  if (!r->fits() && !o.common.json) {
    std::cerr << "flopscope: " << r->why << " (" << r->layouts_searched << " layouts searched)\n";
    return 1;
  }
  if (o.common.json) {
    nlohmann::json j = {{"model", spec->name},
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
                        {"price", price ? nlohmann::json(price->provider + " " + price->instance + " (" +
                                                         price->pricing + ", " + price->date + ")")
                                        : nlohmann::json(nullptr)},
                        {"why", r->why}};
    j["best"] = r->fits() ? planned_json(r->top.front(), spec->name, hw, *system) : nlohmann::json(nullptr);
    nlohmann::json top = nlohmann::json::array();
    for (const PlannedLayout& p : r->top) top.push_back(planned_json(p, spec->name, hw, *system));
    j["top"] = top;
    j["software"] = std::string(software_name(s->software));
    j["calibration"] = s->profile ? "profile" : "catalog defaults";
    j["conventions"] = conventions_json();
    print_json(j);
  } else {
    std::cout << style(spec->name, "1") << " training on " << req.gpus << " x " << hw.name << " (" << system->name
              << "), global batch " << req.global_batch << " x " << o.seq << " tokens\n";
    std::cout << fmt::format("{} layouts searched, {} valid, {} fit; ranked by {}\n\n", format_count(r->layouts_searched),
                             format_count(r->layouts_valid), format_count(r->layouts_fitting),
                             plan_objective_name(req.objective));
    if (!r->top.empty()) {
      std::vector<std::vector<std::string>> rows;
      int rank = 1;
      for (const PlannedLayout& p : r->top) {
        const ParallelPrediction& q = p.prediction;
        rows.push_back({std::to_string(rank++), describe(p.layout), std::to_string(p.micro_batch),
                        recompute_name(p.recompute), format_seconds(q.seconds_per_step), format_si(q.tokens_per_second),
                        format_percent(q.mfu), format_bytes(q.memory.bytes_total),
                        p.usd_per_token > 0 ? format_usd(p.usd_per_token * 1e6) : "-"});
      }
      print_table({"#", "layout", "micro batch", "recompute", "step", "tokens/s", "MFU", "memory", "$/M tokens"}, rows);
      std::cout << "\n";
    }
    std::cout << (r->fits() ? "Why: " : "") << r->why << "\n";
    if (!price) std::cout << "No price for " << hw.id << " in the price catalog: cost per token not shown.\n";
  }
  return r->fits() ? 0 : 1;
}

std::function<int()> setup_plan(CLI::App& sub) {
  auto exit_code = std::make_shared<int>(0);
  sub.require_subcommand(1);
  auto o = std::make_shared<PlanOptions>();
  CLI::App* train = sub.add_subcommand(
      "train", "Search every training layout (tp, sp, pp, v, cp, ep, ZeRO, recompute, micro batch) on N devices");
  train->add_option("MODEL", o->model, "Catalog name, HF id, config.json, snapshot folder or .gguf")->required();
  add_common(*train, o->common, "eager");
  add_layout_flags(*train, o->layout, false);
  train->add_option("--seq,-s", o->seq, "Tokens per sequence")->required();
  train->add_option("--top", o->top, "Layouts to show")->capture_default_str();
  train->add_option("--objective", o->objective, "Rank by throughput or by cost per token (cloud list price)")
      ->capture_default_str();
  train->add_option("--recompute", o->recompute, "Recomputation modes to search (default: none selective full)")
      ->delimiter(',');
  train->add_option("--precision", o->precision, "mixed (fp32 master weights and Adam) or bf16")->capture_default_str();
  train->add_option("--dropout", o->dropout, "Dropout probability (default: the config's) for activation memory");
  set_examples(*train, {"flopscope plan train llama-3.1-70b --hardware h100-sxm --gpus 64 --global-batch 512 --seq 4096",
                        "flopscope plan train llama-3.1-8b --hardware a100-sxm-80gb --gpus 16 --global-batch 256 --seq 4096 "
                        "--objective cost --top 10",
                        "flopscope plan train mixtral-8x7b --hardware h100-sxm --gpus 64 --global-batch 256 --seq 4096 "
                        "--recompute selective,full --json"});
  train->callback([o, exit_code] { *exit_code = run(*o); });
  return [exit_code]() -> int { return *exit_code; };
}

FLOPSCOPE_COMMAND({"plan", "Plan a training run: the fastest or cheapest layout on N devices", setup_plan, 35});

}  // namespace
}  // namespace flopscope::cli
