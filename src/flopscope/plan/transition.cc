#include "flopscope/plan/transition.h"

#include <cmath>
#include <limits>

namespace flopscope {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

double ratio(double num, double den) { return den > 0 && num > 0 ? num / den : kNaN; }

// The change groups, in the order they are applied (transition.h).
void apply_hardware(Environment& s, const Environment& to) {
  s.hardware_id = to.hardware_id;
  s.devices = to.devices;
  s.bytes_per_second_interconnect = to.bytes_per_second_interconnect;
  s.profile_path = to.profile_path;
  s.profile = to.profile;
  s.watts = to.watts;
  s.idle_watts = to.idle_watts;
}
void apply_precision(Environment& s, const Environment& to) {
  s.dtype = to.dtype;
  s.weights = to.weights;
}
void apply_software(Environment& s, const Environment& to) {
  s.software = to.software;
  s.flash_attention = to.flash_attention;
}
void apply_price(Environment& s, const Environment& to) {
  s.provider = to.provider;
  s.pricing = to.pricing;
  s.usd_per_device_hour = to.usd_per_device_hour;
  s.pue = to.pue;
  s.carbon_g_per_kwh = to.carbon_g_per_kwh;
  s.region = to.region;
}

// Before the price step an intermediate keeps the "from" price model; a price given for
// the old hardware does not carry over to new hardware.
void price_intermediate(Environment& s, const Environment& from, const Environment& to) {
  if (s.hardware_id == from.hardware_id) return;
  s.usd_per_device_hour = 0;
  if (price_of(s).usd_per_device_hour > 0) return;
  s.provider = to.provider;
  s.pricing = to.pricing;
  s.usd_per_device_hour = to.hardware_id == s.hardware_id ? to.usd_per_device_hour : 0;
}

}  // namespace

TransitionRatios ratios(const JobRun& from, const JobRun& to, const TransitionWeights& weights) {
  TransitionRatios r;
  r.speedup = ratio(from.seconds, to.seconds);
  r.cost_ratio = from.has_price() && to.has_price() ? ratio(to.usd, from.usd) : kNaN;
  r.energy_ratio = ratio(to.joules, from.joules);
  r.transition_score = std::pow(r.speedup, weights.time) * std::pow(1 / r.cost_ratio, weights.cost);
  return r;
}

Result<Transition> transition(const TransformerSpec& spec, const Job& job, const Environment& from,
                              const Environment& to, const TransitionWeights& weights,
                              const MigrationCosts& migration) {
  Transition t;
  auto a = run_job(spec, job, from);
  if (!a) return a.error();
  auto b = run_job(spec, job, to);
  if (!b) return b.error();
  t.from = *a;
  t.to = *b;
  t.whole = ratios(t.from, t.to, weights);
  t.migration = migration;

  using Apply = void (*)(Environment&, const Environment&);
  const std::pair<const char*, Apply> changes[] = {
      {"hardware", apply_hardware}, {"precision", apply_precision}, {"software", apply_software}, {"price", apply_price}};
  Environment state = from;
  JobRun previous = t.from;
  t.steps.push_back(t.from);
  std::string pending;  // names of changes whose intermediate could not run
  for (size_t i = 0; i < std::size(changes); ++i) {
    changes[i].second(state, to);
    std::string name = pending.empty() ? changes[i].first : pending + "+" + changes[i].first;
    bool last = i + 1 == std::size(changes);
    JobRun current;
    if (last) {
      current = t.to;  // the chain ends exactly at `to`, so the factors telescope to the whole
    } else {
      Environment priced = state;
      price_intermediate(priced, from, to);
      priced.name = from.name + " with " + name + " of " + to.name;
      auto run = run_job(spec, job, priced);
      if (!run) {
        pending = name;
        continue;
      }
      current = *run;
    }
    t.factors.push_back({name, ratios(previous, current, weights)});
    if (!last) t.steps.push_back(current);
    previous = current;
    pending.clear();
  }
  t.steps.push_back(t.to);

  double usd_once = migration.usd();
  double saving = t.from.usd - t.to.usd;
  if (usd_once > 0 && t.from.has_price() && t.to.has_price() && saving > 0) {
    t.break_even_runs = usd_once / saving;
    t.break_even_seconds = *t.break_even_runs * t.to.seconds;
  }
  return t;
}

}  // namespace flopscope
