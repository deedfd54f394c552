// Speed of the serving simulator (plan/serving.h): one simulated hour of Poisson traffic at
// 50 requests/s on one replica (Llama-3.1-8B on an H100, prompt 512, output 128; 180k
// requests). The target (issue 13) is under 2 s, grid predictions included.
#include <benchmark/benchmark.h>

#include "flopscope/model/load.h"
#include "flopscope/perf/predict.h"
#include "flopscope/plan/serving.h"

namespace flopscope {
namespace {

void BM_SimulateOneHourAt50Rps(benchmark::State& state) {
  auto spec = load_model("llama-3.1-8b");
  auto hw = HardwareCatalog::builtin().find("h100-sxm");
  if (!spec || !hw) {
    state.SkipWithError("catalog entry missing");
    return;
  }
  TimingEngine prefill(**hw, nullptr, default_software(Phase::kPrefill));
  TimingEngine decode(**hw, nullptr, default_software(Phase::kDecode));
  ServingOptions o;
  o.workload.modules = Modules::kFused;
  o.load.rate = 50;
  o.load.seconds_duration = 3600;
  o.load.prompt.value = 512;
  o.load.output.value = 128;
  int64_t requests = 0;
  for (auto _ : state) {
    auto r = simulate_serving(*spec, o, **hw, prefill, decode);
    if (!r) {
      state.SkipWithError(r.error().message.c_str());
      return;
    }
    requests = r->requests;
    state.counters["iterations"] = static_cast<double>(r->iterations);
    state.counters["predictions"] = static_cast<double>(r->predictions);
    benchmark::DoNotOptimize(r->e2e_seconds);
  }
  state.counters["requests"] = static_cast<double>(requests);
}
BENCHMARK(BM_SimulateOneHourAt50Rps)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace
}  // namespace flopscope
