// The training-layout planner (plan/train_planner.h) and the profile + compose split of
// perf/parallel.h it relies on: each test fails if the search, the ranking or the
// composition were wrong.
#include "flopscope/plan/train_planner.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "flopscope/cost/lower_transformer.h"
#include "flopscope/model/load.h"

namespace flopscope {
namespace {

const Hardware& hardware(const char* id) {
  static std::map<std::string, Hardware> cache;
  auto h = HardwareCatalog::builtin().find(id);
  EXPECT_TRUE(h.ok()) << id;
  if (!h) return cache[id];
  return **h;
}

const System& system_of(const char* id) {
  static const System kNone;
  auto s = SystemCatalog::builtin().find(id);
  EXPECT_TRUE(s.ok()) << id;
  if (!s) return kNone;
  return **s;
}

TransformerSpec spec_of(const char* model) {
  auto s = load_model(model);
  EXPECT_TRUE(s.ok()) << model;
  return s ? *s : TransformerSpec{};
}

TimingEngine engine_for(const Hardware& hw, const System& sys) {
  TimingEngine e(hw, nullptr, Software::kEager);
  e.set_network(sys.network());
  return e;
}

Workload base_workload(int64_t seq, const System& sys) {
  Workload w;
  w.phase = Phase::kTrainStep;
  w.seq = seq;
  w.modules = Modules::kFused;
  w.parallel.gpus_per_node = sys.gpus_per_node;
  return w;
}

PlanRequest request(int64_t gpus, int64_t global_batch, int64_t seq, const System& sys) {
  PlanRequest r;
  r.workload = base_workload(seq, sys);
  r.gpus = gpus;
  r.global_batch = global_batch;
  return r;
}

MemoryOptions memory_for(const TransformerSpec& spec) {
  MemoryOptions mo;
  mo.dropout = spec.trains_with_dropout();
  return mo;
}

double rel(double a, double b) { return std::abs(a - b) / std::max(std::abs(b), 1e-300); }

TEST(TrainPlanner, Llama70bOn64H100BeatsHandPickedLayoutsAndAgreesWithPredict) {
  const Hardware& hw = hardware("h100-sxm");
  const System& sys = system_of("dgx-h100");
  TimingEngine engine = engine_for(hw, sys);
  TransformerSpec spec = spec_of("llama-3.1-70b");
  MemoryOptions mo = memory_for(spec);
  auto r = plan_training(spec, request(64, 512, 4096, sys), hw, sys, engine, mo);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(r->fits());
  EXPECT_GT(r->layouts_searched, 1000);
  EXPECT_GE(r->layouts_searched, r->layouts_valid);
  EXPECT_GE(r->layouts_valid, r->layouts_fitting);
  EXPECT_EQ(r->top.size(), 5u);
  const PlannedLayout& best = r->top.front();
  EXPECT_TRUE(best.prediction.fits);
  EXPECT_LE(best.prediction.memory.bytes_total, hw.bytes_memory);
  EXPECT_EQ(best.layout.devices(), 64);
  EXPECT_EQ(best.prediction.global_batch, 512);
  for (size_t i = 1; i < r->top.size(); ++i) {
    EXPECT_LE(r->top[i - 1].prediction.seconds_per_step, r->top[i].prediction.seconds_per_step);
  }
  EXPECT_FALSE(r->why.empty());
  EXPECT_NE(r->why.find("runner-up"), std::string::npos) << r->why;

  // The same layout through predict_training (the micro batch given) gives the same step.
  Workload w = base_workload(4096, sys);
  w.parallel = best.layout;
  w.batch = best.micro_batch;
  w.recompute = best.recompute;
  auto again = predict_training(spec, w, 64, 512, hw, engine, mo);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_LT(rel(again->seconds_per_step, best.prediction.seconds_per_step), 1e-9);
  EXPECT_LT(rel(again->memory.bytes_total, best.prediction.memory.bytes_total), 1e-9);

  // Hand-picked layouts, each predicted directly with its fastest micro batch.
  struct Pick {
    int64_t tp;
    bool sp;
    int64_t pp, v, cp;
    int zero;
    Recompute rc;
  };
  int fitting = 0;
  for (Pick k : {Pick{8, true, 2, 1, 1, 1, Recompute::kSelective}, Pick{8, true, 4, 2, 1, 1, Recompute::kSelective},
                 Pick{4, true, 4, 1, 1, 1, Recompute::kFull}, Pick{8, false, 8, 1, 1, 0, Recompute::kNone},
                 Pick{2, false, 1, 1, 1, 3, Recompute::kFull}, Pick{8, true, 1, 1, 1, 3, Recompute::kSelective}}) {
    Workload h = base_workload(4096, sys);
    h.batch = 0;
    h.recompute = k.rc;
    h.parallel.tp = k.tp;
    h.parallel.sequence_parallel = k.sp;
    h.parallel.pp = k.pp;
    h.parallel.virtual_stages = k.v;
    h.parallel.cp = k.cp;
    h.parallel.zero = k.zero;
    auto p = predict_training(spec, h, 64, 512, hw, engine, mo);
    ASSERT_TRUE(p.ok()) << p.error().message;
    if (!p->fits) continue;
    ++fitting;
    EXPECT_LE(best.prediction.seconds_per_step, p->seconds_per_step * (1 + 1e-12)) << describe(p->workload.parallel);
  }
  EXPECT_GE(fitting, 2);
}

TEST(TrainPlanner, SmallModelPicksPureDataParallel) {
  const Hardware& hw = hardware("h100-sxm");
  const System& sys = system_of("dgx-h100");
  TimingEngine engine = engine_for(hw, sys);
  TransformerSpec spec = spec_of("llama-3.2-1b");
  auto r = plan_training(spec, request(8, 256, 2048, sys), hw, sys, engine, memory_for(spec));
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(r->fits());
  const Parallel& p = r->top.front().layout;
  EXPECT_EQ(p.tp, 1) << r->why;
  EXPECT_EQ(p.pp, 1) << r->why;
  EXPECT_EQ(p.cp, 1) << r->why;
  EXPECT_EQ(p.dp, 8) << r->why;
}

TEST(TrainPlanner, NothingFitsIsAResultNotAnError) {
  const Hardware& hw = hardware("h100-sxm");
  const System& sys = system_of("dgx-h100");
  TimingEngine engine = engine_for(hw, sys);
  TransformerSpec spec = spec_of("llama-3.1-405b");
  auto r = plan_training(spec, request(8, 64, 4096, sys), hw, sys, engine, memory_for(spec));
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->fits());
  EXPECT_TRUE(r->top.empty());
  EXPECT_EQ(r->layouts_fitting, 0);
  EXPECT_GT(r->layouts_valid, 0);
  ASSERT_TRUE(r->smallest_not_fitting.has_value());
  EXPECT_GT(r->smallest_not_fitting->prediction.memory.bytes_total, hw.bytes_memory);
  EXPECT_NE(r->why.find("no layout fits"), std::string::npos) << r->why;
}

// fit_only answers "does any layout fit" as the full search does, looking at fewer layouts.
TEST(TrainPlanner, FitOnlyAgreesWithTheFullSearch) {
  const Hardware& hw = hardware("h100-sxm");
  const System& sys = system_of("dgx-h100");
  TimingEngine engine = engine_for(hw, sys);
  TransformerSpec spec = spec_of("llama-3.1-8b");
  for (int64_t gpus : {1, 2, 4, 8}) {
    PlanRequest full = request(gpus, gpus, 4096, sys);
    full.recompute = {Recompute::kFull};
    full.max_micro_batch = 1;
    PlanRequest quick = full;
    quick.fit_only = true;
    auto a = plan_training(spec, full, hw, sys, engine, memory_for(spec));
    auto b = plan_training(spec, quick, hw, sys, engine, memory_for(spec));
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(a->fits(), b->fits()) << gpus << " GPUs";
    EXPECT_LE(b->top.size(), 1u);
    EXPECT_FALSE(b->runner_up.has_value());
    EXPECT_FALSE(b->smallest_not_fitting.has_value());
    if (a->fits()) {
      EXPECT_LT(b->layouts_searched, a->layouts_searched) << gpus << " GPUs";
      EXPECT_LE(b->top.front().prediction.memory.bytes_total, hw.bytes_memory);
      // Its memory is the full prediction's for the same layout, to the byte.
      Workload w = full.workload;
      w.phase = Phase::kTrainStep;
      w.batch = b->top.front().micro_batch;
      w.recompute = b->top.front().recompute;
      w.parallel = b->top.front().layout;
      auto whole = predict_parallel_train(spec, w, hw, engine, memory_for(spec));
      ASSERT_TRUE(whole.ok()) << whole.error().message;
      EXPECT_TRUE(whole->fits);
      EXPECT_EQ(whole->memory.bytes_total, b->top.front().prediction.memory.bytes_total) << gpus << " GPUs";
    } else {
      EXPECT_EQ(b->layouts_searched, a->layouts_searched) << gpus << " GPUs";
    }
  }
}

TEST(TrainPlanner, CostObjectiveRanksByCostPerToken) {
  const Hardware& hw = hardware("h100-sxm");
  const System& sys = system_of("dgx-h100");
  TimingEngine engine = engine_for(hw, sys);
  TransformerSpec spec = spec_of("llama-3.1-8b");
  PlanRequest req = request(16, 128, 4096, sys);
  req.objective = PlanObjective::kCost;
  req.top = 8;
  req.usd_per_device_hour = 3.0;
  auto r = plan_training(spec, req, hw, sys, engine, memory_for(spec));
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_GE(r->top.size(), 2u);
  for (size_t i = 0; i < r->top.size(); ++i) {
    const PlannedLayout& p = r->top[i];
    EXPECT_LT(rel(p.usd_per_token, 16 * 3.0 / 3600 / p.prediction.tokens_per_second), 1e-12);
    if (i > 0) {
      EXPECT_LE(r->top[i - 1].usd_per_token, p.usd_per_token);
    }
  }
  // Without a price the cost objective is refused, naming the flag.
  req.usd_per_device_hour = 0;
  auto none = plan_training(spec, req, hw, sys, engine, memory_for(spec));
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().message.find("--objective cost"), std::string::npos);
}

