#include "flopscope/api/optimal.h"

#include <fmt/format.h>

#include <cmath>
#include <map>
#include <optional>
#include <tuple>
#include <vector>

#include "flopscope/api/options.h"
#include "flopscope/cost/flops.h"
#include "flopscope/cost/params.h"
#include "flopscope/hw/hardware.h"
#include "flopscope/model/load.h"
#include "flopscope/plan/price_catalog.h"
#include "flopscope/report/svg.h"
#include "flopscope/report/table.h"
#include "flopscope/scaling/cluster.h"
#include "flopscope/scaling/inference_aware.h"
#include "flopscope/scaling/scaling_law.h"
#include "flopscope/scaling/training_cost.h"
#include "flopscope/util/file.h"
#include "flopscope/util/units.h"

namespace flopscope::api {

namespace {

// FLOP counts span 1e18..1e28: scientific notation reads better than SI prefixes there.
std::string sci(double v) { return fmt::format("{:.3g}", v); }

constexpr const char* kComputeConvention =
    "C = 6 N D training FLOPs (model FLOPs: forward 2N + backward 4N per token, no recomputation)";

std::string loss_text(const std::optional<double>& loss) { return loss ? fmt::format("{:.4f}", *loss) : "-"; }
Json opt_json(const std::optional<double>& v) { return v ? Json(*v) : Json(nullptr); }

// The one place that reaches the hardware and price catalogs.
struct HardwareChoice {
  const Hardware* hw = nullptr;
  double usd_per_device_hour = 0;
  std::string price_source;
};

Result<HardwareChoice> choose_hardware(const OptimalOptions& o) {
  HardwareChoice c;
  if (const Status& st = HardwareCatalog::builtin_status(); !st) return st.error();
  auto hw = HardwareCatalog::builtin().find(o.hardware);
  if (!hw) return hw.error();
  c.hw = *hw;
  if ((*hw)->peak(DType::kBF16) <= 0) {
    return bad_input(fmt::format("--hardware: '{}' has no BF16 peak in the catalog", o.hardware));
  }
  if (o.price > 0) {
    c.usd_per_device_hour = o.price;
    c.price_source = "--price";
  } else if (const InstancePrice* p = PriceCatalog::builtin().cheapest_on_demand(o.hardware)) {
    c.usd_per_device_hour = p->usd_per_device_hour;
    c.price_source = fmt::format("cheapest on-demand: {} {} ({}, {})", p->provider, p->instance, p->date, p->source);
  }
  return c;
}

struct MfuChoice {
  double mfu = 0;
  std::string source;
  double gpus = 0;  ///< the cluster the MFU was predicted on
  std::string layout;
};

constexpr double kDefaultWallSeconds = 90 * 86400.0;

// MFU for a model of `params`: the user's, else the timing engine's prediction of a training
// step of a Llama-shaped model of that size over many devices (scaling/cluster.h): on --gpus
// devices, or on the smallest power-of-two cluster (a node or more) that holds it and trains
// `flops` within 90 days. Memoised per call: the budget iteration asks again.
class MfuChooser {
 public:
  explicit MfuChooser(const OptimalOptions& o) : o_(o) {}
  MfuChoice operator()(const Hardware& hw, double params, double flops) {
    if (o_.mfu > 0) return {o_.mfu, "--mfu", o_.gpus, ""};
    // Round the inputs so the budget iteration converges onto cached entries.
    auto round3 = [](double v) { return v > 0 ? std::pow(10, std::round(std::log10(v) * 100) / 100) : 0; };
    auto key = std::make_tuple(hw.id, round3(params), o_.gpus, o_.gpus > 0 ? 0 : round3(flops));
    if (auto it = memo_.find(key); it != memo_.end()) return it->second;
    Result<ClusterMfu> c = o_.gpus > 0 ? cluster_mfu(hw, params, static_cast<int64_t>(o_.gpus))
                                       : default_cluster(hw, params, flops, kDefaultWallSeconds);
    MfuChoice out;
    if (c && c->mfu > 0) {
      out = {c->mfu,
             fmt::format("predicted for {} GPUs ({}{}, {}; {})", c->gpus, c->layout, c->fits ? "" : ", DOES NOT FIT",
                         c->system,
                         o_.gpus > 0 ? "--gpus" : "the smallest power-of-two cluster that holds it and trains in 90 days"),
             static_cast<double>(c->gpus), c->layout};
    } else {
      out = {default_mfu(hw, params), std::string(default_mfu_source()), o_.gpus, ""};
    }
    memo_.emplace(key, out);
    return out;
  }

