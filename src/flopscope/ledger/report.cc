#include "flopscope/ledger/report.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "flopscope/cost/workload.h"
#include "flopscope/hw/carbon.h"
#include "flopscope/hw/hardware.h"
#include "flopscope/hw/power.h"
#include "flopscope/ledger/fields.h"
#include "flopscope/ledger/jobs_file.h"
#include "flopscope/model/load.h"
#include "flopscope/perf/predict.h"
#include "flopscope/util/dtype.h"

namespace flopscope {
namespace {

int64_t day_number(const std::string& day) {
  return days_from_civil(std::stoll(day.substr(0, 4)), static_cast<unsigned>(std::stoi(day.substr(5, 2))),
                         static_cast<unsigned>(std::stoi(day.substr(8, 2))));
}
std::string day_text(int64_t n) { return utc_day(static_cast<double>(n) * 86400.0); }

std::vector<SpendLine> sorted_by_spend(std::map<std::string, SpendLine> m) {
  std::vector<SpendLine> v;
  for (auto& [k, s] : m) v.push_back(s);
  std::stable_sort(v.begin(), v.end(), [](const SpendLine& a, const SpendLine& b) { return a.usd_effective > b.usd_effective; });
  return v;
}

}  // namespace

BurnRate burn_rate(const std::vector<DailySpend>& days, int64_t days_window, std::optional<double> usd_cap) {
  BurnRate b;
  b.usd_cap = usd_cap;
  b.days_window = days_window;
  if (days.empty()) return b;
  std::map<int64_t, double> per_day;
  for (const DailySpend& d : days) per_day[day_number(d.day)] += d.usd_effective;
  const int64_t as_of = per_day.rbegin()->first;
  b.day_as_of = day_text(as_of);
  double window = 0;
  for (const auto& [n, usd] : per_day) {
    if (n > as_of - days_window) window += usd;
  }
  b.usd_per_day = window / static_cast<double>(days_window);
  b.month = b.day_as_of.substr(0, 7);
  const int64_t month_first = day_number(b.month + "-01");
  int y = std::stoi(b.month.substr(0, 4)), m = std::stoi(b.month.substr(5, 2));
  const int64_t next_month_first = m == 12 ? days_from_civil(y + 1, 1, 1) : days_from_civil(y, static_cast<unsigned>(m + 1), 1);
  const int64_t month_last = next_month_first - 1;
  double mtd = 0;
  std::optional<int64_t> crossed;
  for (const auto& [n, usd] : per_day) {
    if (n < month_first || n > as_of) continue;
    mtd += usd;
    if (usd_cap && !crossed && mtd >= *usd_cap) crossed = n;
  }
  b.usd_month_to_date = mtd;
  b.usd_projected_month = mtd + b.usd_per_day * static_cast<double>(month_last - as_of);
  if (usd_cap) {
    if (crossed) {
      b.day_cap_reached = day_text(*crossed);
    } else if (b.usd_per_day > 0) {
      // as_of is spent whole; the cap falls on the day the running total first reaches it.
      const double days_needed = (*usd_cap - mtd) / b.usd_per_day;
      const int64_t day = as_of + static_cast<int64_t>(std::ceil(days_needed - 1e-9));
      if (day <= month_last) b.day_cap_reached = day_text(day);
    }
  }
  return b;
}

std::vector<GpuUse> gpu_use(const std::vector<GpuSample>& samples, double percent_idle_utilization) {
  std::map<std::string, GpuUse> by_job;
  std::map<std::string, double> busy_weighted, util_seconds;
  size_t i = 0;
  while (i < samples.size()) {
    size_t j = i;
    while (j < samples.size() && samples[j].host == samples[i].host && samples[j].gpu == samples[i].gpu) ++j;
    std::vector<double> gaps;
    for (size_t k = i + 1; k < j; ++k) gaps.push_back(samples[k].unix_seconds - samples[k - 1].unix_seconds);
    double median = 0;
    if (!gaps.empty()) {
      std::nth_element(gaps.begin(), gaps.begin() + static_cast<std::ptrdiff_t>(gaps.size() / 2), gaps.end());
      median = gaps[gaps.size() / 2];
    }
    std::map<std::string, bool> jobs_seen;
    for (size_t k = i; k < j; ++k) {
      const GpuSample& s = samples[k];
      double seconds = k + 1 < j ? std::min(samples[k + 1].unix_seconds - s.unix_seconds, 2 * median) : median;
      GpuUse& u = by_job[s.job];
      u.job = s.job;
      ++u.samples;
      if (!jobs_seen[s.job]) {
        jobs_seen[s.job] = true;
        ++u.gpus;
      }
      u.gpu_hours += seconds / 3600;
      if (s.watts_power && *s.watts_power >= 0) {
        u.gpu_hours_with_power += seconds / 3600;
        u.joules_device += *s.watts_power * seconds;
      }
      if (s.percent_utilization) {
        util_seconds[s.job] += seconds;
        busy_weighted[s.job] += seconds * *s.percent_utilization;
        if (*s.percent_utilization < percent_idle_utilization) u.gpu_hours_idle += seconds / 3600;
      }
    }
    i = j;
  }
  std::vector<GpuUse> out;
  for (auto& [job, u] : by_job) {
    if (util_seconds[job] > 0) u.percent_mean_utilization = busy_weighted[job] / util_seconds[job];
    out.push_back(u);
  }
  return out;
}

namespace {

// Predicted MFU and model FLOPs per token of one GPU running the job's micro-batch.
struct Predicted {
  double mfu = 0;
  double flops_per_token = 0;
  double flops_peak = 0;
  double busy = 0;     ///< busy fraction of the step (compute- and memory-bound seconds / seconds)
  PowerModel power;    ///< the GPU's power model (hw/power.h)
};

Result<Predicted> predict_job(const JobMeta& j) {
  const std::string where = "jobs: " + j.job + ": ";
  auto spec = load_model(j.model);
  if (!spec) return bad_input(where + "model: " + spec.error().message);
  if (const Status& st = HardwareCatalog::builtin_status(); !st) return st.error();
  auto hw = HardwareCatalog::builtin().find(j.hardware);
  if (!hw) return bad_input(where + "hardware: " + hw.error().message);
  auto dtype = parse_dtype(j.dtype.empty() ? "bf16" : j.dtype, "dtype");
  if (!dtype) return bad_input(where + dtype.error().message);
  Workload w;
  w.phase = Phase::kTrainStep;
  w.batch = j.micro_batch > 0 ? j.micro_batch : 1;
  w.seq = j.seq > 0 ? j.seq : 2048;
  w.dtype = w.weight_dtype = *dtype;
  w.modules = default_modules(Phase::kTrainStep);
  TimingEngine engine(**hw, nullptr, default_software(Phase::kTrainStep));
  auto p = predict(*spec, w, **hw, engine);
  if (!p) return bad_input(where + p.error().message);
  Predicted out;
  out.mfu = p->mfu;
  out.flops_per_token = p->flops.model_flops / static_cast<double>(w.tokens());
  out.flops_peak = (*hw)->peak(*dtype);
  // The busy fraction as plan/energy.h defines it (ledger/ may not include plan/).
  const auto& b = p->timing.seconds_by_bound;
  double total = 0;
  for (double x : b) total += x;
  const double busy = b[static_cast<size_t>(Bound::kCompute)] + b[static_cast<size_t>(Bound::kMemory)];
  out.busy = total > 0 ? std::clamp(busy / total, 0.0, 1.0) : 0;
  out.power = PowerCatalog::builtin().model_of(**hw);
  return out;
}

}  // namespace

Result<LedgerReport> make_ledger_report(LedgerStore& store, const ReportOptions& o) {
  LedgerReport r;
  if (o.carbon_g_per_kwh != 0) {
    if (!(o.carbon_g_per_kwh > 0 && o.carbon_g_per_kwh <= kMaxGramsPerKwh)) {
      return bad_input(fmt::format("--carbon-g-per-kwh: expected a number in (0, {:g}] gCO2e/kWh, got {}", kMaxGramsPerKwh,
                                   o.carbon_g_per_kwh));
    }
    r.carbon = ReportCarbon{o.carbon_g_per_kwh, o.region, "given"};
  } else if (!o.region.empty()) {
    auto g = CarbonCatalog::builtin().find(o.region);
    if (!g) return bad_input("--region: " + g.error().message);
    r.carbon = ReportCarbon{(*g)->g_co2e_per_kwh, (*g)->id, (*g)->describe()};
  }
  if (o.pue != 0 && !(o.pue >= 1 && o.pue <= 10)) return bad_input(fmt::format("--pue: expected a number in [1, 10], got {}", o.pue));
  const double pue = o.pue > 0 ? o.pue : PowerCatalog::builtin().default_pue().value;
  auto co2 = [&](double joules) -> std::optional<double> {
    if (!r.carbon) return std::nullopt;
    return grams_co2e(joules, r.carbon->g_per_kwh);
  };
  r.period = o.period;
  r.percent_idle_utilization = o.percent_idle_utilization;
  auto counts = store.counts();
  if (!counts) return counts.error();
  r.counts = *counts;
  auto days = store.daily_spend();
  if (!days) return days.error();
  std::map<std::string, SpendLine> by_job, by_period;
  for (const DailySpend& d : *days) {
    r.usd_effective_total += d.usd_effective;
    r.usd_billed_total += d.usd_billed;
    SpendLine& j = by_job[d.job];
    j.key = d.job;
    j.usd_effective += d.usd_effective;
    j.usd_billed += d.usd_billed;
    std::string period = o.period == LedgerPeriod::kDay ? d.day : d.day.substr(0, 7);
    SpendLine& p = by_period[period];
    p.key = period;
    p.usd_effective += d.usd_effective;
    p.usd_billed += d.usd_billed;
  }
  r.by_job = sorted_by_spend(by_job);
  for (auto& [k, s] : by_period) r.by_period.push_back(s);  // in time order
  auto tags = store.tag_spend();
  if (!tags) return tags.error();
  std::map<std::string, SpendLine> by_tag;
  for (const TagSpend& t : *tags) by_tag[t.key + "=" + t.value] = {t.key + "=" + t.value, t.usd_effective, t.usd_billed};
  r.by_tag = sorted_by_spend(by_tag);
  if (!days->empty()) r.burn = burn_rate(*days, o.days_burn_window, o.usd_cap_per_month);

  auto samples = store.gpu_samples();
  if (!samples) return samples.error();
  r.gpu_use = gpu_use(*samples, o.percent_idle_utilization);

  for (const GpuUse& u : r.gpu_use) {
    if (u.gpu_hours_with_power <= 0) continue;
    JobEnergy e;
    e.job = u.job;
    e.source = "telemetry";
    e.gpu_hours = u.gpu_hours_with_power;
    e.pue = pue;
    e.joules = u.joules_device * pue;
    e.grams_co2 = co2(e.joules);
    if (u.gpu_hours_with_power < u.gpu_hours) {
      e.note = fmt::format("{:.3g} of {:.3g} GPU-hours carry power readings", u.gpu_hours_with_power, u.gpu_hours);
    }
    r.energy.push_back(std::move(e));
  }

  auto db_jobs = store.jobs();
  if (!db_jobs) return db_jobs.error();
  r.jobs = merge_jobs(*db_jobs, o.jobs);
  auto progress = store.progress_totals();
  if (!progress) return progress.error();
  for (const ProgressTotal& t : *progress) {
    JobMfu m;
    m.job = t.job;
    m.tokens = t.tokens;
    m.seconds = t.seconds;
    m.tokens_per_second = t.seconds > 0 ? t.tokens / t.seconds : 0;
    const JobMeta* meta = nullptr;
    for (const JobMeta& j : r.jobs) {
      if (j.job == t.job) meta = &j;
    }
    if (!meta || meta->model.empty() || meta->hardware.empty() || meta->gpus <= 0) {
      m.note = "no model, hardware and gpus for this job (a jobs file entry or a JSONL header)";
      r.mfu.push_back(m);
      continue;
    }
    m.model = meta->model;
    m.hardware = meta->hardware;
    m.gpus = meta->gpus;
    auto p = predict_job(*meta);
    if (!p) return p.error();
    m.mfu_predicted = p->mfu;
    // Predicted energy, for jobs whose telemetry carries no power.
    const bool measured = std::any_of(r.gpu_use.begin(), r.gpu_use.end(),
                                      [&](const GpuUse& u) { return u.job == t.job && u.gpu_hours_with_power > 0; });
    if (!measured && t.seconds > 0 && p->power.known()) {
      JobEnergy e;
      e.job = t.job;
      e.source = "predicted";
      e.gpu_hours = static_cast<double>(meta->gpus) * t.seconds / 3600;
      e.pue = pue;
      e.joules = *energy_joules(p->power, static_cast<double>(meta->gpus), t.seconds, p->busy, pue);
      e.grams_co2 = co2(e.joules);
      e.note = fmt::format("{} over the progress log's {:.0f} s at the predicted busy fraction {:.2f}",
                           power_knowledge_text(p->power.knowledge), t.seconds, p->busy);
      r.energy.push_back(std::move(e));
    }
    const double peak = static_cast<double>(meta->gpus) * p->flops_peak;
    if (t.tokens > 0 && t.seconds > 0) {
      m.mfu_realized = m.tokens_per_second * p->flops_per_token / peak;
    } else if (t.flops_model > 0 && t.seconds_with_flops > 0) {
      m.mfu_realized = t.flops_model / t.seconds_with_flops / peak;
      m.note = "realized from the Trainer's total_flos (6 x params x tokens)";
    } else {
      m.note = "no tokens or FLOPs recorded";
    }
    r.mfu.push_back(m);
  }
  return r;
}

nlohmann::json ledger_report_json(const LedgerReport& r) {
  auto lines = [](const std::vector<SpendLine>& v, const char* key) {
    nlohmann::json a = nlohmann::json::array();
    for (const SpendLine& s : v) a.push_back({{key, s.key}, {"usd_effective", s.usd_effective}, {"usd_billed", s.usd_billed}});
    return a;
  };
  auto opt = [](const std::optional<double>& v) { return v ? nlohmann::json(*v) : nlohmann::json(nullptr); };
  nlohmann::json j = {
      {"rows", {{"imports", r.counts.imports}, {"costs", r.counts.costs}, {"gpu_samples", r.counts.gpu_samples},
                {"progress", r.counts.progress}, {"jobs", r.counts.jobs}}},
      {"usd_effective_total", r.usd_effective_total},
      {"usd_billed_total", r.usd_billed_total},
      {"spend_by_job", lines(r.by_job, "job")},
      {"spend_by_tag", lines(r.by_tag, "tag")},
      {"period", r.period == LedgerPeriod::kDay ? "day" : "month"},
      {"spend_by_period", lines(r.by_period, "period")},
  };
  if (r.burn) {
    const BurnRate& b = *r.burn;
    j["burn"] = {{"day_as_of", b.day_as_of},
                 {"days_window", b.days_window},
                 {"usd_per_day", b.usd_per_day},
                 {"month", b.month},
                 {"usd_month_to_date", b.usd_month_to_date},
                 {"usd_projected_month", b.usd_projected_month},
                 {"usd_cap", opt(b.usd_cap)},
                 {"day_cap_reached", b.day_cap_reached ? nlohmann::json(*b.day_cap_reached) : nlohmann::json(nullptr)}};
  } else {
    j["burn"] = nullptr;
  }
  nlohmann::json use = nlohmann::json::array();
  for (const GpuUse& u : r.gpu_use) {
    use.push_back({{"job", u.job},
                   {"gpus", u.gpus},
                   {"samples", u.samples},
                   {"gpu_hours", u.gpu_hours},
                   {"gpu_hours_idle", u.gpu_hours_idle},
                   {"percent_idle_utilization", r.percent_idle_utilization},
                   {"percent_mean_utilization", opt(u.percent_mean_utilization)},
                   {"gpu_hours_with_power", u.gpu_hours_with_power},
                   {"joules_device", u.gpu_hours_with_power > 0 ? nlohmann::json(u.joules_device) : nlohmann::json(nullptr)}});
  }
  j["gpu_use"] = use;
  nlohmann::json mfu = nlohmann::json::array();
  for (const JobMfu& m : r.mfu) {
    nlohmann::json e = {{"job", m.job},
                        {"model", m.model},
                        {"hardware", m.hardware},
                        {"gpus", m.gpus},
                        {"tokens", m.tokens},
                        {"seconds", m.seconds},
                        {"tokens_per_second", m.tokens_per_second},
                        {"mfu_realized", opt(m.mfu_realized)},
                        {"mfu_predicted", opt(m.mfu_predicted)}};
    if (!m.note.empty()) e["note"] = m.note;
    mfu.push_back(e);
  }
  j["mfu"] = mfu;
  nlohmann::json energy = nlohmann::json::array();
  for (const JobEnergy& e : r.energy) {
    nlohmann::json x = {{"job", e.job},       {"source", e.source}, {"gpu_hours", e.gpu_hours},
                        {"joules", e.joules}, {"kwh", e.joules / kJoulesPerKilowattHour}, {"pue", e.pue},
                        {"grams_co2", opt(e.grams_co2)}};
    if (!e.note.empty()) x["note"] = e.note;
    energy.push_back(x);
  }
  j["energy"] = energy;
  if (r.carbon) {
    j["carbon"] = {{"g_co2e_per_kwh", r.carbon->g_per_kwh},
                   {"region", r.carbon->region.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.carbon->region)},
                   {"source", r.carbon->source}};
  } else {
    j["carbon"] = nullptr;
  }
  j["conventions"] = {{"spend", "EffectiveCost (FOCUS), US dollars, by ChargePeriodStart's UTC day"},
                      {"mfu", "model FLOPs (PaLM: 6 x params plus attention, no recomputation) / (gpus x dense peak)"},
                      {"mfu_predicted", "predict train on one GPU at the job's micro_batch and seq"},
                      {"energy", "telemetry power.draw x sample duration x PUE; else the power model at the predicted busy "
                                 "fraction over the progress seconds x PUE"},
                      {"grams_co2", "kWh x grid intensity of --region (data/carbon/grid.toml); null without one"}};
  return j;
}

}  // namespace flopscope
