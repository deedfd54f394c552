// Many-device training (perf/parallel.h, cost/parallel.h, hw/system.h): properties that
// must hold whatever the calibration, each failing if the mechanism were wrong.
#include "flopscope/perf/parallel.h"

#include <gtest/gtest.h>

#include "flopscope/cost/lower_transformer.h"
#include "flopscope/cost/params.h"
#include "flopscope/hw/system.h"
#include "flopscope/model/load.h"

namespace flopscope {
namespace {

const Hardware& h100() {
  static const Hardware kNone;
  auto h = HardwareCatalog::builtin().find("h100-sxm");
  if (!h) return kNone;
  return **h;
}

const System& dgx() {
  static const System kNone;
  auto s = SystemCatalog::builtin().find("dgx-h100");
  if (!s) return kNone;
  return **s;
}

TransformerSpec spec_of(const char* model) {
  auto s = load_model(model);
  EXPECT_TRUE(s.ok()) << model;
  return s ? *s : TransformerSpec{};
}

Workload train(int64_t micro_batch, int64_t seq) {
  Workload w;
  w.phase = Phase::kTrainStep;
  w.batch = micro_batch;
  w.seq = seq;
  w.modules = Modules::kFused;
  return w;
}

struct Outcome {
  bool ok = false;
  ParallelPrediction p;
  std::string error;
};

Outcome predict(const char* model, Workload w, int64_t gpus, int64_t global_batch) {
  Outcome r;
  TransformerSpec spec = spec_of(model);
  w.parallel.gpus_per_node = 8;
  TimingEngine engine(h100(), nullptr, Software::kEager);
  engine.set_network(dgx().network());
  auto p = predict_training(spec, w, gpus, global_batch, h100(), engine, MemoryOptions{});
  if (p) {
    r.ok = true;
    r.p = std::move(*p);
  } else {
    r.error = p.error().message;
  }
  return r;
}

double sum_collective_bytes(const OpList& ops, const std::string& component) {
  double b = 0;
  for (const Op& op : ops) {
    if (op.kind == OpKind::kCollective && op.component == component) b += op.collective.bytes * static_cast<double>(op.count);
  }
  return b;
}

TEST(SystemCatalog, EmbeddedCatalogParsesAndEverySystemNamesKnownHardware) {
  const auto& all = SystemCatalog::builtin().all();
  ASSERT_GE(all.size(), 8u);
  for (const System& s : all) {
    EXPECT_TRUE(HardwareCatalog::builtin().find(s.hardware).ok()) << s.id;
    EXPECT_FALSE(s.sources.empty()) << s.id;
  }
  ASSERT_NE(SystemCatalog::builtin().for_hardware("h100-sxm"), nullptr);
  EXPECT_EQ(SystemCatalog::builtin().for_hardware("h100-sxm")->id, "dgx-h100");
}

// The L40S has no NVLink: its reference node's all-reduce runs at the measured copy ring
// over PCIe (20.7 GB/s), not at the 32 GB/s link rate, plus NCCL's PCI latency.
TEST(Collectives, PcieNodeAllReduceRunsAtItsMeasuredRing) {
  const Hardware& l40s = **HardwareCatalog::builtin().find("l40s");
  const System* node = SystemCatalog::builtin().for_hardware("l40s");
  ASSERT_NE(node, nullptr);
  EXPECT_EQ(node->id, "l40s-pcie");
  TimingEngine e(l40s, nullptr, Software::kGraphs);
  e.set_network(node->network());
  // NCCL's PCI cost model: 6.6 us + 1.0 us per hop, 2 (n - 1) hops an all-reduce.
  CollectiveShape ar{CollectiveKind::kAllReduce, 32e6, 4, 0};
  EXPECT_NEAR(e.collective_seconds(ar), 12.6e-6 + 32e6 * 2 * 3 / 4 / 20.7e9, 1e-9);
  CollectiveShape ar8{CollectiveKind::kAllReduce, 32e6, 8, 0};
  EXPECT_NEAR(e.collective_seconds(ar8), 20.6e-6 + 32e6 * 2 * 7 / 8 / 20.7e9, 1e-9);
  TimingEngine bare(l40s, nullptr, Software::kGraphs);  // no node: the link rate
  EXPECT_LT(bare.collective_seconds(ar), e.collective_seconds(ar));
}

TEST(SystemCatalog, BadEntriesAreOneLineNamingTheField) {
  auto r = SystemCatalog::parse("[system.x]\nname='x'\nhardware='h100-sxm'\ngpus_per_node=-8\nlink_gbps=1\n", "s.toml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("s.toml: system.x.gpus_per_node"), std::string::npos) << r.error().message;
  r = SystemCatalog::parse("[system.x]\nname='x'\nhardware='h100-sxm'\ngpus_per_node=8\nlink_gbs=1\n", "s.toml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("did you mean 'link_gbps'"), std::string::npos) << r.error().message;
  r = SystemCatalog::parse("[system.x]\nname='x'\nhardware='h100-sxm'\ngpus_per_node=8\nlink_gbps=1\nlatency_intra_hop_us=1e300\n",
                           "s.toml");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("s.toml: system.x.latency_intra_hop_us: expected at most 1e6 microseconds (1 s)"),
            std::string::npos)
      << r.error().message;
  for (const char* bad : {"nan", "-1", "inf"}) {
    r = SystemCatalog::parse(std::string("[system.x]\nname='x'\nhardware='h100-sxm'\ngpus_per_node=8\nlink_gbps=1\n"
                                         "latency_intra_hop_us=") + bad + "\n",
                             "s.toml");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message.find("s.toml: system.x.latency_intra_hop_us"), std::string::npos) << r.error().message;
  }
  auto f = SystemCatalog::builtin().find("dgx-h10");
  ASSERT_FALSE(f.ok());
  EXPECT_NE(f.error().message.find("did you mean 'dgx-h100'"), std::string::npos);
}

TEST(Collectives, CrossingNodesIsSlowerAndSharingANodeSplitsTheNetwork) {
  TimingEngine e(h100(), nullptr, Software::kEager);
  e.set_network(dgx().network());
  CollectiveShape intra{CollectiveKind::kAllGather, 1e9, 8, 8};
  CollectiveShape one_per_node{CollectiveKind::kAllGather, 1e9, 8, 1};
  CollectiveShape two_per_node{CollectiveKind::kAllGather, 1e9, 8, 2};
  double t_intra = e.collective_seconds(intra), t1 = e.collective_seconds(one_per_node),
         t2 = e.collective_seconds(two_per_node);
  EXPECT_LT(t_intra, t2);
  EXPECT_LT(t2, t1);
  // One member per node gets one NIC's share: bytes (n-1)/n over busbw_inter / 8.
  const Network n = dgx().network();
  double expected = 1e9 * 7.0 / 8.0 / (n.bytes_per_second_inter / 8) + n.seconds_latency_inter * 3;  // log2(8 nodes)
  EXPECT_NEAR(t1, expected, 1e-9);
  // An all-reduce moves twice what an all-gather does (ring), at the NVLS rate inside a node.
  CollectiveShape ar{CollectiveKind::kAllReduce, 1e9, 8, 8};
  EXPECT_NEAR(e.collective_seconds(ar) - n.seconds_latency_intra - 14 * n.seconds_latency_intra_hop,
              1e9 * 2 * 7.0 / 8.0 / n.bytes_per_second_intra_allreduce, 1e-9);
}

// A decode step's all-reduce (one token's hidden state, 16 KB) is latency: NCCL's Ring/LL
// cost model, 6.6 us + 0.6 us per NVLink hop over 2 (n - 1) hops, gives 7.8, 10.2 and 15.0 us
// at 2, 4 and 8 GPUs (validation/parallel/systems_research.md section 3); an all-gather
// crosses half the hops.
TEST(Collectives, ASmallAllReduceCostsMoreInABiggerGroup) {
  TimingEngine e(h100(), nullptr, Software::kGraphs);
  const Network n = dgx().network();
  e.set_network(n);
  const double bytes = 16384;
  const double expected_us[] = {7.8, 10.2, 15.0};
  int i = 0;
  for (int64_t g : {2, 4, 8}) {
    CollectiveShape ar{CollectiveKind::kAllReduce, bytes, g, g};
    double wire = bytes * 2 * static_cast<double>(g - 1) / static_cast<double>(g) / n.bytes_per_second_intra_allreduce;
    EXPECT_NEAR(e.collective_seconds(ar) - wire, expected_us[i++] * 1e-6, 1e-9) << g << " GPUs";
  }
  CollectiveShape ag{CollectiveKind::kAllGather, bytes, 8, 8};
  EXPECT_NEAR(e.collective_seconds(ag) - bytes * 7 / 8 / n.bytes_per_second_intra, 10.8e-6, 1e-9);
}

TEST(ParallelLowering, TensorParallelSplitsTheMatmulsAndAddsTheExchanges) {
  TransformerSpec s = spec_of("llama-3.1-8b");
  Workload w = train(1, 4096);
  OpList one = lower_transformer(s, w);
  w.parallel.tp = 4;
  OpList four = lower_transformer(s, w);
  double gemm1 = 0, gemm4 = 0;
  for (const Op& op : one) {
    if (op.kind == OpKind::kGemm) gemm1 += op.total_flops();
  }
  for (const Op& op : four) {
    if (op.kind == OpKind::kGemm) gemm4 += op.total_flops();
  }
  EXPECT_NEAR(gemm4 / gemm1, 0.25, 0.01);
  // Megatron: two all-reduces of [tokens, h] per layer forward and two backward.
  double bytes = 4096.0 * 4096 * 2;
  EXPECT_NEAR(sum_collective_bytes(four, "comm.tp") / (bytes * 4 * 32), 1.0, 0.02);
  for (const Op& op : one) EXPECT_NE(op.kind, OpKind::kCollective) << op.name;
}

TEST(ParallelLowering, PipelineStagesHoldTheirShareOfLayersAndSendActivations) {
  TransformerSpec s = spec_of("llama-3.1-8b");
  Workload w = train(1, 2048);
  w.parallel.pp = 4;
  OpList ops = lower_transformer(s, w);
  for (const Op& op : ops) {
    if (op.name.rfind("layers", 0) == 0) {
      EXPECT_EQ(op.count, 8) << op.name;
    }
    EXPECT_NE(op.kind, OpKind::kEmbedding);  // the last stage has the head, not the embedding
  }
  EXPECT_NEAR(sum_collective_bytes(ops, "comm.pp"), 2 * 2048.0 * 4096 * 2, 1);
}

TEST(ParallelLowering, ZeroStagesIssueTheirCollectives) {
  TransformerSpec s = spec_of("llama-3.2-1b");
  Workload w = train(1, 2048);
  w.parallel.dp = 8;
  auto kinds = [&](int zero) {
    w.parallel.zero = zero;
    std::vector<std::string> out;
    for (const Op& op : lower_transformer(s, w)) {
      if (op.kind == OpKind::kCollective) out.push_back(op.type);
    }
    return out;
  };
  EXPECT_EQ(kinds(0), std::vector<std::string>({"all_reduce"}));
  EXPECT_EQ(kinds(1), std::vector<std::string>({"reduce_scatter", "all_gather"}));
  EXPECT_EQ(kinds(3), std::vector<std::string>({"all_gather", "all_gather", "reduce_scatter"}));
}

TEST(ParallelTrain, BubbleFollowsOneFOneB) {
  Workload w = train(1, 4096);
  w.parallel.tp = 8;
  w.parallel.pp = 4;
  Outcome r = predict("llama-3.1-70b", w, 32, 16);  // dp 1, 16 micro-batches
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_NEAR(r.p.bubble_fraction, 3.0 / 16.0, 1e-9);
  w.parallel.virtual_stages = 4;
  Outcome v = predict("llama-3.1-70b", w, 32, 16);
  ASSERT_TRUE(v.ok) << v.error;
  EXPECT_NEAR(v.p.bubble_fraction, 3.0 / (4.0 * 16.0), 1e-9);
  EXPECT_LT(v.p.seconds_per_step, r.p.seconds_per_step);
}

TEST(ParallelTrain, SeventyBOnSixtyFourGpusFitsWhereOneDeviceCannot) {
  Workload w = train(1, 4096);
  w.recompute = Recompute::kSelective;
  w.parallel.tp = 8;
  w.parallel.sequence_parallel = true;
  w.parallel.pp = 4;
  w.parallel.zero = 1;
  Outcome r = predict("llama-3.1-70b", w, 64, 256);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_TRUE(r.p.fits);
  EXPECT_EQ(r.p.workload.parallel.dp, 2);
  EXPECT_EQ(r.p.global_batch, 256);
  EXPECT_GT(r.p.mfu, 0.2);
  EXPECT_LT(r.p.mfu, 0.75);
  // Weights, gradients and states of the fullest device: 70B / (tp pp) params at 2 + 4 B,
  // the 12 B of Adam sharded over dp = 2 (ZeRO-1); the first stage adds the embedding.
  double params = 70.6e9 / 32;
  EXPECT_NEAR(r.p.memory.bytes_weights + r.p.memory.bytes_gradients + r.p.memory.bytes_optimizer,
              params * (2 + 4 + 6), params * 0.6);
  Workload one = train(1, 4096);
  Outcome single = predict("llama-3.1-70b", one, 8, 8);  // plain data parallel: replicas of 70B
  ASSERT_TRUE(single.ok) << single.error;
  EXPECT_FALSE(single.p.fits);
}

TEST(ParallelTrain, MicroBatchIsChosenAndTheGlobalBatchIsKept) {
  Workload w = train(0, 2048);
  Outcome r = predict("llama-3.2-1b", w, 8, 64);
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_GE(r.p.workload.batch, 1);
  EXPECT_EQ(r.p.workload.batch * r.p.workload.parallel.micro_batches * 8, 64);
  EXPECT_TRUE(r.p.fits);
}

TEST(ParallelTrain, MoreGpusThanTheLayoutOrTheBatchAllowsIsOneClearLine) {
  Workload w = train(1, 2048);
  w.parallel.tp = 8;
  w.parallel.pp = 2;
  Outcome r = predict("llama-3.1-8b", w, 24, 64);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("--gpus: expected a multiple of tp x pp x cp = 8 x 2 x 1, got 24"), std::string::npos) << r.error;
  r = predict("llama-3.1-8b", train(1, 2048), 64, 32);
  EXPECT_NE(r.error.find("--global-batch: expected at least one sequence per data-parallel replica (64), got 32"),
            std::string::npos)
      << r.error;
  Workload t = train(1, 2048);
  t.parallel.tp = 3;
  r = predict("llama-3.1-8b", t, 3, 3);
  EXPECT_NE(r.error.find("--tp: expected a divisor of the model's 32 attention heads, got 3"), std::string::npos) << r.error;
  Workload e = train(1, 2048);
  e.parallel.ep = 2;
  r = predict("llama-3.1-8b", e, 2, 2);
  EXPECT_NE(r.error.find("--ep: the model has no experts"), std::string::npos) << r.error;
  Workload c = train(1, 2047);
  c.parallel.cp = 2;
  r = predict("llama-3.1-8b", c, 2, 2);
  EXPECT_NE(r.error.find("--cp: expected a divisor of --seq 2047"), std::string::npos) << r.error;
}

TEST(ParallelTrain, ExpertParallelAddsAllToAllAndShardsExperts) {
  Workload w = train(1, 4096);
  w.parallel.ep = 8;
  w.parallel.dp = 8;
  TransformerSpec s = spec_of("mixtral-8x7b");
  OpList ops = lower_transformer(s, w);
  EXPECT_GT(sum_collective_bytes(ops, "comm.ep"), 0);
  Parallel p;
  p.ep = 8;
  p.dp = 8;
  EXPECT_LT(device_params(s, p), static_cast<double>(count_params(s).total) / 4);
}

}  // namespace
}  // namespace flopscope
