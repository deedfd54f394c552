// `flopscope optimal`: the compute-optimal model size and token count for a budget given in
// FLOPs, GPU-hours or dollars, under each published scaling law (data/scaling/laws.toml) or
// one chosen with --law; with hardware, the time and cost to train; with --inference-tokens,
// the inference-aware optimum of Sardana et al. 2024; with --svg, iso-FLOP curves.
// Training compute is C = 6 N D (model FLOPs, PaLM convention: no recomputation).
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <iostream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

#include "command.h"
#include "flopscope/cost/flops.h"
#include "flopscope/cost/params.h"
#include "flopscope/hw/hardware.h"
#include "flopscope/model/load.h"
#include "flopscope/plan/price_catalog.h"
#include "flopscope/report/svg.h"
#include "flopscope/scaling/cluster.h"
#include "flopscope/scaling/inference_aware.h"
#include "flopscope/scaling/scaling_law.h"
#include "flopscope/scaling/training_cost.h"
#include "flopscope/util/file.h"
#include "flopscope/util/units.h"

namespace flopscope::cli {
namespace {

// FLOP counts span 1e18..1e28: scientific notation reads better than SI prefixes there.
std::string sci(double v) { return fmt::format("{:.3g}", v); }

constexpr const char* kComputeConvention =
    "C = 6 N D training FLOPs (model FLOPs: forward 2N + backward 4N per token, no recomputation)";

std::string loss_text(const std::optional<double>& loss) { return loss ? fmt::format("{:.4f}", *loss) : "-"; }
nlohmann::json opt_json(const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); }

struct Options {
  double flops = 0, gpu_hours = 0, budget_usd = 0, mfu = 0, price = 0, inference_tokens = -1, inference_mfu = 0;
  double devices = 0;
  std::string hardware, law, svg;
  std::string model;  ///< an architecture to train on the budget, counted through the pipeline
  int64_t seq = 4096;
  bool json = false;
};

// The one place that reaches the hardware and price catalogs.
struct HardwareChoice {
  const Hardware* hw = nullptr;
  double usd_per_device_hour = 0;
  std::string price_source;
};

Result<HardwareChoice> choose_hardware(const Options& o) {
  HardwareChoice c;
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

// MFU for a model of `params`: the user's, else the timing engine's prediction of a training
// step of a Llama-shaped model of that size over many devices (scaling/cluster.h): on
// --gpus devices, or on the smallest power-of-two cluster (a node or more) that holds it
// and trains `flops` within 90 days. Memoised: the budget iteration asks again.
struct MfuChoice {
  double mfu = 0;
  std::string source;
  double gpus = 0;      ///< the cluster the MFU was predicted on
  std::string layout;
};

constexpr double kDefaultWallSeconds = 90 * 86400.0;

MfuChoice mfu_for(const Options& o, const Hardware& hw, double params, double flops) {
  if (o.mfu > 0) return {o.mfu, "--mfu", o.devices, ""};
  static std::map<std::tuple<std::string, double, double, double>, MfuChoice> memo;
  // Round the inputs so the budget iteration converges onto cached entries.
  auto round3 = [](double v) { return v > 0 ? std::pow(10, std::round(std::log10(v) * 100) / 100) : 0; };
  auto key = std::make_tuple(hw.id, round3(params), o.devices, o.devices > 0 ? 0 : round3(flops));
  if (auto it = memo.find(key); it != memo.end()) return it->second;
  Result<ClusterMfu> c = o.devices > 0 ? cluster_mfu(hw, params, static_cast<int64_t>(o.devices))
                                       : default_cluster(hw, params, flops, kDefaultWallSeconds);
  MfuChoice out;
  if (c && c->mfu > 0) {
    out = {c->mfu,
           fmt::format("predicted for {} GPUs ({}{}, {}; {})", c->gpus, c->layout, c->fits ? "" : ", DOES NOT FIT",
                       c->system,
                       o.devices > 0 ? "--gpus" : "the smallest power-of-two cluster that holds it and trains in 90 days"),
           static_cast<double>(c->gpus), c->layout};
  } else {
    out = {default_mfu(hw, params), std::string(default_mfu_source()), o.devices, ""};
  }
  memo.emplace(key, out);
  return out;
}

// The FLOP budget for one law: with GPU-hours or dollars it depends on the MFU, which may
// depend on the model size, which depends on the budget: iterate to a fixed point.
double budget_flops(const Options& o, const ScalingLaw& law, const HardwareChoice& hc, double device_hours) {
  if (o.flops > 0) return o.flops;
  double params = 1e9, flops = flops_from_device_hours(device_hours, *hc.hw, 0.4);
  for (int i = 0; i < 8; ++i) {
    flops = flops_from_device_hours(device_hours, *hc.hw, mfu_for(o, *hc.hw, params, flops).mfu);
    params = compute_optimal(law, flops).params;
  }
  return flops;
}

Status write_isoflop_svg(const std::string& path, const ScalingLaw& law, double flops) {
  SvgPlot plot(fmt::format("Iso-FLOP curves, {} ({})", law.id, law.name),
               {"parameters N", true}, {"predicted loss (nats/token)", false});
  std::vector<std::pair<double, double>> optima;
  std::vector<std::string> labels;
  double lo = 1e300, hi = -1e300;
  for (double f : {flops / 100, flops / 10, flops, flops * 10, flops * 100}) {
    IsoFlopCurve c = isoflop_curve(law, f, 81, 30);
    for (auto [n, l] : c.params_loss) lo = std::min(lo, l), hi = std::max(hi, l);
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
  (void)lo, (void)hi;
  return write_file_atomic(path, plot.render());
}

int run(const Options& o) {
  int given = (o.flops > 0) + (o.gpu_hours > 0) + (o.budget_usd > 0);
  if (given != 1) return report_error(bad_input("optimal: give exactly one of --flops, --gpu-hours, --budget-usd"));
  if ((o.gpu_hours > 0 || o.budget_usd > 0) && o.hardware.empty()) {
    return report_error(bad_input("optimal: --gpu-hours and --budget-usd need --hardware ID (see flopscope hardware)"));
  }
  if (o.mfu < 0 || o.mfu > 1) return report_error(bad_input(fmt::format("--mfu: expected a fraction in (0, 1], got {}", o.mfu)));

  std::vector<ScalingLaw> laws;
  if (o.law.empty()) {
    laws = builtin_laws();
  } else {
    auto r = resolve_laws(o.law);
    if (!r) return report_error(r.error());
    laws = *r;
  }

  std::optional<HardwareChoice> hc;
  if (!o.hardware.empty()) {
    auto c = choose_hardware(o);
    if (!c) return report_error(c.error());
    hc = *c;
  }
  double device_hours = o.gpu_hours;
  if (o.budget_usd > 0) {
    if (hc->usd_per_device_hour <= 0) {
      return report_error(bad_input(fmt::format("--budget-usd: no price for '{}' in the catalog; give --price USD_PER_GPU_HOUR", o.hardware)));
    }
    device_hours = o.budget_usd / hc->usd_per_device_hour;
  }

  nlohmann::json out;
  out["compute_convention"] = kComputeConvention;
  out["budget"] = {{"flops", o.flops > 0 ? nlohmann::json(o.flops) : nlohmann::json(nullptr)},
                   {"gpu_hours", device_hours > 0 ? nlohmann::json(device_hours) : nlohmann::json(nullptr)},
                   {"usd", o.budget_usd > 0 ? nlohmann::json(o.budget_usd) : nlohmann::json(nullptr)}};
  if (hc) {
    out["hardware"] = {{"id", hc->hw->id},
                       {"name", hc->hw->name},
                       {"flops_per_second_peak_bf16", hc->hw->peak(DType::kBF16)},
                       {"usd_per_device_hour", hc->usd_per_device_hour > 0 ? nlohmann::json(hc->usd_per_device_hour) : nlohmann::json(nullptr)},
                       {"price_source", hc->price_source}};
  } else {
    out["hardware"] = nullptr;
  }

  std::vector<std::vector<std::string>> rows, inf_rows;
  std::vector<std::string> notes;
  nlohmann::json jlaws = nlohmann::json::array();
  for (const auto& law : laws) {
    double flops = hc ? budget_flops(o, law, *hc, device_hours) : o.flops;
    Allocation a = compute_optimal(law, flops);
    nlohmann::json j = {{"id", law.id},
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
      MfuChoice m = mfu_for(o, *hc->hw, a.params, flops);
      const double mfu = m.mfu;
      TrainingRun t = training_run(flops, *hc->hw, mfu, m.source, hc->usd_per_device_hour, hc->price_source);
      j["training"] = {{"mfu", mfu},
                       {"mfu_source", m.source},
                       {"gpu_hours", t.hours_device()},
                       {"seconds_wall", m.gpus > 0 ? nlohmann::json(t.seconds_wall(m.gpus)) : nlohmann::json(nullptr)},
                       {"devices", m.gpus > 0 ? nlohmann::json(m.gpus) : nlohmann::json(nullptr)},
                       {"gpus", m.gpus > 0 ? nlohmann::json(m.gpus) : nlohmann::json(nullptr)},
                       {"layout", m.layout.empty() ? nlohmann::json(nullptr) : nlohmann::json(m.layout)},
                       {"usd", t.usd_per_device_hour > 0 ? nlohmann::json(t.usd()) : nlohmann::json(nullptr)}};
      row.push_back(format_percent(mfu));
      row.push_back(format_si(t.hours_device()));
      if (o.devices > 0) {
        row.push_back(format_seconds(t.seconds_wall(o.devices)));
      } else {
        notes.push_back(fmt::format("{}: MFU {}", law.id, m.source));
      }
      row.push_back(t.usd_per_device_hour > 0 ? format_usd(t.usd()) : "-");
    }
    if (o.inference_tokens >= 0) {
      double weight = o.inference_mfu > 0 ? (o.mfu > 0 ? o.mfu : hc ? mfu_for(o, *hc->hw, a.params, flops).mfu : 0.4) / o.inference_mfu : 1;
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
                            format_si(r->optimal.tokens), sci(r->flops_total_chinchilla),
                            sci(r->flops_total_optimal), format_percent(r->saving_fraction())});
      }
    }
    jlaws.push_back(j);
    rows.push_back(row);
  }
  out["laws"] = jlaws;

