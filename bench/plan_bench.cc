// Throughput of the training-layout planner (plan/train_planner.h): layouts searched per
// second on one core, the whole search included (profiles, pipeline depths, composition,
// the final predictions of the top 5). The target is >= 1e5 per second.
#include <benchmark/benchmark.h>

#include "flopscope/model/load.h"
#include "flopscope/plan/train_planner.h"

namespace flopscope {
namespace {

void plan(benchmark::State& state, const char* model, const char* hardware, const char* system, int64_t gpus,
          int64_t global_batch, int64_t seq) {
  auto spec = load_model(model);
  auto hw = HardwareCatalog::builtin().find(hardware);
  auto sys = SystemCatalog::builtin().find(system);
  if (!spec || !hw || !sys) {
    state.SkipWithError("catalog entry missing");
    return;
  }
  TimingEngine engine(**hw, nullptr, Software::kEager);
  engine.set_network((*sys)->network());
  PlanRequest req;
  req.workload.phase = Phase::kTrainStep;
  req.workload.seq = seq;
  req.workload.modules = Modules::kFused;
  req.gpus = gpus;
  req.global_batch = global_batch;
  MemoryOptions mo;
  mo.dropout = spec->trains_with_dropout();
  int64_t layouts = 0;
  for (auto _ : state) {
    auto r = plan_training(*spec, req, **hw, **sys, engine, mo);
    if (!r) {
      state.SkipWithError(r.error().message.c_str());
      return;
    }
    layouts += r->layouts_searched;
    benchmark::DoNotOptimize(r->top);
  }
  state.counters["layouts"] = benchmark::Counter(static_cast<double>(layouts) / static_cast<double>(state.iterations()));
  state.counters["layouts_per_second"] = benchmark::Counter(static_cast<double>(layouts), benchmark::Counter::kIsRate);
}

void BM_PlanLlama70bOn64H100(benchmark::State& state) {
  plan(state, "llama-3.1-70b", "h100-sxm", "dgx-h100", 64, 512, 4096);
}
BENCHMARK(BM_PlanLlama70bOn64H100)->Unit(benchmark::kMillisecond);

void BM_PlanLlama405bOn1024H100(benchmark::State& state) {
  plan(state, "llama-3.1-405b", "h100-sxm", "dgx-h100", 1024, 2048, 8192);
}
BENCHMARK(BM_PlanLlama405bOn1024H100)->Unit(benchmark::kMillisecond);

void BM_PlanMixtralOn64H100(benchmark::State& state) {
  plan(state, "mixtral-8x7b", "h100-sxm", "dgx-h100", 64, 256, 4096);
}
BENCHMARK(BM_PlanMixtralOn64H100)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace flopscope
