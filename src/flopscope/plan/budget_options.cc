#include "flopscope/plan/budget_options.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>

#include "flopscope/cost/parallel.h"
#include "flopscope/hw/carbon.h"
#include "flopscope/hw/system.h"
#include "flopscope/plan/job.h"
#include "flopscope/plan/serving_capacity.h"
#include "flopscope/util/units.h"

namespace flopscope {
namespace {

constexpr double kSecondsPerHour = 3600;
constexpr double kEps = 1e-9;

std::vector<int64_t> device_counts(int64_t gpus) {
  std::vector<int64_t> out;
  for (int64_t n = 1; n <= std::min(gpus, kBudgetMaxDevicesPerOption); n *= 2) out.push_back(n);
  return out;
}

std::string months_text(double months) {
  return months >= 1 ? fmt::format("{:.2f} months", months) : format_seconds(months * kBudgetHoursPerMonth * 3600);
}

void mark(BudgetOption& o, const char* kind, std::string reason) {
  o.usable = false;
  o.reason_kind = kind;
  o.reason = std::move(reason);
}

// train, finetune, retrain, eval: run_job on `devices` of the environment.
Result<BudgetOption> job_option(const Portfolio& p, size_t ji, size_t ei, int64_t devices, const TransformerSpec& spec) {
  const BudgetJob& bj = p.jobs[ji];
  Environment env = p.envs[ei].env;
  env.devices = devices;
  Job job;
  if (bj.kind == BudgetJobKind::kEval) {
    job.mode = JobMode::kInfer;
    job.requests = bj.requests;
    job.batch = bj.batch;
    job.prompt = bj.prompt;
    job.output = bj.output;
  } else {
    const bool full = bj.kind == BudgetJobKind::kTrain || (bj.kind == BudgetJobKind::kRetrain && bj.retrain_full);
    job.mode = full ? JobMode::kTrain : JobMode::kFinetune;
    job.tokens = bj.tokens;
    job.seq = bj.seq;
    job.micro_batch = bj.micro_batch;
  }
  auto run = run_job(spec, job, env);
  if (!run) return run.error();
  BudgetOption o;
  o.job = ji;
  o.env = ei;
  o.devices = devices;
  o.layout = run->layout;
  o.fit_note = run->fit_note;
  o.seconds = run->seconds;
  o.usd_per_device_hour = run->usd_per_device_hour;
  o.price_source = run->price_source;
  o.energy_known = run->has_power();
  o.joules = run->joules;
  o.grams_co2 = run->grams_co2;
  o.mfu = run->mfu;
  o.usable = true;
  if (!run->fits) {
    mark(o, "memory", run->fit_note);
  } else if (!run->has_price()) {
    mark(o, "price", fmt::format("no {} price for {} in the price data; give usd_per_device_hour", env.pricing,
                                 env.hardware_id));
  } else if (bj.kind == BudgetJobKind::kRetrain) {
    const double gap = 12 / bj.per_year;
    if (o.run_months() > gap + kEps) {
      mark(o, "deadline", fmt::format("one run takes {}, longer than the {} between runs ({:g} a year)",
                                      months_text(o.run_months()), months_text(gap), bj.per_year));
    }
  } else if (o.run_months() > bj.deadline_months + kEps) {
    mark(o, "deadline", fmt::format("takes {}, the deadline is {} from start", months_text(o.run_months()),
                                    months_text(bj.deadline_months)));
  }
  return o;
}

// serve: the first tensor-parallel degree whose replica meets both targets, and its replicas.
Result<BudgetOption> serve_option(const Portfolio& p, size_t ji, size_t ei, const TransformerSpec& spec) {
  const BudgetJob& bj = p.jobs[ji];
  const BudgetEnv& be = p.envs[ei];
  const Environment& env = be.env;
  auto found = HardwareCatalog::builtin().find(env.hardware_id);
  if (!found) return found.error();
  Hardware hw = **found;
  if (env.bytes_per_second_interconnect > 0) hw.bytes_per_second_interconnect = env.bytes_per_second_interconnect;
  const CalibrationProfile* profile = env.profile ? &*env.profile : nullptr;
  BudgetOption o;
  o.job = ji;
  o.env = ei;
  const PriceQuote price = price_of(env);
  o.usd_per_device_hour = price.usd_per_device_hour;
  o.price_source = price.source;
  std::string last_kind = "memory", last_reason;
  for (int64_t tp : {1, 2, 4, 8}) {
    if (tp > be.gpus) break;
    CapacityOptions co;
    ServingOptions& so = co.serving;
    Workload& w = so.workload;
    w.dtype = env.dtype;
    w.weight_dtype = env.weights.value_or(env.dtype);
    w.kv_dtype = env.dtype == DType::kFP8 ? DType::kFP8 : DType::kBF16;
    w.modules = Modules::kFused;  // serving engines fuse norms, rotary and act(gate) * up (api/serving.cc)
    w.flash_attention = env.flash_attention;
    w.parallel.tp = tp;
    so.load.prompt.value = bj.prompt;
    so.load.output.value = bj.output;
    so.pue = env.pue;
    co.seconds_slo_ttft_p95 = bj.slo_ttft_p95;
    co.seconds_slo_itl_p95 = bj.slo_itl_p95;
    TimingEngine prefill(hw, profile, env.software.value_or(default_software(Phase::kPrefill)));
    TimingEngine decode(hw, profile, env.software.value_or(default_software(Phase::kDecode)));
    if (tp > 1) {
      if (!validate(w.parallel, spec)) continue;  // the heads do not split tp ways
      const System* ref = SystemCatalog::builtin().for_hardware(hw.id);
      const System sys = ref && env.bytes_per_second_interconnect <= 0 ? *ref : standalone_system(hw);
      w.parallel.gpus_per_node = sys.gpus_per_node;
      prefill.set_network(sys.network());
      decode.set_network(sys.network());
    }
    auto cap = find_capacity(spec, co, hw, prefill, decode);
    if (!cap) {
      // The weights leave no room for the KV cache of one request: try more devices.
      last_kind = "memory";
      last_reason = fmt::format("tp {}: {}", tp, cap.error().message);
      continue;
    }
    if (!cap->met) {
      last_kind = "latency";
      last_reason = fmt::format("no replica up to tp {} meets p95 TTFT <= {} and ITL <= {} (at the lowest rate: {} and {})",
                                tp, format_seconds(bj.slo_ttft_p95), format_seconds(bj.slo_itl_p95),
                                format_seconds(cap->seconds_ttft_p95_floor), format_seconds(cap->seconds_itl_p95_floor));
      continue;
    }
    o.tp = tp;
    o.max_rate_per_replica = cap->max_rate_per_replica;
    o.replicas = static_cast<int64_t>(std::ceil(bj.rate / cap->max_rate_per_replica - 1e-9));
    o.devices = o.replicas * tp;
    o.layout = tp > 1 ? fmt::format("tp {} x {} replica{}", tp, o.replicas, o.replicas > 1 ? "s" : "")
                      : fmt::format("{} replica{}", o.replicas, o.replicas > 1 ? "s" : "");
    o.fit_note = fmt::format("{:.3g} req/s per replica within the targets (max_running {})", cap->max_rate_per_replica,
                             cap->max_running);
    // Energy per month: each replica as at the highest rate within the targets (an upper
    // bound: the replicas share `rate`, each at most that rate).
    const EnergyEstimate& e = cap->at_max.energy;
    if (e.known() && cap->at_max.seconds_simulated > 0) {
      const double watts_replica = *e.joules / cap->at_max.seconds_simulated;
      o.energy_known = true;
      o.joules = watts_replica * static_cast<double>(o.replicas) * kBudgetHoursPerMonth * kSecondsPerHour;
      o.grams_co2 = grams_co2e(o.joules, env.carbon_g_per_kwh);  // 0 without a given intensity
    }
    o.usable = true;
    if (o.devices > be.gpus) {
      mark(o, "gpus", fmt::format("needs {} devices ({} replicas of tp {}), the environment has {}", o.devices, o.replicas,
                                  tp, be.gpus));
    } else if (o.usd_per_device_hour <= 0) {
      mark(o, "price", fmt::format("no {} price for {} in the price data; give usd_per_device_hour", env.pricing,
                                   env.hardware_id));
    }
    return o;
  }
  mark(o, last_kind.c_str(), last_reason.empty() ? fmt::format("no tensor-parallel degree up to {} splits {}", std::min<int64_t>(8, be.gpus), spec.name) : last_reason);
  return o;
}

double overlap(double a0, double a1, double b0, double b1) { return std::max(0.0, std::min(a1, b1) - std::max(a0, b0)); }

}  // namespace

double BudgetOption::run_months() const { return seconds / kSecondsPerHour / kBudgetHoursPerMonth; }

std::vector<int64_t> budget_starts(const BudgetJob& job, const BudgetOption& o, int64_t horizon) {
  std::vector<int64_t> out;
  if (!o.usable) return out;
  if (job.kind == BudgetJobKind::kServe || job.kind == BudgetJobKind::kRetrain) {
    // Live by the deadline: start in one of the first ceil(deadline) months.
    const int64_t last = std::min<int64_t>(horizon, static_cast<int64_t>(std::ceil(job.deadline_months - kEps)));
    for (int64_t s = 0; s < std::max<int64_t>(last, 1); ++s) out.push_back(s);
    return out;
  }
  const double end_by = std::min(job.deadline_months, static_cast<double>(horizon));
  for (int64_t s = 0; static_cast<double>(s) + o.run_months() <= end_by + kEps; ++s) out.push_back(s);
  return out;
}

std::vector<double> budget_gpu_hours(const BudgetJob& job, const BudgetOption& o, int64_t start, int64_t horizon) {
  std::vector<double> h(static_cast<size_t>(horizon), 0.0);
  const double n = static_cast<double>(o.devices);
  const double s = static_cast<double>(start);
  double end = s + o.run_months();
  if (job.kind == BudgetJobKind::kServe) end = job.months > 0 ? s + job.months : static_cast<double>(horizon);
  for (int64_t m = 0; m < horizon; ++m) {
    const double md = static_cast<double>(m);
    if (job.kind == BudgetJobKind::kRetrain) {
      if (m >= start) h[static_cast<size_t>(m)] = n * o.seconds / kSecondsPerHour * job.per_year / 12;
    } else {
      h[static_cast<size_t>(m)] = n * kBudgetHoursPerMonth * overlap(s, end, md, md + 1);
    }
  }
  return h;
}

Result<std::vector<BudgetOption>> budget_options(const Portfolio& p, const std::map<std::string, TransformerSpec>& specs,
                                                 const BudgetProgress& progress) {
  std::vector<BudgetOption> out;
  for (size_t ji = 0; ji < p.jobs.size(); ++ji) {
    const BudgetJob& job = p.jobs[ji];
    auto it = specs.find(job.model_path);
    if (it == specs.end()) return bad_input(fmt::format("{}: job.{}.model: not loaded", p.origin, job.name));
    const TransformerSpec& spec = it->second;
    for (size_t ei = 0; ei < p.envs.size(); ++ei) {
      if (progress) progress(fmt::format("pricing {} on {}", job.name, p.envs[ei].env.name));
      if (job.kind == BudgetJobKind::kServe) {
        auto o = serve_option(p, ji, ei, spec);
        if (!o) return bad_input(fmt::format("{}: job.{} on env.{}: {}", p.origin, job.name, p.envs[ei].env.name, o.error().message));
        out.push_back(std::move(*o));
        continue;
      }
      for (int64_t n : device_counts(p.envs[ei].gpus)) {
        auto o = job_option(p, ji, ei, n, spec);
        if (!o) {
          // A count the model's layers or heads do not split over, a dtype the hardware
          // lacks: kept as an option that cannot be used, with the planner's words.
          BudgetOption bad;
          bad.job = ji;
          bad.env = ei;
          bad.devices = n;
          mark(bad, "layout", o.error().message);
          out.push_back(std::move(bad));
          continue;
        }
        out.push_back(std::move(*o));
      }
    }
  }
  return out;
}

}  // namespace flopscope
