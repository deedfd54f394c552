#include "flopscope/perf/timing_engine.h"

#include <gtest/gtest.h>

#include <tuple>

#include <string>

#include "flopscope/cost/attention.h"
#include "perf_test_hardware.h"

namespace flopscope {
namespace {

using testing::h100_sxm;
using testing::v100_sxm;

Efficiency h100_efficiency() { return default_efficiency("h100-sxm"); }

TimingEngine h100(Software s = Software::kGraphs) { return TimingEngine(h100_sxm(), nullptr, s, h100_efficiency()); }

TEST(TimingEngineGemm, BigSquareGemmIsComputeBoundNearTheCeiling) {
  TimingEngine e = h100();
  Op op = make_gemm("big", 8192, 8192, 8192, DType::kBF16);
  OpTiming t = e.time(op);
  EXPECT_EQ(t.bound, Bound::kCompute);
  double achieved = op.flops / t.seconds;
  // Within the large-GEMM ceiling and not far below it.
  double ceiling = e.gemm_ceiling(DType::kBF16) * 989.5e12;
  EXPECT_LE(achieved, ceiling);
  EXPECT_GT(achieved, 0.9 * ceiling);
  EXPECT_GT(t.seconds_compute, 5 * t.seconds_memory);
}

TEST(TimingEngineGemm, DecodeGemmIsMemoryBoundAtWeightBytesOverBandwidth) {
  TimingEngine e = h100();
  for (int64_t m : {1, 16, 64}) {
    Op op = make_gemm("decode", m, 8192, 8192, DType::kBF16);
    OpTiming t = e.time(op);
    EXPECT_EQ(t.bound, Bound::kMemory) << "M=" << m;
    double weights = 8192.0 * 8192.0 * 2;
    // Weights stream at the memory-bound GEMM's fraction of the copy bandwidth.
    const Efficiency& f = e.efficiency();
    double expected = weights / (3.35e12 * f.memory_fraction * f.gemm_stream_fraction_for(DType::kBF16));
    EXPECT_NEAR(t.seconds_memory, expected, 0.05 * expected) << "M=" << m;
    EXPECT_NEAR(t.seconds, expected + e.seconds_launch() + f.seconds_gemm_fixed, 0.06 * expected) << "M=" << m;
  }
}

TEST(TimingEngineGemm, OneTileMoreThanTheSmsCostsAWave) {
  TimingEngine e = h100();
  // 128x256 tiles: M=128*12, N=256*11 gives 132 tiles = one full wave on 132 SMs.
  int64_t k = 8192;
  GemmShape full{128 * 12, 256 * 11, k, 1};
  GemmShape plus_one{128 * 12 + 1, 256 * 11, k, 1};
  GemmPlan a = e.plan_gemm(full, DType::kBF16);
  GemmPlan b = e.plan_gemm(plus_one, DType::kBF16);
  EXPECT_EQ(a.tiles, 132);
  EXPECT_EQ(a.waves, 1);
  double per_flop_full = a.seconds_compute / (2.0 * full.m * full.n * full.k);
  double per_flop_plus = b.seconds_compute / (2.0 * plus_one.m * plus_one.n * plus_one.k);
  EXPECT_GT(per_flop_plus, 1.3 * per_flop_full);
  EXPECT_GT(a.efficiency_shape, 0.95);
  EXPECT_LT(b.efficiency_shape, 0.75);
}

TEST(TimingEngineGemm, SmallKLosesToPipelineFill) {
  TimingEngine e = h100();
  GemmPlan deep = e.plan_gemm({4096, 4096, 8192, 1}, DType::kBF16);
  GemmPlan shallow = e.plan_gemm({4096, 4096, 128, 1}, DType::kBF16);
  EXPECT_LT(shallow.efficiency_shape, 0.6 * deep.efficiency_shape);
}

TEST(TimingEngineCheck, UnsupportedDtypeNamesHardwareAndDtype) {
  TimingEngine e(v100_sxm(), nullptr, Software::kEager, Efficiency{});
  Status s = e.check(make_gemm("x", 128, 128, 128, DType::kFP8));
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.error().message, "hardware 'v100-sxm' has no fp8 support (see flopscope hardware v100-sxm)");
  EXPECT_TRUE(e.check(make_gemm("x", 128, 128, 128, DType::kFP16)).ok());
  // Bandwidth-only ops need no matrix unit for their dtype.
  EXPECT_TRUE(e.check(make_elementwise(OpKind::kElementwise, "add", "add", 1e6, 1, 2, 1, DType::kFP8)).ok());
}

TEST(TimingEngineSoftware, EagerTinyOpsAreHostBoundGraphsAreNot) {
  Op add = make_elementwise(OpKind::kElementwise, "residual", "add", 4096, 1, 2, 1, DType::kBF16, 100);
  TimingEngine eager = h100(Software::kEager);
  TimingEngine graphs = h100(Software::kGraphs);
  // One op alone: GPU time (what a kernel benchmark measures); the host cost is reported apart.
  OpTiming te = eager.time(add);
  EXPECT_DOUBLE_EQ(te.seconds_host, h100_efficiency().seconds_host_eager);
  EXPECT_LT(te.seconds, te.seconds_host);
  // A list of them: the host issues one per seconds_host_eager and the GPU waits for it.
  OpListTiming le = time_ops(eager, {add});
  OpListTiming lg = time_ops(graphs, {add});
  EXPECT_NEAR(le.seconds, 100 * h100_efficiency().seconds_host_eager, 1e-3 * le.seconds);
  EXPECT_GT(le.seconds_by_bound[static_cast<size_t>(Bound::kOverhead)], 0.5 * le.seconds);
  EXPECT_LT(lg.seconds, 0.3 * le.seconds);
}

TEST(TimingEngineSoftware, EagerHostOverlapsWithLongGpuWork) {
  // A long GEMM keeps the GPU busy while the host issues the small ops after it: eager costs
  // (almost) nothing over graphs, although its host time is far from zero.
  Op big = make_gemm("big", 8192, 8192, 8192, DType::kBF16);
  Op add = make_elementwise(OpKind::kElementwise, "residual", "add", 4096, 1, 2, 1, DType::kBF16);
  OpList ops = {big, add, add, add, add, add};
  OpListTiming te = time_ops(h100(Software::kEager), ops);
  OpListTiming tg = time_ops(h100(Software::kGraphs), ops);
  EXPECT_GT(te.seconds_host, 5e-5);
  EXPECT_NEAR(te.seconds, tg.seconds, 0.02 * tg.seconds);
}

TEST(TimingEngineSoftware, CompiledFusesPointwiseKernels) {
  TimingEngine compiled = h100(Software::kCompiled);
  Op norm = make_elementwise(OpKind::kNorm, "norm", "rmsnorm", 4096, 4, 1, 1, DType::kBF16);
  EXPECT_EQ(compiled.kernels(norm), 0);
  EXPECT_EQ(compiled.kernels(make_gemm("g", 16, 4096, 4096, DType::kBF16)), 1);
  EXPECT_EQ(h100(Software::kEager).kernels(norm), 1);
  OpList ops = {norm, make_gemm("g", 16, 4096, 4096, DType::kBF16)};
  EXPECT_LT(time_ops(compiled, ops).seconds, time_ops(h100(Software::kEager), ops).seconds);
}

AttentionShape long_attention(bool causal) {
  AttentionShape s;
  s.batch = 4;
  s.heads = 32;
  s.kv_heads = 8;
  s.q_len = 8192;
  s.kv_len = 8192;
  s.head_dim_qk = s.head_dim_v = 128;
  s.causal = causal;
  return s;
}

TEST(TimingEngineAttention, CausalTakesAboutHalfAtLongSequence) {
  TimingEngine e = h100();
  OpTiming dense = e.time(make_attention("a", long_attention(false), DType::kBF16));
  OpTiming causal = e.time(make_attention("a", long_attention(true), DType::kBF16));
  EXPECT_EQ(dense.bound, Bound::kCompute);
  // Half the blocks, plus whole diagonal blocks that the mask makes dearer: 64 of 2080
  // block pairs per head at 8192, so a bit over half, nearer half the longer the sequence.
  double ratio = causal.seconds / dense.seconds;
  EXPECT_GT(ratio, 0.5);
  EXPECT_LT(ratio, 0.6);
  AttentionShape longer = long_attention(true);
  longer.q_len = longer.kv_len = 32768;
  AttentionShape longer_dense = longer;
  longer_dense.causal = false;
  double ratio_long = e.time(make_attention("a", longer, DType::kBF16)).seconds /
                      e.time(make_attention("a", longer_dense, DType::kBF16)).seconds;
  EXPECT_LT(ratio_long, ratio);
  EXPECT_GT(ratio_long, 0.5);
}

TEST(TimingEngineAttention, ForwardRunsAtTheFlashCeiling) {
  TimingEngine e = h100();
  Op op = make_attention("a", long_attention(false), DType::kBF16);
  double achieved = op.flops / e.time(op).seconds;
  double ceiling = e.efficiency().attention_forward * 989.5e12;
  EXPECT_LE(achieved, ceiling);
  EXPECT_GT(achieved, 0.9 * ceiling);
  Op bwd = make_attention("a", long_attention(false), DType::kBF16, true);
  EXPECT_LT(bwd.flops / e.time(bwd).seconds, achieved);
}

TEST(TimingEngineAttention, ShortSequencesAreLessEfficient) {
  TimingEngine e = h100();
  AttentionShape s = long_attention(false);
  s.q_len = s.kv_len = 200;  // 2 blocks of 128, the second 56% full
  Op op = make_attention("a", s, DType::kBF16);
  Op big = make_attention("a", long_attention(false), DType::kBF16);
  double eff_short = op.flops / e.time(op).seconds_compute;
  double eff_long = big.flops / e.time(big).seconds_compute;
  EXPECT_LT(eff_short, 0.6 * eff_long);
}

TEST(TimingEngineAttention, DecodeReadsTheKvCacheAtMemoryBandwidth) {
  TimingEngine e = h100();
  AttentionShape s = long_attention(false);
  s.q_len = 1;
  s.kv_len = 32768;
  Op op = make_attention("decode", s, DType::kBF16);
  OpTiming t = e.time(op);
  EXPECT_EQ(t.bound, Bound::kMemory);
  double kv_bytes = 2.0 * s.batch * s.kv_heads * s.kv_len * s.head_dim_qk * 2;
  EXPECT_NEAR(t.seconds_memory, kv_bytes / e.bytes_per_second_memory(), 0.01 * t.seconds_memory);
}

TEST(TimingEngineAttention, OneSequenceDecodeSplitsTheCacheAcrossUnits) {
  // Batch 1, 8 KV heads: 8 CTAs would leave 124 of 132 SMs idle; split-KV keeps the step
  // bandwidth-bound instead of crawling through 256 blocks on 8 units.
  TimingEngine e = h100();
  AttentionShape s = long_attention(false);
  s.batch = 1;
  s.q_len = 1;
  s.kv_len = 32768;
  OpTiming t = e.time(make_attention("decode", s, DType::kBF16));
  EXPECT_EQ(t.bound, Bound::kMemory);
  EXPECT_LT(t.seconds_compute, 0.5 * t.seconds_memory);
}

TEST(TimingEngineAttention, HeadDim64IsSoftmaxBoundOnHopperNotOnAmpere) {
  // Per score element the matmuls cost 4 d FLOPs but the exp costs the same at any d: at
  // d = 64 Hopper's 16 exp per 4096 tensor FLOPs per clock sets the pace (FlashAttention-3,
  // section 3); Ampere's 16 per 2048 does not.
  auto flops_per_second = [](const TimingEngine& e, int64_t d) {
    AttentionShape s = long_attention(false);
    s.head_dim_qk = s.head_dim_v = d;
    Op op = make_attention("a", s, DType::kBF16);
    return op.flops / e.time(op).seconds;
  };
  TimingEngine hopper = h100();
  EXPECT_LT(flops_per_second(hopper, 64), 0.85 * flops_per_second(hopper, 128));
  Efficiency ampere = h100_efficiency();
  ampere.exp_per_flop = 1.0 / 128;
  TimingEngine a(h100_sxm(), nullptr, Software::kGraphs, ampere);
  EXPECT_GT(flops_per_second(a, 64), 0.95 * flops_per_second(a, 128));
}

TEST(TimingEngineAttention, BackwardAddsItsPreAndPostProcessingPasses) {
  TimingEngine e = h100();
  AttentionShape s = long_attention(false);
  s.q_len = s.kv_len = 512;
  Op bwd = make_attention("a", s, DType::kBF16, true);
  OpTiming t = e.time(bwd);
  // fp32 dQ accumulator zeroed and converted (4 + 4 + 2 bytes per query element) on top of
  // the main kernel's max(compute, memory).
  double q_elems = 4.0 * 32 * 512 * 128;
  double aux = q_elems * 10 / e.bytes_per_second_memory();
  EXPECT_NEAR(t.seconds - t.seconds_overhead - std::max(t.seconds_compute, t.seconds_memory), aux, 1e-3 * aux);
}

Op collective(CollectiveKind kind, double bytes, int64_t group) {
  Op op;
  op.kind = OpKind::kCollective;
  op.collective = {kind, bytes, group};
  return op;
}

TEST(TimingEngineCollective, AllReduceScalesWithBytesAndRingFactor) {
  TimingEngine e = h100();
  double latency = 2 * 7 * e.efficiency().seconds_collective_step;  // 2(n-1) ring steps
  double small = e.time(collective(CollectiveKind::kAllReduce, 1e9, 8)).seconds_memory - latency;
  double large = e.time(collective(CollectiveKind::kAllReduce, 2e9, 8)).seconds_memory - latency;
  EXPECT_NEAR(large / small, 2.0, 1e-9);
  // 2(n-1)/n of the payload at 0.8 of 450 GB/s.
  EXPECT_NEAR(small, 1e9 * 2 * 7 / 8 / (450e9 * 0.8), 1e-9);
  OpTiming t = e.time(collective(CollectiveKind::kAllGather, 1e9, 8));
  EXPECT_EQ(t.bound, Bound::kCommunication);
  EXPECT_NEAR(t.seconds_memory - latency / 2, small / 2, 1e-9);
  EXPECT_EQ(e.time(collective(CollectiveKind::kAllReduce, 1e9, 1)).seconds_memory, 0);
}

TEST(TimingEngineProfile, ProfileReplacesBandwidthLaunchAndCeiling) {
  CalibrationProfile p;
  p.bytes_per_second_copy = 2.0e12;
  p.seconds_launch_overhead = 6e-6;
  p.gemm.push_back({DType::kBF16, 8192, 8192, 8192, 1.6e-3, 2.0 * 8192 * 8192 * 8192 / 1.6e-3});
  TimingEngine e(h100_sxm(), &p, Software::kEager, h100_efficiency());
  EXPECT_DOUBLE_EQ(e.bytes_per_second_memory(), 2.0e12);
  // The probe's launch figure is back-to-back empty kernels from the host: an eager kernel's
  // cost; a graph-replayed kernel keeps the efficiency's in-stream cost.
  EXPECT_DOUBLE_EQ(e.seconds_launch(), 6e-6);
  EXPECT_DOUBLE_EQ(e.seconds_launch_stream(), h100_efficiency().seconds_launch_stream);
  // Predicting the calibration sample itself returns its measured time.
  OpTiming t = e.time(make_gemm("g", 8192, 8192, 8192, DType::kBF16));
  EXPECT_NEAR(t.seconds, 1.6e-3, 1e-3 * 1.6e-3);
  // A dtype the profile did not measure keeps the catalog ceiling.
  EXPECT_DOUBLE_EQ(e.gemm_ceiling(DType::kFP8), h100_efficiency().gemm_ceiling_for(DType::kFP8));
}

TEST(TimingEngineProfile, ProbedH100ProfileSetsCeilingsNearTheMamfFigure) {
  auto p = load_calibration_profile(std::string(FLOPSCOPE_TEST_DATA) + "/profiles/h100-sxm.profile.toml");
  ASSERT_TRUE(p.ok()) << p.error().message;
  TimingEngine e(h100_sxm(), &*p, Software::kGraphs, h100_efficiency());
  // The probe's sustained bf16 ceiling lands near the published MAMF ratio (0.803).
  EXPECT_NEAR(e.gemm_ceiling(DType::kBF16), 0.803, 0.04);
  EXPECT_NEAR(e.bytes_per_second_memory(), 3.03e12, 0.01e12);
  OpTiming t = e.time(make_gemm("g", 8192, 8192, 8192, DType::kBF16));
  EXPECT_NEAR(t.seconds, 1.4578e-3, 0.05 * 1.4578e-3);  // measured 1.458 ms
}

// Attention samples 25% slower than the catalog constants predict: the profile's fit moves
// the forward and backward ceilings until the samples' median is met, and the engine's shape
// costs (mask, CTA, waves) still scale the calls it did not see.
TEST(TimingEngineProfile, AttentionSamplesSetTheAttentionCeilings) {
  TimingEngine plain(h100_sxm(), nullptr, Software::kEager, h100_efficiency());
  auto shape = [](int64_t b, int64_t h, int64_t s, int64_t d, bool causal) {
    AttentionShape a;
    a.batch = b;
    a.heads = a.kv_heads = h;
    a.q_len = a.kv_len = s;
    a.head_dim_qk = a.head_dim_v = d;
    a.causal = causal;
    return a;
  };
  CalibrationProfile p;
  for (auto [b, s, causal] : {std::tuple{2, 4096, false}, {2, 4096, true}, {1, 8192, false}}) {
    AttentionShape a = shape(b, 32, s, 128, causal);
    double fwd = plain.time(make_attention("a", a, DType::kBF16)).seconds;
    double bwd = plain.time(make_attention("a", a, DType::kBF16, true)).seconds;
    p.attention.push_back({b, 32, s, 128, causal, false, 1.25 * fwd});
    p.attention.push_back({b, 32, s, 128, causal, true, 1.25 * (fwd + bwd)});
  }
  p.seconds_host_eager = 7e-6;
  TimingEngine e(h100_sxm(), &p, Software::kEager, h100_efficiency());
  EXPECT_LT(e.efficiency().attention_forward, h100_efficiency().attention_forward);
  EXPECT_LT(e.efficiency().attention_backward, h100_efficiency().attention_backward);
  EXPECT_DOUBLE_EQ(e.efficiency().seconds_host_eager, 7e-6);
  for (const AttentionSample& a : p.attention) {
    AttentionShape s = shape(a.batch, a.heads, a.seq, a.head_dim, a.causal);
    double t = e.time(make_attention("a", s, DType::kBF16)).seconds;
    if (a.backward) t += e.time(make_attention("a", s, DType::kBF16, true)).seconds;
    EXPECT_NEAR(t / a.seconds, 1.0, 0.03) << a.seq << (a.causal ? " causal" : "") << (a.backward ? " bwd" : "");
  }
  // A shape the profile did not time moves with the ceiling too.
  AttentionShape other = shape(4, 16, 16384, 128, true);
  double before = plain.time(make_attention("a", other, DType::kBF16)).seconds;
  EXPECT_NEAR(e.time(make_attention("a", other, DType::kBF16)).seconds / before, 1.25, 0.05);
}

TEST(TimingEngineOpList, TotalsByKindAndBoundAddUp) {
  TimingEngine e = h100(Software::kEager);
  OpList ops = {make_gemm("qkv", 4096, 6144, 4096, DType::kBF16, 1, 32),
                make_elementwise(OpKind::kNorm, "norm", "rmsnorm", 4096.0 * 4096, 4, 1, 1, DType::kBF16, 64)};
  OpListTiming t = time_ops(e, ops);
  double by_kind = 0, by_bound = 0;
  for (double v : t.seconds_by_kind) by_kind += v;
  for (double v : t.seconds_by_bound) by_bound += v;
  // Kinds add up to the GPU's work; bounds to the whole step (GPU idle behind the host is
  // overhead).
  EXPECT_NEAR(by_kind, t.seconds_gpu, 1e-12);
  EXPECT_NEAR(by_bound, t.seconds, 1e-12);
  EXPECT_GE(t.seconds, t.seconds_gpu - 1e-12);
  EXPECT_EQ(t.kernels, 96);
  EXPECT_DOUBLE_EQ(t.flops, ops[0].total_flops() + ops[1].total_flops());
  EXPECT_NEAR(t.seconds_by_kind[static_cast<size_t>(OpKind::kGemm)], 32 * e.time(ops[0]).seconds_stream, 1e-12);
}

TEST(Software, ParsesNamesAndRejectsOthers) {
  EXPECT_EQ(*parse_software("eager"), Software::kEager);
  EXPECT_EQ(*parse_software("graphs"), Software::kGraphs);
  EXPECT_EQ(*parse_software("compiled"), Software::kCompiled);
  auto bad = parse_software("jit");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().message, "--software: expected eager, graphs or compiled, got 'jit'");
}

}  // namespace
}  // namespace flopscope
