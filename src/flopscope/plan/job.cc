#include "flopscope/plan/job.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <vector>

#include "flopscope/cost/parallel.h"
#include "flopscope/hw/system.h"
#include "flopscope/plan/train_planner.h"
#include "flopscope/scaling/cluster.h"
#include "flopscope/util/units.h"

namespace flopscope {
namespace {

constexpr double kSecondsPerHour = 3600;

double ceil_div(double a, double b) { return std::ceil(a / b); }

// Adds `times` runs of a predicted step: its seconds by bound, and its busy seconds scaled
// to the step's own seconds (plan/energy.h), so that busy / seconds is the step's busy fraction.
void add_bounds(JobRun& r, const Prediction& p, double times) {
  for (size_t b = 0; b < r.seconds_by_bound.size(); ++b) r.seconds_by_bound[b] += p.timing.seconds_by_bound[b] * times;
  r.seconds_busy += busy_fraction(p) * p.seconds * times;
}

// The system an environment's devices sit in: the hardware's reference node, or a standalone
// node on the catalog (or given) interconnect.
System system_of(const Environment& env, const Hardware& hw) {
  if (env.bytes_per_second_interconnect <= 0) {
    if (const System* s = SystemCatalog::builtin().for_hardware(hw.id)) return *s;
  }
  return standalone_system(hw);
}

}  // namespace

Result<JobMode> parse_job_mode(std::string_view text, std::string_view field) {
  if (text == "train") return JobMode::kTrain;
  if (text == "finetune" || text == "fine-tune") return JobMode::kFinetune;
  if (text == "infer" || text == "inference") return JobMode::kInfer;
  return bad_input(fmt::format("{}: expected train, finetune or infer, got '{}'", field, text));
}

const char* job_mode_name(JobMode m) {
  switch (m) {
    case JobMode::kTrain: return "train";
    case JobMode::kFinetune: return "finetune";
    case JobMode::kInfer: return "infer";
  }
  return "?";
}

double Job::work() const {
  if (training()) return tokens;
  return static_cast<double>(requests > 0 ? requests : batch) * static_cast<double>(output);
}

Status validate(const Job& j) {
  auto positive = [](const char* flag, double v) -> Status {
    if (!(v > 0) || !std::isfinite(v)) return bad_input(fmt::format("{}: expected a positive number, got {}", flag, v));
    return {};
  };
  if (j.training()) {
    if (auto s = positive("--tokens", j.tokens); !s) return s;
    if (auto s = positive("--micro-batch", static_cast<double>(j.micro_batch)); !s) return s;
    if (auto s = positive("--seq", static_cast<double>(j.seq)); !s) return s;
  } else {
    if (auto s = positive("--batch", static_cast<double>(j.batch)); !s) return s;
    if (auto s = positive("--prompt", static_cast<double>(j.prompt)); !s) return s;
    if (auto s = positive("--output", static_cast<double>(j.output)); !s) return s;
    if (j.requests < 0) return bad_input(fmt::format("--requests: expected a positive number, got {}", j.requests));
  }
  return {};
}

Result<JobRun> run_job(const TransformerSpec& spec, const Job& job, const Environment& env) {
  if (auto s = validate(job); !s) return s.error();
  auto found = HardwareCatalog::builtin().find(env.hardware_id);
  if (!found) return found.error();
  Hardware hw = **found;
  if (env.bytes_per_second_interconnect > 0) hw.bytes_per_second_interconnect = env.bytes_per_second_interconnect;
  const CalibrationProfile* profile = env.profile ? &*env.profile : nullptr;

  JobRun r;
  r.env = env.name;
  r.hardware = hw.id;
  r.devices = env.devices;
  r.dtype = env.dtype;
  r.weights = job.training() ? DType::kBF16 : env.weights.value_or(env.dtype);
  r.bytes_device_memory = hw.bytes_memory;
  const double n = static_cast<double>(env.devices);

  Workload w;
  w.dtype = env.dtype;
  w.weight_dtype = r.weights;
  w.kv_dtype = env.dtype == DType::kFP8 ? DType::kFP8 : DType::kBF16;
  w.flash_attention = env.flash_attention;

  if (job.training()) {
    w.phase = Phase::kTrainStep;
    w.batch = job.micro_batch;
    w.seq = job.seq;
    r.software = env.software.value_or(default_software(w.phase));
    TimingEngine engine(hw, profile, r.software);
    if (env.devices == 1) {
      auto p = predict(spec, w, hw, engine);
      if (!p) return p.error();
      r.bytes_per_device = p->memory.bytes_total;
      r.fits = p->fits;
      r.fit_note = p->fits ? "fits on one device"
                           : fmt::format("does not fit: needs {} on one device, has {}",
                                         format_bytes(p->memory.bytes_total), format_bytes(hw.bytes_memory));
      double steps = ceil_div(job.tokens, static_cast<double>(job.micro_batch * job.seq));
      r.seconds = steps * p->seconds;
      add_bounds(r, *p, steps);
      r.mfu = p->mfu;
    } else {
      // Many devices: the planner's best layout (plan/train_planner.h) for a global batch of
      // one micro batch per device, on the hardware's reference system.
      const System system = system_of(env, hw);
      engine.set_network(system.network());
      MemoryOptions mo;
      mo.dropout = spec.trains_with_dropout();
      PlanRequest req;
      req.workload = w;
      req.workload.parallel.gpus_per_node = system.gpus_per_node;
      req.gpus = env.devices;
      req.global_batch = job.micro_batch * env.devices;
      req.top = 1;
      auto plan = plan_training(spec, req, hw, system, engine, mo);
      if (!plan) return bad_input(env.name + ": " + plan.error().message);
      const PlannedLayout* chosen = plan->fits()                    ? &plan->top.front()
                                    : plan->smallest_not_fitting ? &*plan->smallest_not_fitting
                                                                 : nullptr;
      if (!chosen) return bad_input(fmt::format("{}: no layout splits {} over {} devices", env.name, spec.name, env.devices));
      const ParallelPrediction* best = &chosen->prediction;
      r.layout = chosen->describe();
      r.bytes_per_device = best->memory.bytes_total;
      r.fits = plan->fits();
      r.fit_note = r.fits ? fmt::format("fits as {} over {} devices", r.layout, env.devices)
                          : fmt::format("does not fit: needs {} per device as {}, has {}",
                                        format_bytes(best->memory.bytes_total), r.layout, format_bytes(hw.bytes_memory));
      double steps = ceil_div(job.tokens, static_cast<double>(best->global_batch * job.seq));
      r.seconds = steps * best->seconds_per_step;
      const double exposed = std::min(best->seconds_communication_exposed, best->seconds_per_step);
      r.seconds_by_bound[static_cast<size_t>(Bound::kCompute)] += steps * (best->seconds_per_step - exposed);
      r.seconds_by_bound[static_cast<size_t>(Bound::kCommunication)] += steps * exposed;
      // Busy: the step's compute without exposed communication and without the pipeline
      // bubble (bubble_fraction = bubble / (m x t_mb), so compute = m x t_mb x (1 + bubble_fraction)).
      r.seconds_busy += steps * (best->seconds_per_step - exposed) / (1 + std::max(0.0, best->bubble_fraction));
      r.mfu = best->mfu;
    }
  } else {
    w.batch = job.batch;
    w.phase = Phase::kPrefill;
    w.seq = job.prompt;
    Software prefill_sw = env.software.value_or(default_software(Phase::kPrefill));
    Software decode_sw = env.software.value_or(default_software(Phase::kDecode));
    r.software = decode_sw;
    TimingEngine prefill_engine(hw, profile, prefill_sw);
    TimingEngine decode_engine(hw, profile, decode_sw);
    const System system = system_of(env, hw);
    if (env.devices > 1) {
      prefill_engine.set_network(system.network());
      decode_engine.set_network(system.network());
    }
    // One replica per tp devices: the smallest tp (1, 2, 4, 8 inside a node) that fits.
    // Simpson's rule over the context the decode steps see: prompt .. prompt + output - 1.
    const int64_t last = job.prompt + job.output - 1;
    const int64_t contexts[3] = {job.prompt, job.prompt + (job.output - 1) / 2, last};
    const double weights[3] = {1.0 / 6, 4.0 / 6, 1.0 / 6};
    const double steps = static_cast<double>(job.output);
    const Workload base = w;
    std::optional<JobRun> chosen;
    int64_t tp_used = 1;
    for (int64_t tp : tp_candidates(env.devices, system.gpus_per_node)) {
      Parallel par;
      par.tp = tp;
      par.gpus_per_node = system.gpus_per_node;
      if (!validate(par, spec)) continue;
      JobRun t = r;
      Workload lw = base;
      lw.parallel = par;
      lw.phase = Phase::kPrefill;
      lw.seq = job.prompt;
      auto pre = predict(spec, lw, hw, prefill_engine);
      if (!pre) return pre.error();
      lw.phase = Phase::kDecode;
      lw.seq = 1;
      double batches = ceil_div(static_cast<double>(job.requests > 0 ? job.requests : job.batch),
                                static_cast<double>(job.batch));
      double rounds = ceil_div(batches, static_cast<double>(env.devices / tp));
      double seconds_decode = 0;
      for (int i = 0; i < 3; ++i) {
        lw.context = contexts[i];
        auto d = predict(spec, lw, hw, decode_engine);
        if (!d) return d.error();
        seconds_decode += weights[i] * steps * d->seconds;
        add_bounds(t, *d, rounds * weights[i] * steps);
        if (i == 2) {
          t.fits = d->fits;
          t.bytes_per_device = d->memory.bytes_total;
        }
      }
      add_bounds(t, *pre, rounds);
      t.seconds = rounds * (pre->seconds + seconds_decode);
      t.mfu = pre->mfu;
      chosen = t;
      tp_used = tp;
      if (t.fits) break;
    }
    if (!chosen) {
      return bad_input(fmt::format("{}: no tensor-parallel degree up to {} splits {}'s heads", env.name,
                                   env.devices, spec.name));
    }
    r = *chosen;
    const int64_t replicas = env.devices / tp_used;
    if (tp_used > 1) r.layout = fmt::format("tp {} x {} replica{}", tp_used, replicas, replicas > 1 ? "s" : "");
    if (r.fits && tp_used == 1) {
      r.fit_note = env.devices > 1 ? "fits on one device (one replica per device)" : "fits on one device";
    } else if (r.fits) {
      r.fit_note = fmt::format("fits with tensor parallelism over {} devices ({} replica{})", tp_used, replicas,
                               replicas > 1 ? "s" : "");
    } else {
      r.fit_note = fmt::format("does not fit: needs {} per device{}, has {}", format_bytes(r.bytes_per_device),
                               tp_used > 1 ? fmt::format(" with tp {}", tp_used) : std::string(" on one device"),
                               format_bytes(hw.bytes_memory));
    }
  }
  auto worst = std::max_element(r.seconds_by_bound.begin(), r.seconds_by_bound.end());
  r.bound = static_cast<Bound>(worst - r.seconds_by_bound.begin());

  PriceQuote price = price_of(env);
  r.usd_per_device_hour = price.usd_per_device_hour;
  r.price_source = price.source;
  r.usd = n * r.seconds / kSecondsPerHour * r.usd_per_device_hour;
  r.energy = estimate_energy(power_model_of(env, hw), pue_of(env), n, r.seconds, r.seconds_busy);
  r.watts = r.energy.watts;
  r.joules = r.energy.joules.value_or(0);
  auto carbon = carbon_of(env, price);
  if (!carbon) return carbon.error();
  r.carbon = *carbon;
  r.grams_co2 = grams_co2_of(r.energy.joules, r.carbon).value_or(0);
  return r;
}

}  // namespace flopscope