TEST(TrainPlanner, BadRequestsNameTheFlag) {
  const Hardware& hw = hardware("h100-sxm");
  const System& sys = system_of("dgx-h100");
  TimingEngine engine = engine_for(hw, sys);
  TransformerSpec spec = spec_of("llama-3.2-1b");
  auto gpus = plan_training(spec, request(0, 64, 2048, sys), hw, sys, engine, memory_for(spec));
  ASSERT_FALSE(gpus.ok());
  EXPECT_NE(gpus.error().message.find("--gpus"), std::string::npos);
  auto batch = plan_training(spec, request(8, 0, 2048, sys), hw, sys, engine, memory_for(spec));
  ASSERT_FALSE(batch.ok());
  EXPECT_NE(batch.error().message.find("--global-batch"), std::string::npos);
  // 7 sequences on 8 devices: no data-parallel size divides the batch except dp = 1,
  // which needs tp x pp x cp = 8 -- still searched, so a result.
  auto odd = plan_training(spec, request(8, 7, 2048, sys), hw, sys, engine, memory_for(spec));
  ASSERT_TRUE(odd.ok()) << odd.error().message;
  if (odd->fits()) {
    EXPECT_EQ(odd->top.front().layout.dp, 1);
  }
}

// profile + stage_times + compose reproduce what timing the layout's own op list gives:
// compute by pass, the optimizer update and every collective (perf/parallel.h's formula).
TEST(StageProfile, ComposeMatchesTheLayoutsOwnOpList) {
  const Hardware& hw = hardware("h100-sxm");
  const System& sys = system_of("dgx-h100");
  TimingEngine engine = engine_for(hw, sys);
  struct Case {
    const char* model;
    int64_t tp;
    bool sp;
    int64_t pp, v, dp, cp, ep;
    int zero;
    Recompute rc;
  };
  for (Case c : {Case{"llama-3.1-70b", 8, true, 4, 2, 2, 1, 1, 1, Recompute::kSelective},
                 Case{"llama-3.1-70b", 4, false, 2, 1, 4, 2, 1, 3, Recompute::kFull},
                 Case{"llama-3.1-8b", 1, false, 1, 1, 16, 1, 1, 0, Recompute::kNone},
                 Case{"llama-3.1-8b", 2, true, 1, 1, 2, 4, 1, 2, Recompute::kFull},
                 Case{"mixtral-8x7b", 2, true, 4, 1, 8, 1, 8, 1, Recompute::kSelective}}) {
    TransformerSpec spec = spec_of(c.model);
    Workload w = base_workload(4096, sys);
    w.batch = 2;
    w.recompute = c.rc;
    w.parallel.tp = c.tp;
    w.parallel.sequence_parallel = c.sp;
    w.parallel.pp = c.pp;
    w.parallel.virtual_stages = c.v;
    w.parallel.dp = c.dp;
    w.parallel.cp = c.cp;
    w.parallel.ep = c.ep;
    w.parallel.zero = c.zero;
    w.parallel.micro_batches = 4;
    auto p = predict_parallel_train(spec, w, hw, engine, memory_for(spec));
    ASSERT_TRUE(p.ok()) << c.model << ": " << p.error().message;
    OpList forward, backward, optimizer;
    double comm = 0;
    for (const Op& op : p->ops) {
      if (op.kind == OpKind::kCollective) {
        double t = engine.collective_seconds(op.collective) * static_cast<double>(op.count);
        bool per_step = op.overlap == Overlap::kLastBackward || op.overlap == Overlap::kNextForward;
        comm += per_step ? t : 4 * t;
        continue;
      }
      (op.pass == Pass::kForward ? forward : op.pass == Pass::kBackward ? backward : optimizer).push_back(op);
    }
    const std::string at = describe(w.parallel) + " " + c.model;
    EXPECT_LT(rel(p->seconds_forward, time_ops(engine, forward).seconds), 1e-12) << at;
    EXPECT_LT(rel(p->seconds_backward, time_ops(engine, backward).seconds), 1e-12) << at;
    EXPECT_LT(rel(p->seconds_by_part[static_cast<size_t>(StepPart::kOptimizer)], time_ops(engine, optimizer).seconds),
              1e-9)
        << at;
    EXPECT_LT(rel(p->seconds_communication, comm), 1e-12) << at;
  }
}

}  // namespace
}  // namespace flopscope
