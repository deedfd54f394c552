#include "flopscope/api/drift.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>

#include "flopscope/api/options.h"
#include "flopscope/api/plan.h"
#include "flopscope/ledger/fields.h"
#include "flopscope/plan/drift.h"
#include "flopscope/plan/drift_psi.h"
#include "flopscope/report/table.h"
#include "flopscope/util/csv_table.h"
#include "flopscope/util/file.h"
#include "flopscope/util/limits.h"
#include "flopscope/util/units.h"

namespace flopscope::api {

namespace {

constexpr double kSecondsPerDay = 86400.0;

Json or_null(const std::optional<double>& v) { return v ? Json(*v) : Json(nullptr); }

Result<CsvTable> load_table(const std::string& path) {
  auto text = read_file(path, limits::kCsvBytes);
  if (!text) return text.error();
  return CsvTable::parse(*text, path);
}

// What one retrain costs and a year of them, from the planner's best layout.
struct JobCost {
  double tokens = 0, seconds = 0, gpu_hours = 0;
  std::optional<double> usd;
};

JobCost job_cost(double tokens, double tokens_per_second, int64_t gpus, std::optional<double> usd_per_device_hour) {
  JobCost c;
  c.tokens = tokens;
  c.seconds = tokens / tokens_per_second;
  c.gpu_hours = static_cast<double>(gpus) * c.seconds / 3600.0;
  if (usd_per_device_hour) c.usd = c.gpu_hours * *usd_per_device_hour;
  return c;
}

Json job_json(const JobCost& c, double per_year) {
  Json per = {{"retrains", per_year},
              {"gpu_hours", c.gpu_hours * per_year},
              {"days", c.seconds / kSecondsPerDay * per_year},
              {"usd", c.usd ? Json(*c.usd * per_year) : Json(nullptr)}};
  return {{"tokens", c.tokens},
          {"seconds", c.seconds},
          {"days", c.seconds / kSecondsPerDay},
          {"gpu_hours", c.gpu_hours},
          {"usd", or_null(c.usd)},
          {"per_year", per}};
}

std::string usd_text(const std::optional<double>& v) { return v ? format_usd(*v) : "-"; }

std::string number_text(double v) { return fmt::format("{:.4g}", v); }

}  // namespace

Result<Output> drift(const DriftOptions& o, const Render& render) {
  if (o.file.empty()) return bad_input("FILE: expected a CSV file of a metric over time");
  if (o.metric.empty()) return bad_input("--metric: expected the name of a metric column");
  auto detector = parse_drift_detector(o.detector);
  if (!detector) return detector.error();
  auto direction = parse_drift_direction(o.direction);
  if (!direction) return direction.error();
  std::optional<double> seconds_per_unit;
  if (!o.time_unit.empty()) {
    auto u = parse_time_unit(o.time_unit);
    if (!u) return u.error();
    seconds_per_unit = *u;
  }
  if (!(o.psi_threshold > 0 && o.psi_threshold <= 100)) {
    return bad_input(fmt::format("--psi-threshold: expected a PSI in (0, 100], got {}", o.psi_threshold));
  }
  // Pricing takes all of its options or none.
  const bool priced = !o.model.empty() || !o.hardware.hardware.empty() || o.gpus != 0 || o.global_batch != 0 ||
                      o.seq != 0 || o.retrain_tokens != 0 || o.finetune_tokens != 0;
  if (priced) {
    const char* missing = o.model.empty()                ? "--model"
                          : o.hardware.hardware.empty()  ? "--hardware"
                          : o.gpus == 0                  ? "--gpus"
                          : o.global_batch == 0          ? "--global-batch"
                          : o.seq == 0                   ? "--seq"
                          : o.retrain_tokens == 0        ? "--retrain-tokens"
                                                         : nullptr;
    if (missing) {
      return bad_input(fmt::format("{}: pricing retraining needs --model, --hardware, --gpus, --global-batch, --seq and "
                                   "--retrain-tokens (--finetune-tokens optional)",
                                   missing));
    }
    for (auto [flag, v] : {std::pair{"--retrain-tokens", o.retrain_tokens}, std::pair{"--finetune-tokens", o.finetune_tokens}}) {
      if (std::string_view(flag) == "--finetune-tokens" && v == 0) continue;
      if (!(v >= 1 && v <= limits::kTokensTrained)) {
        return bad_input(fmt::format("{}: expected tokens from 1 to {:g}, got {:g}", flag, limits::kTokensTrained, v));
      }
    }
  }

  // The series.
  auto csv = load_table(o.file);
  if (!csv) return csv.error();
  auto series = read_drift_series(*csv, o.metric, parse_utc_time);
  if (!series) return series.error();
  const DriftSeries& s = *series;

  PageHinkleyOptions ph;
  ph.delta = o.ph_delta;
  ph.lambda = o.ph_lambda;
  ph.alpha = o.ph_alpha;
  ph.min_rows = o.ph_min_rows;
  AdwinOptions ad;
  ad.delta = o.adwin_delta;
  std::vector<DriftChange> changes;
  Json detector_json;
  if (*detector == DriftDetector::kPageHinkley) {
    if (auto st = check_page_hinkley(ph, s); !st) return st.error();
    changes = detect_page_hinkley(s.values, ph, *direction);
    detector_json = {{"name", "page-hinkley"},
                     {"delta", ph.delta},
                     {"lambda", ph.lambda},
                     {"alpha", ph.alpha},
                     {"min_rows", ph.min_rows},
                     {"unit", "standard deviations of each segment's warm-up rows"}};
  } else {
    if (auto st = check_adwin(ad, s); !st) return st.error();
    changes = detect_adwin(s.values, ad, *direction);
    detector_json = {{"name", "adwin"},
                     {"delta", ad.delta},
                     {"max_buckets", ad.max_buckets},
                     {"min_window", ad.min_window},
                     {"unit", "metric rescaled to [0, 1] by its minimum and maximum"}};
  }
  fill_segment_means(s.values, changes);

  // Times as days, when they are dates or numbers with a unit.
  const bool have_days = s.iso_times || seconds_per_unit.has_value();
  auto to_days = [&](double tv) { return s.iso_times ? tv / kSecondsPerDay : tv * seconds_per_unit.value_or(0) / kSecondsPerDay; };
  if (!s.iso_times && !seconds_per_unit && priced) {
    return bad_input(fmt::format("--time-unit: {}'s times are numbers; pricing a year of retraining needs their unit "
                                 "(second, minute, hour, day or week)",
                                 s.origin));
  }

  // PSI.
  std::vector<PsiPoint> psi;
  std::vector<double> days_changes;
  double days_start = have_days ? to_days(s.time_values.front()) : 0;
  double days_end = have_days ? to_days(s.time_values.back()) : 0;
  Json changes_json = Json::array();
  for (const DriftChange& c : changes) {
    changes_json.push_back({{"time", s.times[c.row]},
                            {"row", c.row + 1},
                            {"line", s.lines[c.row]},
                            {"onset_time", s.times[c.row_onset]},
                            {"onset_row", c.row_onset + 1},
                            {"detector", drift_detector_name(c.detector)},
                            {"direction", drift_direction_name(c.direction)},
                            {"statistic", c.statistic},
                            {"threshold", c.threshold},
                            {"mean_before", or_null(c.mean_before)},
                            {"mean_after", or_null(c.mean_after)}});
    if (have_days) days_changes.push_back(to_days(s.time_values[c.row]));
  }
  Json psi_json = nullptr;
  if (!o.psi.empty()) {
    auto pt = load_table(o.psi);
    if (!pt) return pt.error();
    if (!pt->rows().empty() && drift_times_are_iso(*pt) != s.iso_times) {
      return bad_input(fmt::format("{}: --psi: times are {} but {}'s are {}: expected the same kind of time", o.psi,
                                   s.iso_times ? "numbers" : "ISO 8601 dates", s.origin,
                                   s.iso_times ? "ISO 8601 dates" : "numbers"));
    }
    auto r = read_psi_table(*pt, parse_utc_time);
    if (!r) return r.error();
    psi = std::move(*r);
    Json times = Json::array();
    bool above_before = false;
    for (size_t i = 0; i < psi.size(); ++i) {
      const PsiPoint& p = psi[i];
      const bool above = p.psi > o.psi_threshold;
      times.push_back({{"time", p.time}, {"line", p.line}, {"bins", p.bins.size()}, {"psi", p.psi}, {"above", above}});
      // A change where PSI crosses the threshold from below (every time above is listed in
      // psi.times, one change per crossing).
      if (above && !above_before) {
        changes_json.push_back({{"time", p.time},
                                {"row", i + 1},
                                {"line", p.line},
                                {"onset_time", p.time},
                                {"onset_row", i + 1},
                                {"detector", "psi"},
                                {"direction", "rise"},
                                {"statistic", p.psi},
                                {"threshold", o.psi_threshold},
                                {"mean_before", nullptr},
                                {"mean_after", nullptr}});
        if (have_days) days_changes.push_back(to_days(p.time_value));
      }
      above_before = above;
    }
    if (have_days && !psi.empty()) {
      days_start = std::min(days_start, to_days(psi.front().time_value));
      days_end = std::max(days_end, to_days(psi.back().time_value));
    }
    psi_json = {{"file", o.psi}, {"threshold", o.psi_threshold}, {"epsilon", kPsiEpsilon}, {"times", times}};
  }
  // Metric and PSI changes in time order (stable: the metric's first at equal times); one
  // retrain per distinct time.
  if (!psi.empty()) {
    std::vector<std::pair<double, Json>> keyed;
    for (size_t i = 0; i < changes_json.size(); ++i) {
      const Json& c = changes_json[i];
      const bool from_psi = c["detector"] == "psi";
      const size_t k = c["row"].get<size_t>() - 1;
      keyed.emplace_back(from_psi ? psi[k].time_value : s.time_values[k], c);
    }
    std::stable_sort(keyed.begin(), keyed.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    changes_json = Json::array();
    for (auto& [t, c] : keyed) changes_json.push_back(std::move(c));
  }
  std::sort(days_changes.begin(), days_changes.end());
  days_changes.erase(std::unique(days_changes.begin(), days_changes.end()), days_changes.end());
  // A PSI crossing and a metric change of the same shift fall within one PSI interval of each
  // other: changes closer than the longest gap between PSI times are one retrain, dated by
  // the first.
  double days_merge = 0;
  if (have_days) {
    for (size_t i = 1; i < psi.size(); ++i) {
      days_merge = std::max(days_merge, to_days(psi[i].time_value) - to_days(psi[i - 1].time_value));
    }
    std::vector<double> events;
    for (double d : days_changes) {
      if (events.empty() || d - events.back() >= days_merge) events.push_back(d);
    }
    days_changes = std::move(events);
  }

  Json cadence_json = nullptr;
  std::optional<RetrainCadence> cadence;
  if (have_days) {
    cadence = retrain_cadence(days_start, days_end, days_changes);
    std::string basis;
    if (cadence->changes == 0) {
      basis = fmt::format("no change in {:.4g} days: drift forces no retrain over the series", cadence->days_span);
    } else if (cadence->days_between_retrains) {
      basis = fmt::format("{} retrain(s) from the start ({}) to the last change: one every {:.4g} days",
                          cadence->changes, s.times.front(), *cadence->days_between_retrains);
    } else {
      basis = "every change at the series' first time: no interval to measure";
    }
    cadence_json = {{"retrains", cadence->changes},
                    {"days_merged_within", days_merge},
                    {"days_span", cadence->days_span},
                    {"days_intervals", cadence->days_intervals},
                    {"days_between_retrains", or_null(cadence->days_between_retrains)},
                    {"retrains_per_year", cadence->retrains_per_year},
                    {"basis", basis}};
  }

  // A year of retraining, through `plan train` (the training planner).
  Json retraining_json = nullptr;
  std::optional<JobCost> full, finetune;
  std::string layout_text, price_text;
  double tokens_per_second = 0;
  if (priced) {
    PlanTrainOptions po;
    po.model = o.model;
    po.hardware = o.hardware;
    po.system = o.system;
    po.gpus = o.gpus;
    po.global_batch = o.global_batch;
    po.seq = o.seq;
    po.top = 1;
    auto plan = plan_train(po, Render{});
    if (!plan) return plan.error();
    const Json& pj = plan->json;
    if (pj["best"].is_null()) return failure(fmt::format("--gpus {}: {}", o.gpus, pj["why"].get<std::string>()));
    const Json& best = pj["best"];
    tokens_per_second = best["tokens_per_second"].get<double>();
    if (!(tokens_per_second > 0)) return failure("the training planner predicts no throughput for this setup");
    std::optional<double> usd_per_device_hour;
    if (pj["usd_per_device_hour"].is_number()) usd_per_device_hour = pj["usd_per_device_hour"].get<double>();
    full = job_cost(o.retrain_tokens, tokens_per_second, o.gpus, usd_per_device_hour);
    if (o.finetune_tokens > 0) finetune = job_cost(o.finetune_tokens, tokens_per_second, o.gpus, usd_per_device_hour);
    const double per_year = cadence ? cadence->retrains_per_year : 0;
    // "tp 2 dp 4, micro batch 2, recompute none": the layout's degrees other than 1.
    for (const auto& [key, v] : best["layout"].items()) {
      if (v.is_boolean() && v.get<bool>()) layout_text += (layout_text.empty() ? "" : " ") + key;
      if (v.is_number_integer() && v.get<int64_t>() > (key == "zero" ? 0 : 1) && key != "micro_batches") {
        layout_text += (layout_text.empty() ? "" : " ") + key + " " + std::to_string(v.get<int64_t>());
      }
    }
    if (layout_text.empty()) layout_text = "one device";
    layout_text += fmt::format(", micro batch {}, recompute {}", best["micro_batch"].get<int64_t>(),
                               best["recompute"].get<std::string>());
    price_text = pj["price"].is_string() ? pj["price"].get<std::string>() : "";
    retraining_json = {{"model", pj["model"]},
                       {"hardware", pj["hardware"]},
                       {"system", pj["system"]},
                       {"gpus", o.gpus},
                       {"global_batch", o.global_batch},
                       {"seq", o.seq},
                       {"layout", best["layout"]},
                       {"tokens_per_second", tokens_per_second},
                       {"mfu", best["mfu"]},
                       {"usd_per_device_hour", pj["usd_per_device_hour"]},
                       {"price", pj["price"]},
                       {"retrains_per_year", per_year},
                       {"full", job_json(*full, per_year)},
                       {"finetune", finetune ? job_json(*finetune, per_year) : Json(nullptr)},
                       {"note", "a fine-tune is priced as full-parameter training on --finetune-tokens at the same "
                                "layout (the planner does not model adapters)"}};
  }

  Output out;
  if (render.json) {
    out.json = {{"file", o.file},
                {"metric", s.metric},
                {"time_column", s.time_column},
                {"rows", s.values.size()},
                {"times", s.iso_times ? "iso8601" : "number"},
                {"time_unit", s.iso_times ? Json("second") : (o.time_unit.empty() ? Json(nullptr) : Json(o.time_unit))},
                {"detector", detector_json},
                {"direction", drift_direction_name(*direction)},
                {"changes", changes_json},
                {"psi", psi_json},
                {"cadence", cadence_json},
                {"retraining", retraining_json}};
    return out;
  }

  std::string& t = out.text;
  t += style(render, s.metric, "1") +
       fmt::format(" in {}: {} rows, {} to {}; {} ({})\n\n", s.origin, s.values.size(), s.times.front(), s.times.back(),
                   drift_detector_name(*detector), drift_direction_name(*direction));
  if (changes_json.empty()) {
    t += "No change detected.\n";
  } else {
    Table table({"time", "row", "detector", "direction", "onset", "statistic", "threshold", "mean before", "mean after"},
                {false, true, false, false, false, true, true, true, true});
    for (const Json& c : changes_json) {
      auto opt = [](const Json& v) { return v.is_null() ? std::string("-") : number_text(v.get<double>()); };
      table.add({c["time"].get<std::string>(), std::to_string(c["row"].get<size_t>()), c["detector"].get<std::string>(),
                 c["direction"].get<std::string>(), c["onset_time"].get<std::string>(),
                 number_text(c["statistic"].get<double>()), number_text(c["threshold"].get<double>()),
                 opt(c["mean_before"]), opt(c["mean_after"])});
    }
    t += table.render();
  }
  if (!psi.empty()) {
    int above = 0;
    double highest = 0;
    std::string at;
    for (const PsiPoint& p : psi) {
      above += p.psi > o.psi_threshold;
      if (p.psi > highest) {
        highest = p.psi;
        at = p.time;
      }
    }
    t += fmt::format("\nPSI ({}): {} of {} times above {}; highest {:.4g} at {}\n", o.psi, above, psi.size(),
                     number_text(o.psi_threshold), highest, at);
  }
  t += "\n";
  if (!cadence) {
    t += fmt::format("Cadence: {}'s times are numbers; give --time-unit to estimate retrains per year.\n", s.origin);
  } else {
    t += "Cadence: " + cadence_json["basis"].get<std::string>() +
         fmt::format(" -> {:.3g} retrains per year\n", cadence->retrains_per_year);
  }
  if (full) {
    t += fmt::format("\nRetraining {} on {} x {} ({}): {} tokens/s\n", retraining_json["model"].get<std::string>(), o.gpus,
                     retraining_json["hardware"].get<std::string>(), layout_text, format_si(tokens_per_second));
    const double per_year = cadence ? cadence->retrains_per_year : 0;
    Table table({"job", "tokens", "days", "GPU-hours", "$", "per year: GPU-hours", "$"},
                {false, true, true, true, true, true, true});
    auto add = [&](const char* name, const JobCost& c) {
      table.add({name, format_si(c.tokens), fmt::format("{:.3g}", c.seconds / kSecondsPerDay), format_si(c.gpu_hours),
                 usd_text(c.usd), format_si(c.gpu_hours * per_year),
                 usd_text(c.usd ? std::optional<double>(*c.usd * per_year) : std::nullopt)});
    };
    add("full retrain", *full);
    if (finetune) add("fine-tune", *finetune);
    t += table.render();
    t += price_text.empty() ? "No price in the catalog for this hardware: dollars not shown.\n" : "Price: " + price_text + "\n";
  }
  return out;
}

Result<DriftOptions> drift_options(const Json& j) {
  DriftOptions o;
  OptionsReader r(j, "drift");
  r.read("file", o.file)
      .read("metric", o.metric)
      .read("detector", o.detector)
      .read("direction", o.direction)
      .read("ph_delta", o.ph_delta)
      .read("ph_lambda", o.ph_lambda)
      .read("ph_alpha", o.ph_alpha)
      .read("ph_min_rows", o.ph_min_rows)
      .read("adwin_delta", o.adwin_delta)
      .read("time_unit", o.time_unit)
      .read("psi", o.psi)
      .read("psi_threshold", o.psi_threshold)
      .read("model", o.model);
  read_engine_options(r, o.hardware);
  r.read("system", o.system)
      .read("gpus", o.gpus)
      .read("global_batch", o.global_batch)
      .read("seq", o.seq)
      .read("retrain_tokens", o.retrain_tokens)
      .read("finetune_tokens", o.finetune_tokens);
  if (auto st = r.done(); !st) return st.error();
  return o;
}

}  // namespace flopscope::api
