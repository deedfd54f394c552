// Speed of autoscaling over a day-long load curve (plan/autoscale.h): a diurnal day at
// 5-minute rows, 10 s steps (8,640 per policy), all four policies; once with a given
// replica (the policies alone) and once end to end (Llama-3.1-8B on an H100, prompt 512,
// output 128: the capacity search's simulations, then the policies).
#include <benchmark/benchmark.h>

#include <cmath>

#include "flopscope/model/load.h"
#include "flopscope/perf/predict.h"
#include "flopscope/plan/autoscale.h"

namespace flopscope {
namespace {

std::vector<LoadPoint> diurnal_day(double peak_rps) {
  std::vector<LoadPoint> load;
  for (int i = 0; i < 288; ++i) {
    const double t = i * 300.0;
    load.push_back({t, 0.1 * peak_rps + 0.9 * peak_rps * 0.5 * (1 - std::cos(2 * M_PI * t / 86400))});
  }
  return load;
}

void BM_AutoscalePoliciesOverADay(benchmark::State& state) {
  const auto load = diurnal_day(200);
  ReplicaModel m;
  m.rps_capacity = 6;
  m.seconds_ttft_p95_at_capacity = 0.3;
  m.requests_in_flight_at_capacity = 20;
  m.usd_per_device_hour = 3;
  m.seconds_cold_start = 126;
  AutoscaleKnobs k;
  k.seconds_slo_ttft = 0.5;
  k.max_replicas = 100;
  int64_t steps = 0;
  for (auto _ : state) {
    for (int p = 0; p < kAutoscalePolicyCount; ++p) {
      auto r = simulate_autoscale(load, m, k, static_cast<AutoscalePolicy>(p));
      if (!r) {
        state.SkipWithError(r.error().message.c_str());
        return;
      }
      steps = static_cast<int64_t>(r->timeline.size());
      benchmark::DoNotOptimize(r->gpu_hours);
    }
  }
  state.counters["steps_per_policy"] = static_cast<double>(steps);
}
BENCHMARK(BM_AutoscalePoliciesOverADay)->Unit(benchmark::kMillisecond);

void BM_AutoscaleDayEndToEnd(benchmark::State& state) {
  auto spec = load_model("llama-3.1-8b");
  auto hw = HardwareCatalog::builtin().find("h100-sxm");
  auto cold = cold_start_defaults("disk");
  if (!spec || !hw || !cold) {
    state.SkipWithError("catalog entry missing");
    return;
  }
  TimingEngine prefill(**hw, nullptr, default_software(Phase::kPrefill));
  TimingEngine decode(**hw, nullptr, default_software(Phase::kDecode));
  AutoscaleOptions o;
  o.capacity.serving.workload.modules = Modules::kFused;
  o.capacity.serving.load.prompt.value = 512;
  o.capacity.serving.load.output.value = 128;
  o.capacity.seconds_slo_ttft_p95 = 0.5;
  o.capacity.seconds_slo_itl_p95 = 0.03;
  o.capacity.max_running_choices = {256, 128, 64, 32, 16, 8};
  o.load = diurnal_day(100);
  o.policies = {AutoscalePolicy::kStaticPeak, AutoscalePolicy::kTargetUtilization, AutoscalePolicy::kQueueDepth,
                AutoscalePolicy::kSchedule};
  o.cold_start = *cold;
  for (auto _ : state) {
    auto r = run_autoscale(*spec, o, **hw, prefill, decode);
    if (!r) {
      state.SkipWithError(r.error().message.c_str());
      return;
    }
    state.counters["simulations"] = static_cast<double>(r->capacity.simulations);
    state.counters["rps_per_replica"] = r->replica.rps_capacity;
    benchmark::DoNotOptimize(r->policies);
  }
}
BENCHMARK(BM_AutoscaleDayEndToEnd)->Unit(benchmark::kMillisecond)->Iterations(1);

}  // namespace
}  // namespace flopscope
