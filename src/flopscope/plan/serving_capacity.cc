#include "flopscope/plan/serving_capacity.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>

namespace flopscope {

Result<CapacityResult> find_capacity(const TransformerSpec& spec, const CapacityOptions& o, const Hardware& hw,
                                     const TimingEngine& prefill_engine, const TimingEngine& decode_engine) {
  if (!(o.seconds_slo_ttft_p95 > 0) || !std::isfinite(o.seconds_slo_ttft_p95)) {
    return bad_input(fmt::format("--slo-ttft-p95: expected seconds above 0, got {}", o.seconds_slo_ttft_p95));
  }
  if (!(o.seconds_slo_itl_p95 > 0) || !std::isfinite(o.seconds_slo_itl_p95)) {
    return bad_input(fmt::format("--slo-itl-p95: expected seconds above 0, got {}", o.seconds_slo_itl_p95));
  }
  if (o.requests < 10) return bad_input("capacity: expected at least 10 requests per simulation");
  CapacityResult best;
  best.seconds_ttft_p95_floor = std::numeric_limits<double>::infinity();
  best.seconds_itl_p95_floor = std::numeric_limits<double>::infinity();
  for (int64_t max_running : o.max_running_choices) {
    ServingOptions so = o.serving;
    so.replicas = 1;
    so.engine.max_running = max_running;
    so.load.requests = o.requests;
    so.load.seconds_duration = 0;
    so.load.kind = LoadKind::kAllAtOnce;
    auto offline = simulate_serving(spec, so, hw, prefill_engine, decode_engine);
    ++best.simulations;
    if (!offline) return offline.error();
    const double saturation = offline->requests_per_second;
    so.load.kind = LoadKind::kPoisson;
    auto meets = [&](double rate, ServingResult* out) -> Result<bool> {
      so.load.rate = rate;
      auto r = simulate_serving(spec, so, hw, prefill_engine, decode_engine);
      ++best.simulations;
      if (!r) return r.error();
      if (out) *out = *r;
      return r->ttft_seconds.p95 <= o.seconds_slo_ttft_p95 && r->itl_seconds.p95 <= o.seconds_slo_itl_p95;
    };
    // The lowest rate: requests one at a time, nearly. Fails there: this setting cannot.
    double lo = saturation * 0.01;
    ServingResult at_lo;
    auto ok_lo = meets(lo, &at_lo);
    if (!ok_lo) return ok_lo.error();
    if (!*ok_lo) {
      best.seconds_ttft_p95_floor = std::min(best.seconds_ttft_p95_floor, at_lo.ttft_seconds.p95);
      best.seconds_itl_p95_floor = std::min(best.seconds_itl_p95_floor, at_lo.itl_seconds.p95);
      continue;
    }
    // A replica cannot sustain more than its offline throughput: a short run above it
    // may still meet the targets before the queue has grown, so the search stops there.
    double hi = saturation;
    ServingResult at = at_lo;
    ServingResult probe;
    auto ok_hi = meets(hi, &probe);
    if (!ok_hi) return ok_hi.error();
    if (*ok_hi) {
      lo = hi;
      at = probe;
    } else {
      for (int i = 0; i < o.bisection_steps; ++i) {
        const double mid = std::sqrt(lo * hi);
        auto ok = meets(mid, &probe);
        if (!ok) return ok.error();
        if (*ok) {
          lo = mid;
          at = probe;
        } else {
          hi = mid;
        }
      }
    }
    if (!best.met || lo > best.max_rate_per_replica) {
      best.met = true;
      best.max_rate_per_replica = lo;
      best.max_running = max_running;
      best.saturation_rate = saturation;
      best.at_max = at;
    }
  }
  return best;
}

}  // namespace flopscope