 private:
  const OptimalOptions& o_;
  std::map<std::tuple<std::string, double, double, double>, MfuChoice> memo_;
};

Status write_isoflop_svg(const std::string& path, const ScalingLaw& law, double flops) {
  SvgPlot plot(fmt::format("Iso-FLOP curves, {} ({})", law.id, law.name), {"parameters N", true},
               {"predicted loss (nats/token)", false});
  std::vector<std::pair<double, double>> optima;
  std::vector<std::string> labels;
  for (double f : {flops / 100, flops / 10, flops, flops * 10, flops * 100}) {
    IsoFlopCurve c = isoflop_curve(law, f, 81, 30);
    plot.add_line(fmt::format("C = {:.3g} FLOPs", f), c.params_loss, "", f != flops);
    optima.emplace_back(c.optimum.params, *c.optimum.loss);
    labels.push_back(format_si(c.optimum.params));
  }
  std::vector<std::pair<double, double>> frontier;
  for (double e = std::log10(flops) - 2.5; e <= std::log10(flops) + 2.5; e += 0.1) {
    Allocation a = compute_optimal(law, std::pow(10, e));
    frontier.emplace_back(a.params, *a.loss);
  }
  plot.add_line("optimal frontier", frontier, "#000000");
  plot.add_points("optimum per budget", optima, "#d62728", labels);
  return write_file_atomic(path, plot.render());
}

}  // namespace

Result<Output> optimal(const OptimalOptions& o, const Render& render) {
  int given = (o.flops > 0) + (o.gpu_hours > 0) + (o.budget_usd > 0);
  if (given != 1) return bad_input("optimal: give exactly one of --flops, --gpu-hours, --budget-usd");
  if ((o.gpu_hours > 0 || o.budget_usd > 0) && o.hardware.empty()) {
    return bad_input("optimal: --gpu-hours and --budget-usd need --hardware ID (see flopscope hardware)");
  }
  // The ranges and words of the CLI's flag checks (docs/limits.md); 0 is "not given".
  for (auto [flag, v] : {std::pair{"--mfu", o.mfu}, std::pair{"--inference-mfu", o.inference_mfu}}) {
    if (v != 0 && !(v > 0 && v <= 1)) return bad_input(fmt::format("{}: expected a number in (0, 1] (docs/limits.md), got {}", flag, v));
  }

  std::vector<ScalingLaw> laws;
  if (o.law.empty()) {
    laws = builtin_laws();
  } else {
    auto r = resolve_laws(o.law);
    if (!r) return r.error();
    laws = *r;
  }

  std::optional<HardwareChoice> hc;
  if (!o.hardware.empty()) {
    auto c = choose_hardware(o);
    if (!c) return c.error();
    hc = *c;
  }
  double device_hours = o.gpu_hours;
  if (o.budget_usd > 0) {
    if (hc->usd_per_device_hour <= 0) {
      return bad_input(
          fmt::format("--budget-usd: no price for '{}' in the catalog; give --price USD_PER_GPU_HOUR", o.hardware));
    }
    device_hours = o.budget_usd / hc->usd_per_device_hour;
  }
  MfuChooser mfu_for(o);
  // The FLOP budget for one law: with GPU-hours or dollars it depends on the MFU, which may
  // depend on the model size, which depends on the budget (scaling/training_cost.h).
  auto budget_flops = [&](const ScalingLaw& law) {
    if (o.flops > 0 || !hc) return o.flops;
    return budget_flops_fixed_point(law, device_hours, *hc->hw,
                                    [&](double params, double flops) { return mfu_for(*hc->hw, params, flops).mfu; });
  };

  Json out;
  out["compute_convention"] = kComputeConvention;
  out["budget"] = {{"flops", o.flops > 0 ? Json(o.flops) : Json(nullptr)},
                   {"gpu_hours", device_hours > 0 ? Json(device_hours) : Json(nullptr)},
                   {"usd", o.budget_usd > 0 ? Json(o.budget_usd) : Json(nullptr)}};
  if (hc) {
    out["hardware"] = {{"id", hc->hw->id},
                       {"name", hc->hw->name},
                       {"flops_per_second_peak_bf16", hc->hw->peak(DType::kBF16)},
                       {"usd_per_device_hour", hc->usd_per_device_hour > 0 ? Json(hc->usd_per_device_hour) : Json(nullptr)},
                       {"price_source", hc->price_source}};
  } else {
    out["hardware"] = nullptr;
  }

  std::vector<std::vector<std::string>> rows, inf_rows;
  std::vector<std::string> notes;
  Json jlaws = Json::array();
  for (const auto& law : laws) {
    double flops = budget_flops(law);
    Allocation a = compute_optimal(law, flops);
    Json j = {{"id", law.id},
              {"name", law.name},
              {"paper", law.paper},
              {"url", law.url},
              {"optimum_method", law.optimum_method()},
              {"params_counted", law.params == ParamConvention::kTotal ? "total" : "non_embedding"},
              {"flops", flops},
              {"params_optimal", a.params},
              {"tokens_optimal", a.tokens},
              {"tokens_per_param", a.tokens_per_param()},
              {"loss_predicted", opt_json(a.loss)}};
    std::vector<std::string> row = {law.id, sci(flops), format_si(a.params), format_si(a.tokens),
                                    fmt::format("{:.1f}", a.tokens_per_param()), loss_text(a.loss)};
    if (hc) {
      MfuChoice m = mfu_for(*hc->hw, a.params, flops);
      TrainingRun t = training_run(flops, *hc->hw, m.mfu, m.source, hc->usd_per_device_hour, hc->price_source);
      j["training"] = {{"mfu", m.mfu},
                       {"mfu_source", m.source},
                       {"gpu_hours", t.hours_device()},
                       {"seconds_wall", m.gpus > 0 ? Json(t.seconds_wall(m.gpus)) : Json(nullptr)},
                       {"devices", m.gpus > 0 ? Json(m.gpus) : Json(nullptr)},
                       {"gpus", m.gpus > 0 ? Json(m.gpus) : Json(nullptr)},
                       {"layout", m.layout.empty() ? Json(nullptr) : Json(m.layout)},
                       {"usd", t.usd_per_device_hour > 0 ? Json(t.usd()) : Json(nullptr)}};
      row.push_back(format_percent(m.mfu));
      row.push_back(format_si(t.hours_device()));
      if (o.gpus > 0) {
        row.push_back(format_seconds(t.seconds_wall(o.gpus)));
      } else {
        notes.push_back(fmt::format("{}: MFU {}", law.id, m.source));
      }
      row.push_back(t.usd_per_device_hour > 0 ? format_usd(t.usd()) : "-");
    }
    if (o.inference_tokens >= 0) {
      double weight = 1;
      if (o.inference_mfu > 0) {
        double train_mfu = o.mfu > 0 ? o.mfu : hc ? mfu_for(*hc->hw, a.params, flops).mfu : 0.4;
        weight = train_mfu / o.inference_mfu;
      }
      auto r = inference_aware_optimum(law, flops, o.inference_tokens, weight);
      if (!r) {
        j["inference_aware"] = nullptr;
        notes.push_back(fmt::format("{}: {}", law.id, r.error().message));
      } else {
        j["inference_aware"] = {{"inference_tokens", o.inference_tokens},
                                {"inference_cost_weight", weight},
                                {"loss_target", *r->chinchilla.loss},
                                {"params", r->optimal.params},
                                {"tokens", r->optimal.tokens},
                                {"tokens_per_param", r->optimal.tokens_per_param()},
                                {"flops_training", r->optimal.flops},
                                {"flops_total_compute_optimal", r->flops_total_chinchilla},
                                {"flops_total_inference_aware", r->flops_total_optimal},
                                {"params_ratio", r->optimal.params / r->chinchilla.params},
                                {"saving_fraction", r->saving_fraction()}};
        inf_rows.push_back({law.id, format_si(r->chinchilla.params), format_si(r->optimal.params),
                            fmt::format("{:.0f}%", 100 * (1 - r->optimal.params / r->chinchilla.params)),
                            format_si(r->optimal.tokens), sci(r->flops_total_chinchilla), sci(r->flops_total_optimal),
                            format_percent(r->saving_fraction())});
      }
    }
    jlaws.push_back(j);
    rows.push_back(row);
  }
  out["laws"] = jlaws;

  std::string svg_line;
  if (!o.svg.empty()) {
    const ScalingLaw* plotted = nullptr;
    for (const auto& l : laws) {
      if (l.loss) {
        plotted = &l;
        break;
      }
    }
    if (!plotted) return bad_input("--svg: iso-FLOP curves need a law with a loss (hoffmann-3, besiroglu, kaplan)");
    if (Status s = write_isoflop_svg(o.svg, *plotted, budget_flops(*plotted)); !s) return s.error();
    out["svg"] = {{"path", o.svg}, {"law", plotted->id}};
    svg_line = fmt::format("\nWrote iso-FLOP curves for {} to {}\n", plotted->id, o.svg);
  }

  // --model: the exact training FLOPs per token of that architecture (the op list, causal
  // attention at --seq, no recomputation), the tokens the budget buys, and each law's loss.
  std::vector<std::string> arch_lines;
  if (!o.model.empty()) {
    if (o.seq <= 0) return bad_input(fmt::format("--seq: expected a positive integer, got {}", o.seq));
    auto spec = load_model(o.model);
    if (!spec) return spec.error();
    ParamCounts pc = count_params(*spec);
    Workload w;
    w.phase = Phase::kTrainStep;
    w.seq = o.seq;
    double per_token = count_flops(*spec, w).model_flops / static_cast<double>(o.seq);
    double n = static_cast<double>(pc.active);
    double flops = o.flops;
    if (hc) flops = flops_from_device_hours(device_hours, *hc->hw, mfu_for(*hc->hw, n, flops).mfu);
    double tokens = flops / per_token;
    Json arch = {{"model", spec->name},
                 {"params", pc.total},
                 {"params_active", pc.active},
                 {"seq", o.seq},
                 {"flops", flops},
                 {"flops_train_per_token_exact", per_token},
                 {"flops_train_per_token_6n", 6 * n},
                 {"tokens_affordable", tokens},
                 {"tokens_per_param", tokens / n},
                 {"compute_convention", "exact: model FLOPs of the op list (matmuls incl. causal attention, 3x forward)"}};
    Json losses = Json::object();
    for (const auto& law : laws) {
      if (!law.loss) continue;
      double np = law.params == ParamConvention::kTotal ? n : static_cast<double>(pc.active - pc.embedding);
      losses[law.id] = (*law.loss)(np, tokens);
    }
    arch["loss_predicted"] = losses;
    out["architecture"] = arch;
    arch_lines.push_back(fmt::format("{}: {} parameters ({} active); exact training FLOPs per token at seq {}: {} "
                                     "(6N = {}, {:+.1f}%)",
                                     spec->name, format_si(static_cast<double>(pc.total)), format_si(n), o.seq,
                                     format_si(per_token, "FLOP"), format_si(6 * n, "FLOP"), (per_token / (6 * n) - 1) * 100));
    arch_lines.push_back(fmt::format("the budget of {} FLOPs trains it on {} tokens ({:.1f} tokens per parameter)",
                                     sci(flops), format_si(tokens), tokens / n));
    for (const auto& [id, loss] : losses.items()) {
      arch_lines.push_back(fmt::format("loss predicted by {}: {:.4f}", id, loss.get<double>()));
    }
  }

  Output result;
  if (render.json) {
    result.json = std::move(out);
    return result;
  }
  std::string& s = result.text;
  s += std::string("Compute-optimal allocation (") + kComputeConvention + ")\n";
  if (hc) {
    s += fmt::format("Hardware: {} ({} dense BF16 peak); budget {}\n", hc->hw->name,
                     format_si(hc->hw->peak(DType::kBF16), "FLOP/s"),
                     o.budget_usd > 0 ? fmt::format("{} = {} GPU-hours at {}/GPU-hour", format_usd(o.budget_usd),
                                                    format_si(device_hours), format_usd(hc->usd_per_device_hour))
                                      : fmt::format("{} GPU-hours", format_si(device_hours)));
  }
  s += "\n";
  std::vector<std::string> header = {"law", "compute", "params", "tokens", "tokens/param", "loss"};
  if (hc) {
    header.insert(header.end(), {"MFU", "GPU-hours"});
    if (o.gpus > 0) header.push_back(fmt::format("wall ({} GPUs)", o.gpus));
    header.push_back("cost");
  }
  s += render_table(header, rows);
  if (!inf_rows.empty()) {
    s += fmt::format("\nInference-aware optimum (Sardana et al. 2024): same loss, {} lifetime inference tokens, "
                     "minimising 6ND + 2NT{}\n\n",
                     format_si(o.inference_tokens), o.inference_mfu > 0 ? " weighted by cost (MFU ratio)" : "");
    s += render_table({"law", "params (C-opt)", "params (inf-aware)", "smaller by", "tokens", "total FLOPs (C-opt)",
                     "total FLOPs (inf-aware)", "saved"},
                    inf_rows);
  }
  s += "\nNotes:\n";
  s += "  loss: nats/token on each paper's data set; not comparable across laws (Kaplan: WebText2, "
       "non-embedding N). '-' = the law has no loss function.\n";
  if (hc) {
    s += "  MFU: " +
         (o.mfu > 0 ? std::string("--mfu")
                    : std::string("predicted by the timing engine for a training step of a Llama-shaped model of "
                                  "that size over the cluster named per law (scaling/cluster.h: the fastest tp x "
                                  "pp layout that fits, ZeRO-1, 4M-token batches)")) +
         "\n";
    s += "  price: " + (hc->price_source.empty() ? std::string("none in the catalog (give --price)") : hc->price_source) + "\n";
  }
  for (const auto& n : notes) s += "  " + n + "\n";
  if (!arch_lines.empty()) {
    s += "\nArchitecture (--model, exact FLOPs through the pipeline):\n";
    for (const auto& l : arch_lines) s += "  " + l + "\n";
  }
  s += svg_line;
  return result;
}

Result<OptimalOptions> optimal_options(const Json& j) {
  OptimalOptions o;
  OptionsReader r(j, "optimal");
  r.read("flops", o.flops)
      .read("gpu_hours", o.gpu_hours)
      .read("budget_usd", o.budget_usd)
      .read("hardware", o.hardware)
      .read("mfu", o.mfu)
      .read("price", o.price)
      .read("gpus", o.gpus)
      .read("devices", o.gpus)
      .read("law", o.law)
      .read("inference_tokens", o.inference_tokens)
      .read("inference_mfu", o.inference_mfu)
      .read("svg", o.svg)
      .read("model", o.model)
      .read("seq", o.seq);
  if (auto st = r.done(); !st) return st.error();
  return o;
}

}  // namespace flopscope::api