  if (!o.svg.empty()) {
    const ScalingLaw* plotted = nullptr;
    for (const auto& l : laws) {
      if (l.loss) {
        plotted = &l;
        break;
      }
    }
    if (!plotted) return report_error(bad_input("--svg: iso-FLOP curves need a law with a loss (hoffmann-3, besiroglu, kaplan)"));
    double flops = hc ? budget_flops(o, *plotted, *hc, device_hours) : o.flops;
    Status s = write_isoflop_svg(o.svg, *plotted, flops);
    if (!s) return report_error(s.error());
    out["svg"] = {{"path", o.svg}, {"law", plotted->id}};
    std::cerr << fmt::format("flopscope: wrote iso-FLOP curves for {} to {}\n", plotted->id, o.svg);
  }

  // --model: the exact training FLOPs per token of that architecture (the op list, causal
  // attention at --seq, no recomputation), the tokens the budget buys, and each law's loss.
  std::vector<std::string> arch_lines;
  if (!o.model.empty()) {
    if (o.seq <= 0) return report_error(bad_input(fmt::format("--seq: expected a positive integer, got {}", o.seq)));
    auto spec = load_model(o.model);
    if (!spec) return report_error(spec.error());
    ParamCounts pc = count_params(*spec);
    Workload w;
    w.phase = Phase::kTrainStep;
    w.seq = o.seq;
    double per_token = count_flops(*spec, w).model_flops / static_cast<double>(o.seq);
    double n = static_cast<double>(pc.active);
    double flops = o.flops;
    if (hc) flops = flops_from_device_hours(device_hours, *hc->hw, mfu_for(o, *hc->hw, n, flops).mfu);
    double tokens = flops / per_token;
    nlohmann::json arch = {{"model", spec->name},
                           {"params", pc.total},
                           {"params_active", pc.active},
                           {"seq", o.seq},
                           {"flops", flops},
                           {"flops_train_per_token_exact", per_token},
                           {"flops_train_per_token_6n", 6 * n},
                           {"tokens_affordable", tokens},
                           {"tokens_per_param", tokens / n},
                           {"compute_convention", "exact: model FLOPs of the op list (matmuls incl. causal attention, 3x forward)"}};
    nlohmann::json losses = nlohmann::json::object();
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

  if (o.json) {
    print_json(out);
    return 0;
  }
  std::cout << "Compute-optimal allocation (" << kComputeConvention << ")\n";
  if (hc) {
    std::cout << fmt::format("Hardware: {} ({} dense BF16 peak); budget {}\n", hc->hw->name,
                             format_si(hc->hw->peak(DType::kBF16), "FLOP/s"),
                             o.budget_usd > 0 ? fmt::format("{} = {} GPU-hours at {}/GPU-hour", format_usd(o.budget_usd),
                                                            format_si(device_hours), format_usd(hc->usd_per_device_hour))
                                              : fmt::format("{} GPU-hours", format_si(device_hours)));
  }
  std::cout << "\n";
  std::vector<std::string> header = {"law", "compute", "params", "tokens", "tokens/param", "loss"};
  if (hc) {
    header.insert(header.end(), {"MFU", "GPU-hours"});
    if (o.devices > 0) header.push_back(fmt::format("wall ({} GPUs)", o.devices));
    header.push_back("cost");
  }
  print_table(header, rows);
  if (!inf_rows.empty()) {
    std::cout << fmt::format("\nInference-aware optimum (Sardana et al. 2024): same loss, {} lifetime inference tokens, "
                             "minimising 6ND + 2NT{}\n\n",
                             format_si(o.inference_tokens), o.inference_mfu > 0 ? " weighted by cost (MFU ratio)" : "");
    print_table({"law", "params (C-opt)", "params (inf-aware)", "smaller by", "tokens", "total FLOPs (C-opt)",
                 "total FLOPs (inf-aware)", "saved"},
                inf_rows);
  }
  std::cout << "\nNotes:\n";
  std::cout << "  loss: nats/token on each paper's data set; not comparable across laws (Kaplan: WebText2, "
               "non-embedding N). '-' = the law has no loss function.\n";
  if (hc) {
    std::cout << "  MFU: "
              << (o.mfu > 0 ? std::string("--mfu")
                            : std::string("predicted by the timing engine for a training step of a Llama-shaped model of "
                                          "that size over the cluster named per law (scaling/cluster.h: the fastest tp x "
                                          "pp layout that fits, ZeRO-1, 4M-token batches)"))
              << "\n";
    std::cout << "  price: " << (hc->price_source.empty() ? "none in the catalog (give --price)" : hc->price_source) << "\n";
  }
  for (const auto& n : notes) std::cout << "  " << n << "\n";
  if (!arch_lines.empty()) {
    std::cout << "\nArchitecture (--model, exact FLOPs through the pipeline):\n";
    for (const auto& l : arch_lines) std::cout << "  " << l << "\n";
  }
  return 0;
}

std::function<int()> setup(CLI::App& sub) {
  auto o = std::make_shared<Options>();
  sub.add_option("--flops", o->flops, "Training budget in FLOPs (C = 6 N D)");
  sub.add_option("--gpu-hours", o->gpu_hours, "Budget in device-hours of --hardware");
  sub.add_option("--budget-usd", o->budget_usd, "Budget in US dollars on --hardware");
  sub.add_option("--hardware", o->hardware, "Accelerator id (flopscope hardware) for time and cost");
  sub.add_option("--mfu", o->mfu, "Model FLOPs utilisation in (0, 1]; default: predicted on --gpus devices (see output)");
  sub.add_option("--price", o->price, "US dollars per device-hour (default: cheapest on-demand in the catalog)");
  sub.add_option("--gpus,--devices", o->devices,
                 "Devices of --hardware: the MFU is predicted for a many-device layout on them, and the wall-clock "
                 "time (default: the smallest power-of-two cluster that holds the model and trains in 90 days)");
  sub.add_option("--law", o->law, "hoffmann-1, hoffmann-2, hoffmann-3, besiroglu, kaplan, or a laws .toml file (default: all)");
  sub.add_option("--inference-tokens", o->inference_tokens,
                 "Lifetime inference tokens: also show the inference-aware optimum (Sardana et al. 2024)");
  sub.add_option("--inference-mfu", o->inference_mfu,
                 "MFU of inference, to minimise cost instead of FLOPs (inference FLOPs weighted by MFU_train / MFU_inference)");
  sub.add_option("--svg", o->svg, "Write iso-FLOP curves (loss vs N at several budgets) with the optimal frontier");
  sub.add_option("--model", o->model, "Also: train this architecture on the budget, its FLOPs counted exactly through the pipeline");
  sub.add_option("--seq", o->seq, "With --model: training sequence length")->capture_default_str();
  sub.add_flag("--json", o->json, "JSON output (SI units)");
  set_examples(sub, {"flopscope optimal --flops 5.76e23",
                     "flopscope optimal --gpu-hours 1e6 --hardware h100-sxm --law besiroglu",
                     "flopscope optimal --budget-usd 2e6 --hardware h100-sxm --mfu 0.45 --json",
                     "flopscope optimal --gpu-hours 1e6 --hardware h100-sxm --gpus 1024",
                     "flopscope optimal --flops 1e23 --inference-tokens 2e12 --law hoffmann-3",
                     "flopscope optimal --flops 1e22 --law besiroglu --svg isoflop.svg"});
  return [o] { return run(*o); };
}

FLOPSCOPE_COMMAND({"optimal", "Compute-optimal model size and tokens for a budget (Chinchilla, Kaplan, ...)", setup, 60});

}  // namespace
}  // namespace flopscope::cli
