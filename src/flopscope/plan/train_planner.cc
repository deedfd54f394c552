#include "flopscope/plan/train_planner.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <memory>
#include <tuple>

#include "flopscope/util/units.h"

namespace flopscope {

Result<PlanObjective> parse_plan_objective(std::string_view text) {
  if (text == "throughput") return PlanObjective::kThroughput;
  if (text == "cost") return PlanObjective::kCost;
  return bad_input(fmt::format("--objective: expected throughput or cost, got '{}'", text));
}

const char* plan_objective_name(PlanObjective o) { return o == PlanObjective::kCost ? "cost" : "throughput"; }

std::string PlannedLayout::describe() const {
  return fmt::format("{}, micro batch {}, recompute {}", flopscope::describe(layout), micro_batch,
                     recompute_name(recompute));
}

namespace {

// What the search keeps of every fitting layout (the ranked ones are predicted again).
struct Candidate {
  Parallel layout;
  int64_t micro_batch = 1;
  Recompute recompute = Recompute::kNone;
  double seconds_per_step = 0;
  double bytes_memory = 0;
};

std::vector<int64_t> divisors(int64_t n, int64_t at_most) {
  std::vector<int64_t> out;
  for (int64_t d = 1; d <= std::min(n, at_most); ++d) {
    if (n % d == 0) out.push_back(d);
  }
  return out;
}

const char* part_phrase(StepPart p) {
  switch (p) {
    case StepPart::kCompute: return "compute";
    case StepPart::kTensorParallel: return "exposed tensor-parallel communication";
    case StepPart::kPipeline: return "pipeline sends";
    case StepPart::kExpertParallel: return "expert-parallel all-to-all";
    case StepPart::kContextParallel: return "exposed ring-attention communication";
    case StepPart::kDataParallel: return "exposed data-parallel communication";
    case StepPart::kBubble: return "pipeline bubble";
    case StepPart::kOptimizer: return "optimizer update";
    case StepPart::kCount: break;
  }
  return "?";
}

std::string explain(const PlanResult& r, const Hardware& hw, PlanObjective objective) {
  if (r.top.empty()) {
    if (!r.smallest_not_fitting) return "no layout splits the model on these devices";
    const auto& s = *r.smallest_not_fitting;
    return fmt::format("no layout fits: the smallest per-device footprint of the {} valid layouts is {} ({}) of {} "
                       "per device; use more devices or devices with more memory",
                       r.layouts_valid, format_bytes(s.prediction.memory.bytes_total), s.describe(),
                       format_bytes(hw.bytes_memory));
  }
  const PlannedLayout& best = r.top.front();
  const ParallelPrediction& b = best.prediction;
  std::string why = fmt::format("{}: {} per step, {} tokens/s, MFU {}, {} of {} per device", best.describe(),
                                format_seconds(b.seconds_per_step), format_si(b.tokens_per_second),
                                format_percent(b.mfu), format_bytes(b.memory.bytes_total),
                                format_bytes(hw.bytes_memory));
  if (r.runner_up) {
    const PlannedLayout& next = *r.runner_up;
    const ParallelPrediction& n = next.prediction;
    // The part of the step where the runner-up loses the most time.
    size_t largest = 0;
    double gain = -1;
    for (size_t i = 0; i < b.seconds_by_part.size(); ++i) {
      double d = n.seconds_by_part[i] - b.seconds_by_part[i];
      if (d > gain) {
        gain = d;
        largest = i;
      }
    }
    const double ahead = n.seconds_per_step / b.seconds_per_step - 1;
    const std::string margin = fmt::format("{:.2g}%", ahead * 100);
    if (ahead < 1e-9) {
      why += fmt::format(". It ties with the runner-up ({})", next.describe());
    } else if (objective == PlanObjective::kCost) {
      why += fmt::format(". It is {} cheaper per token than the runner-up ({})", margin, next.describe());
    } else {
      why += fmt::format(". It is {} faster than the runner-up ({})", margin, next.describe());
    }
    if (gain > 0) {
      why += fmt::format(", mostly on the {}: {} vs {} per step", part_phrase(static_cast<StepPart>(largest)),
                         format_seconds(b.seconds_by_part[largest]), format_seconds(n.seconds_by_part[largest]));
    }
  }
  if (r.fastest_not_fitting && r.fastest_not_fitting->prediction.seconds_per_step < b.seconds_per_step) {
    const auto& f = *r.fastest_not_fitting;
    why += fmt::format(". The fastest layout searched ({}) would take {} per step but needs {} per device of {}",
                       f.describe(), format_seconds(f.prediction.seconds_per_step),
                       format_bytes(f.prediction.memory.bytes_total), format_bytes(hw.bytes_memory));
  }
  return why;
}

}  // namespace

Result<PlanResult> plan_training(const TransformerSpec& spec, const PlanRequest& req, const Hardware& hw,
                                 const System& system, const TimingEngine& engine, const MemoryOptions& mo,
                                 const PlanProgress& progress) {
  constexpr int64_t kMaxDevices = 1'000'000;
  if (req.gpus < 1 || req.gpus > kMaxDevices) {
    return bad_input(fmt::format("--gpus: expected an integer from 1 to {}, got {}", kMaxDevices, req.gpus));
  }
  if (req.global_batch < 1 || req.global_batch > 1'000'000'000) {
    return bad_input(fmt::format("--global-batch: expected an integer from 1 to 1e9 sequences, got {}", req.global_batch));
  }
  if (req.top < 1) return bad_input(fmt::format("--top: expected a positive number of layouts, got {}", req.top));
  if (req.recompute.empty()) return bad_input("--recompute: expected at least one of none, selective, full");
  if (req.objective == PlanObjective::kCost && req.usd_per_device_hour <= 0) {
    return bad_input(fmt::format("--objective cost: the price catalog has no price for '{}' (see flopscope hardware {})",
                                 hw.id, hw.id));
  }
  Workload base = req.workload;
  base.phase = Phase::kTrainStep;
  if (auto st = validate(base); !st) return st.error();
  if (!hw.supports(base.dtype)) {
    return bad_input(missing_peak_message(hw, base.dtype));
  }
  const int64_t gpn = std::max<int64_t>(1, system.gpus_per_node);
  base.parallel = Parallel{};
  base.parallel.gpus_per_node = gpn;

  // The outer splits: tp (with and without sp), pp, cp; dp is what remains.
  struct Outer {
    int64_t tp;
    bool sp;
    int64_t pp, cp;
  };
  std::vector<Outer> outer;
  for (int64_t tp : divisors(std::max<int64_t>(1, spec.num_heads), std::min(gpn, req.gpus))) {
    if (req.gpus % tp != 0) continue;
    for (bool sp : {false, true}) {
      if (sp && tp == 1) continue;
      for (int64_t pp = 1; pp <= std::min<int64_t>(std::max<int64_t>(1, spec.num_layers), req.gpus / tp); ++pp) {
        if ((req.gpus / tp) % pp != 0) continue;
        for (int64_t cp : {1, 2, 4, 8}) {
          if ((req.gpus / (tp * pp)) % cp != 0) continue;
          outer.push_back({tp, sp, pp, cp});
        }
      }
    }
  }

  PlanResult r;
  std::vector<Candidate> fitting;
  std::optional<Candidate> fastest_nf, smallest_nf;
  using Key = std::tuple<int64_t, bool, int64_t, int64_t, int64_t, int>;
  std::map<Key, std::unique_ptr<StageProfile>> profiles;
  const int64_t experts = spec.moe.num_experts;
  int64_t done = 0;
  // fit_only: set at the first layout that fits, and every loop below stops.
  auto found = [&] { return req.fit_only && !r.top.empty(); };
  for (const Outer& o : outer) {
    if (found()) break;
    if (progress) progress(done, static_cast<int64_t>(outer.size()));
    ++done;
    const int64_t dp = req.gpus / (o.tp * o.pp * o.cp);
    if (req.global_batch % dp != 0) continue;  // no whole micro-batch per replica
    const int64_t per_replica = req.global_batch / dp;
    std::vector<int64_t> eps = {1};
    if (experts > 1) {
      eps.clear();
      for (int64_t ep : divisors(experts, experts)) {
        if ((dp * o.cp) % ep == 0) eps.push_back(ep);
      }
    }
    std::vector<int64_t> chunks = {1};
    if (o.pp > 1) {
      for (int64_t v : {2, 4}) {
        if (o.pp * v <= spec.num_layers) chunks.push_back(v);
      }
    }
    for (int64_t ep : eps) {
      for (int64_t b : divisors(per_replica, req.max_micro_batch)) {
        for (Recompute rc : req.recompute) {
          if (found()) break;
          Workload w = base;
          w.batch = b;
          w.recompute = rc;
          Parallel& p = w.parallel;
          p.tp = o.tp;
          p.sequence_parallel = o.sp;
          p.pp = o.pp;
          p.cp = o.cp;
          p.dp = dp;
          p.ep = ep;
          p.micro_batches = per_replica / b;
          // The split is checked once for the chunks and stages below (v and ZeRO only need
          // what validate() checks of them, done per layout).
          const int64_t combos = static_cast<int64_t>(chunks.size()) * 4;
          if (auto st = check_parallel_layout(spec, w); !st) {
            r.layouts_searched += combos;
            continue;
          }
          // fit_only asks memory alone, which needs no lowering (stage_memory is arithmetic):
          // the one layout that fits is predicted in full below, by planned().
          if (req.fit_only) {
            const StageMemory stage = stage_memory(spec, w, mo);
            for (int64_t v : chunks) {
              for (int zero = 0; zero <= 3 && !found(); ++zero) {
                ++r.layouts_searched;
                p.virtual_stages = v;
                p.zero = zero;
                if ((v > 1 || zero > 0) && !validate(p, spec)) continue;
                ++r.layouts_valid;
                const StepMemory m = step_memory(spec, stage, w, hw, mo);
                if (m.fits) {
                  ++r.layouts_fitting;
                  // Its memory is all that is asked: the prediction is not timed.
                  PlannedLayout out;
                  out.layout = p;
                  out.micro_batch = b;
                  out.recompute = rc;
                  out.prediction.workload = w;
                  out.prediction.memory = m.memory;
                  out.prediction.bytes_activations_first_stage = m.bytes_activations_first_stage;
                  out.prediction.bytes_activations_last_stage = m.bytes_activations_last_stage;
                  out.prediction.fits = true;
                  r.top.push_back(std::move(out));
                }
              }
            }
            continue;
          }
          Key key{o.tp, o.sp, o.cp, ep, b, static_cast<int>(rc)};
          auto& slot = profiles[key];
          if (!slot) {
            auto prof = profile_stage(spec, w, hw, engine, mo);
            if (!prof) return prof.error();
            slot = std::make_unique<StageProfile>(std::move(*prof));
          }
          const StageTimes times = stage_times(*slot, engine, o.pp);
          for (int64_t v : chunks) {
            for (int zero = 0; zero <= 3; ++zero) {
              ++r.layouts_searched;
              p.virtual_stages = v;
              p.zero = zero;
              if ((v > 1 || zero > 0) && !validate(p, spec)) continue;
              ++r.layouts_valid;
              ParallelPrediction pred = compose(spec, *slot, times, w, hw, engine, mo);
              Candidate c{p, b, rc, pred.seconds_per_step, pred.memory.bytes_total};
              if (pred.fits) {
                ++r.layouts_fitting;
                fitting.push_back(c);
              } else {
                if (!fastest_nf || c.seconds_per_step < fastest_nf->seconds_per_step) fastest_nf = c;
                if (!smallest_nf || c.bytes_memory < smallest_nf->bytes_memory) smallest_nf = c;
              }
            }
          }
        }
      }
    }
  }
  if (progress) progress(done, static_cast<int64_t>(outer.size()));
  if (r.layouts_valid == 0) {
    return bad_input(fmt::format("no layout of {} on {} devices splits the model, the sequence ({}) and the global "
                                 "batch ({}) evenly",
                                 spec.name, req.gpus, base.seq, req.global_batch));
  }

  // With the device count fixed, cost per token is proportional to the step time: both
  // objectives order by it (ties: the earlier in the search, i.e. the simpler layout).
  std::stable_sort(fitting.begin(), fitting.end(),
                   [](const Candidate& a, const Candidate& b) { return a.seconds_per_step < b.seconds_per_step; });
  auto planned = [&](const Candidate& c) -> Result<PlannedLayout> {
    Workload w = base;
    w.batch = c.micro_batch;
    w.recompute = c.recompute;
    w.parallel = c.layout;
    auto pred = predict_parallel_train(spec, w, hw, engine, mo);
    if (!pred) return pred.error();
    PlannedLayout out;
    out.layout = c.layout;
    out.micro_batch = c.micro_batch;
    out.recompute = c.recompute;
    out.prediction = std::move(*pred);
    if (req.usd_per_device_hour > 0 && out.prediction.tokens_per_second > 0) {
      out.usd_per_token = static_cast<double>(req.gpus) * req.usd_per_device_hour / 3600.0 /
                          out.prediction.tokens_per_second;
    }
    return out;
  };
  if (req.fit_only) {  // the one fitting layout (in `top`, memory only), or none
    r.why = r.top.empty() ? fmt::format("no layout fits in {} per device", format_bytes(hw.bytes_memory))
                          : fmt::format("{} fits in {} per device", r.top.front().describe(),
                                        format_bytes(hw.bytes_memory));
    return r;
  }
  for (size_t i = 0; i < std::min<size_t>(fitting.size(), static_cast<size_t>(req.top)); ++i) {
    auto p = planned(fitting[i]);
    if (!p) return p.error();
    r.top.push_back(std::move(*p));
  }
  auto same_split = [](const Parallel& a, const Parallel& b) {
    return a.tp == b.tp && a.sequence_parallel == b.sequence_parallel && a.pp == b.pp &&
           a.virtual_stages == b.virtual_stages && a.cp == b.cp && a.ep == b.ep && a.zero == b.zero;
  };
  for (size_t i = 1; i < fitting.size(); ++i) {
    if (same_split(fitting[i].layout, fitting[0].layout)) continue;
    auto p = planned(fitting[i]);
    if (!p) return p.error();
    r.runner_up = std::move(*p);
    break;
  }
  if (!r.runner_up && r.top.size() > 1) r.runner_up = r.top[1];
  if (fastest_nf) {
    auto p = planned(*fastest_nf);
    if (!p) return p.error();
    r.fastest_not_fitting = std::move(*p);
  }
  if (smallest_nf) {
    auto p = planned(*smallest_nf);
    if (!p) return p.error();
    r.smallest_not_fitting = std::move(*p);
  }
  r.why = explain(r, hw, req.objective);
  return r;
}

}  // namespace flopscope
