// Whole-workload predictions: properties that must hold whatever the calibration.
#include "flopscope/perf/predict.h"

#include <gtest/gtest.h>

#include "flopscope/cost/memory.h"
#include "flopscope/model/load.h"

namespace flopscope {
namespace {

// A catalog entry; an unknown id fails the test and yields an empty Hardware.
const Hardware& hw(const char* id) {
  static const Hardware kNone;
  auto h = HardwareCatalog::builtin().find(id);
  if (!h) {
    ADD_FAILURE() << h.error().message;
    return kNone;
  }
  return **h;
}

TransformerSpec spec_of(const char* model) {
  TransformerSpec out;
  [&] {
    auto s = load_model(model);
    ASSERT_TRUE(s.ok()) << model << ": " << s.error().message;
    out = std::move(*s);
  }();
  return out;
}

// ASSERT_* needs a function returning void: the lambda stops at the first failed Result, so
// nothing dereferences one (issue 12), and `run` returns an empty Prediction after a
// failure the test already records.
Prediction run(const char* model, Workload w, const char* hardware = "h100-sxm") {
  Prediction out;
  [&] {
    TransformerSpec spec = spec_of(model);
    if (::testing::Test::HasFatalFailure()) return;
    TimingEngine engine(hw(hardware), nullptr, default_software(w.phase));
    auto p = predict(spec, w, hw(hardware), engine);
    ASSERT_TRUE(p.ok()) << p.error().message;
    out = std::move(*p);
  }();
  return out;
}

Workload decode(int64_t batch, int64_t context) {
  Workload w;
  w.phase = Phase::kDecode;
  w.batch = batch;
  w.context = context;
  return w;
}

TEST(Predict, DecodeAtBatchOneIsBoundByReadingTheWeights) {
  Prediction p = run("llama-3.1-8b", decode(1, 1024));
  const Hardware& h = hw("h100-sxm");
  double floor = weight_bytes(spec_of("llama-3.1-8b"), DType::kBF16) / h.bytes_per_second_memory;
  EXPECT_GT(p.seconds, floor);         // never faster than the datasheet bandwidth allows
  EXPECT_LT(p.seconds, 1.5 * floor);   // and dominated by it
  double memory = p.timing.seconds_by_bound[static_cast<size_t>(Bound::kMemory)];
  EXPECT_GT(memory / p.seconds, 0.6);
}

TEST(Predict, BatchingRaisesDecodeThroughputAndQuantizedWeightsCutStepTime) {
  Prediction b1 = run("llama-3.1-8b", decode(1, 1024));
  Prediction b32 = run("llama-3.1-8b", decode(32, 1024));
  EXPECT_GT(b32.tokens_per_second, 10 * b1.tokens_per_second);
  Workload q = decode(1, 1024);
  q.weight_dtype = DType::kINT4;
  Prediction i4 = run("llama-3.1-8b", q);
  EXPECT_LT(i4.seconds, 0.5 * b1.seconds);
}

TEST(Predict, PrefillOfALongPromptIsComputeBound) {
  Workload w;
  w.phase = Phase::kPrefill;
  w.batch = 1;
  w.seq = 4096;
  Prediction p = run("llama-3.1-8b", w);
  EXPECT_GT(p.timing.seconds_by_bound[static_cast<size_t>(Bound::kCompute)] / p.seconds, 0.6);
  EXPECT_GT(p.mfu, 0.3);
  EXPECT_LT(p.mfu, 0.85);
  EXPECT_DOUBLE_EQ(p.tokens_per_second, 4096 / p.seconds);
}

TEST(Predict, TrainingMfuIsModelFlopsOverTimeAndPeak) {
  Workload w;
  w.phase = Phase::kTrainStep;
  w.batch = 2;
  w.seq = 2048;
  Prediction p = run("llama-3.2-1b", w);
  EXPECT_NEAR(p.mfu, p.flops.model_flops / (p.seconds * hw("h100-sxm").peak(DType::kBF16)), 1e-12);
  w.recompute = Recompute::kFull;
  Prediction full = run("llama-3.2-1b", w);
  EXPECT_GT(full.seconds, p.seconds);                      // recomputation costs time
  EXPECT_DOUBLE_EQ(full.flops.model_flops, p.flops.model_flops);
  EXPECT_LT(full.mfu, p.mfu);
  EXPECT_GT(full.hfu, full.mfu);
}

TEST(Predict, FitReflectsTrainingMemory) {
  Workload w;
  w.phase = Phase::kTrainStep;
  w.batch = 1;
  w.seq = 2048;
  EXPECT_TRUE(run("llama-3.2-1b", w).fits);   // 1.2B x 16 B = 20 GB
  EXPECT_FALSE(run("llama-3.1-8b", w).fits);  // 8B x 16 B = 128 GB > 80 GiB
}

TEST(Predict, FasterHardwareIsFaster) {
  Workload w;
  w.phase = Phase::kPrefill;
  w.seq = 2048;
  EXPECT_LT(run("llama-3.1-8b", w, "h100-sxm").seconds, run("llama-3.1-8b", w, "a100-sxm-80gb").seconds);
  EXPECT_LT(run("llama-3.1-8b", decode(1, 512), "h200").seconds, run("llama-3.1-8b", decode(1, 512), "h100-sxm").seconds);
}

TEST(Predict, DtypeTheHardwareLacksIsAnError) {
  Workload w;
  w.phase = Phase::kPrefill;
  w.dtype = DType::kFP8;
  auto spec = load_model("llama-3.2-1b");
  const Hardware& a100 = hw("a100-sxm-80gb");
  TimingEngine engine(a100, nullptr, Software::kEager);
  auto p = predict(*spec, w, a100, engine);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().message, "hardware 'a100-sxm-80gb' has no fp8 support (see flopscope hardware a100-sxm-80gb)");
}

TEST(Predict, BadSizesAreRejected) {
  Workload w;
  w.phase = Phase::kPrefill;
  w.batch = 0;
  auto spec = load_model("llama-3.2-1b");
  TimingEngine engine(hw("h100-sxm"), nullptr, Software::kEager);
  auto p = predict(*spec, w, hw("h100-sxm"), engine);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().message, "--batch: expected a positive integer, got 0");
}

TEST(Predict, EagerPaysHostCostThatGraphsAvoidAtSmallBatch) {
  auto spec = load_model("llama-3.2-1b");
  Workload w = decode(1, 128);
  TimingEngine eager(hw("h100-sxm"), nullptr, Software::kEager);
  TimingEngine graphs(hw("h100-sxm"), nullptr, Software::kGraphs);
  auto pe = predict(*spec, w, hw("h100-sxm"), eager);
  auto pg = predict(*spec, w, hw("h100-sxm"), graphs);
  ASSERT_TRUE(pe.ok() && pg.ok());
  EXPECT_GT(pe->seconds, 1.5 * pg->seconds);
  EXPECT_GT(pe->timing.seconds_by_bound[static_cast<size_t>(Bound::kOverhead)], 0.5 * pe->seconds);
}

}  // namespace
}  // namespace flopscope

namespace flopscope {
namespace {

TEST(Predict, DecodeOnAnEncoderIsRefused) {
  auto spec = load_model("bert-base-uncased");
  const Hardware& h = hw("h100-sxm");
  TimingEngine engine(h, nullptr, Software::kGraphs);
  Workload w;
  w.phase = Phase::kDecode;
  w.context = 16;
  auto p = predict(*spec, w, h, engine);
  ASSERT_FALSE(p.ok());
  EXPECT_EQ(p.error().message,
            "bert-base-uncased: decode expected a decoder (causal LM), got the encoder 'bert'; use predict prefill for one "
            "forward pass");
}

TEST(Predict, AbsurdSizesAreRejectedBeforeAnyArithmetic) {
  Workload w;
  w.phase = Phase::kTrainStep;
  w.batch = 99999;
  w.seq = 99999999;
  auto st = validate(w);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message.rfind("--batch x --seq: expected at most 1e12 tokens per step", 0), 0u);
}

}  // namespace
}  // namespace flopscope

namespace flopscope {
namespace {

Workload train_step(int64_t batch, int64_t seq, Modules modules) {
  Workload w;
  w.phase = Phase::kTrainStep;
  w.batch = batch;
  w.seq = seq;
  w.mixed_precision = false;
  w.modules = modules;
  return w;
}

TEST(PredictModules, TransformersModulesMoveMoreBytesThanFusedKernels) {
  // LlamaRMSNorm upcasts to fp32 in 8 kernels (36 bytes per element against 4 fused) and
  // rotate_half rotary takes 10: the same FLOPs, more bytes, more kernels, more time.
  Prediction hf = run("llama-3.2-1b", train_step(4, 2048, Modules::kTransformers));
  Prediction fused = run("llama-3.2-1b", train_step(4, 2048, Modules::kFused));
  EXPECT_DOUBLE_EQ(hf.flops.model_flops, fused.flops.model_flops);
  EXPECT_GT(hf.timing.bytes, 1.2 * fused.timing.bytes);
  EXPECT_GT(hf.timing.kernels, fused.timing.kernels + 16 * 10);
  EXPECT_GT(hf.seconds, fused.seconds);
  // transformers also keeps more for the backward: fp32 norm inputs, act(gate), fp32 logits.
  EXPECT_GT(hf.memory.bytes_peak_allocated, fused.memory.bytes_peak_allocated);
}

TEST(PredictModules, PureBf16PeakIsStatesPlusActivationsAtTheStartOfBackward) {
  // Pure bf16 AdamW: weights 2 + m, v 4 bytes per parameter live throughout; gradients (2)
  // only grow while activations are freed, so they do not add to the activation peak.
  Prediction p = run("llama-3.2-1b", train_step(2, 2048, Modules::kTransformers));
  const MemoryReport& m = p.memory;
  double params = m.bytes_weights / 2;
  EXPECT_DOUBLE_EQ(m.bytes_optimizer, 4 * params);
  EXPECT_DOUBLE_EQ(m.bytes_peak_allocated, m.bytes_weights + m.bytes_optimizer + m.bytes_activations + m.bytes_logits);
  // Logits: 16-bit logits, fp32 log-softmax output, NLL gradient and its input gradient.
  EXPECT_DOUBLE_EQ(m.bytes_logits, 2.0 * 2048 * 128256 * 14);
  EXPECT_DOUBLE_EQ(m.bytes_total, m.bytes_peak_allocated + m.bytes_runtime_overhead);
}

TEST(PredictModules, Fp8WeightsQuantizeActivationsAndKeepTheHeadIn16Bits) {
  Workload w = decode(1, 512);
  w.weight_dtype = DType::kFP8;
  Prediction p = run("llama-3.1-8b", w);
  int quantize = 0;
  for (const Op& op : p.ops) {
    if (op.type == "quantize") ++quantize;
    if (op.name == "lm_head") {
      EXPECT_EQ(op.dtype, DType::kBF16);
    }
    if (op.name == "layers.mlp.gate_up_proj") {
      EXPECT_EQ(op.dtype, DType::kFP8);
      EXPECT_EQ(op.weight_dtype, DType::kFP8);
    }
  }
  EXPECT_EQ(quantize, 4);  // qkv, o, gate_up, down
  // Half the weight bytes, but fp8 GEMMs stream a smaller fraction of the bandwidth and pay
  // two quantization kernels per linear: well under the 2x a byte count promises.
  Prediction bf16 = run("llama-3.1-8b", decode(1, 512));
  EXPECT_LT(bf16.seconds / p.seconds, 1.75);
  EXPECT_GT(bf16.seconds / p.seconds, 1.1);
}

// Inference across devices (docs/parallelism.md, "Inference across devices").
Prediction run_parallel(const char* model, Workload w, int64_t tp, int64_t pp = 1) {
  w.parallel.tp = tp;
  w.parallel.pp = pp;
  return run(model, w);
}

int64_t all_reduces(const Prediction& p) {
  int64_t n = 0;
  for (const Op& op : p.ops) {
    if (op.kind == OpKind::kCollective && op.collective.kind == CollectiveKind::kAllReduce) n += op.count;
  }
  return n;
}

TEST(PredictParallel, TensorParallelHalvesWeightsAndKvPerDeviceAndAddsAllReduces) {
  Prediction one = run("llama-3.1-70b", decode(1, 4096));
  Prediction two = run_parallel("llama-3.1-70b", decode(1, 4096), 2);
  EXPECT_NEAR(two.memory.bytes_weights, one.memory.bytes_weights / 2, 1e-9 * one.memory.bytes_weights);
  EXPECT_NEAR(two.memory.bytes_kv_cache, one.memory.bytes_kv_cache / 2, 1e-9 * one.memory.bytes_kv_cache);
  EXPECT_FALSE(one.fits);  // 141 GB of bf16 weights on an 80 GB H100
  EXPECT_TRUE(two.fits);
  EXPECT_EQ(all_reduces(one), 0);
  // After attention out and MLP down in every layer, and the vocab-parallel embedding's one.
  EXPECT_EQ(all_reduces(two), 2 * 80 + 1);
  EXPECT_GT(two.seconds_communication, 0);
  EXPECT_EQ(one.seconds_communication, 0);
  EXPECT_DOUBLE_EQ(two.seconds, two.seconds_stage);  // no pipeline: latency = the device's time
}

TEST(PredictParallel, MoreTensorParallelDevicesCutDecodeLatencyOf70B) {
  Prediction t2 = run_parallel("llama-3.1-70b", decode(1, 4096), 2);
  Prediction t4 = run_parallel("llama-3.1-70b", decode(1, 4096), 4);
  Prediction t8 = run_parallel("llama-3.1-70b", decode(1, 4096), 8);
  EXPECT_LT(t4.seconds, t2.seconds);
  EXPECT_LT(t8.seconds, t4.seconds);
  EXPECT_GT(t8.seconds, t2.seconds / 4);  // the all-reduces and launches do not shrink with tp
  // Prefill too.
  Workload pre;
  pre.phase = Phase::kPrefill;
  pre.seq = 4096;
  EXPECT_LT(run_parallel("llama-3.1-70b", pre, 8).seconds, run_parallel("llama-3.1-70b", pre, 2).seconds);
}

TEST(PredictParallel, PipelineLatencyCrossesEveryStageAndThroughputIsOneStage) {
  Prediction p = run_parallel("llama-3.1-70b", decode(1, 4096), 2, 2);
  double send = 0;
  for (const OpRow& r : p.rows) {
    if (r.op->component == "comm.pp") send += r.seconds;
  }
  EXPECT_GT(send, 0);
  EXPECT_NEAR(p.seconds, 2 * (p.seconds_stage - send) + send, 1e-12);
  EXPECT_NEAR(p.tokens_per_second, 1 / p.seconds_stage, 1e-9 / p.seconds_stage);
  Prediction flat = run_parallel("llama-3.1-70b", decode(1, 4096), 2);
  // 40 of 80 layers plus the embedding or the head (the same size in Llama 3.1 70B): half.
  EXPECT_NEAR(p.memory.bytes_weights, 0.5 * flat.memory.bytes_weights, 1e-9 * flat.memory.bytes_weights);
  // 80 layers on 3 stages: the fullest holds 27 of them.
  Prediction three = run_parallel("llama-3.1-70b", decode(1, 4096), 2, 3);
  EXPECT_NEAR(three.memory.bytes_kv_cache, flat.memory.bytes_kv_cache * 27 / 80, 1e-9 * flat.memory.bytes_kv_cache);
  EXPECT_GT(three.memory.bytes_weights, flat.memory.bytes_weights / 3);
  EXPECT_NEAR(p.memory.bytes_kv_cache, flat.memory.bytes_kv_cache / 2, 1e-9 * flat.memory.bytes_kv_cache);
}

TEST(PredictParallel, LayoutThatDoesNotSplitTheModelIsOneError) {
  TransformerSpec spec = spec_of("llama-3.1-70b");
  Workload w = decode(1, 128);
  w.parallel.tp = 3;
  TimingEngine engine(hw("h100-sxm"), nullptr, Software::kGraphs);
  auto p = predict(spec, w, hw("h100-sxm"), engine);
  ASSERT_FALSE(p.ok());
  EXPECT_NE(p.error().message.find("--tp"), std::string::npos) << p.error().message;
  Workload t;
  t.phase = Phase::kTrainStep;
  t.parallel.tp = 2;
  EXPECT_FALSE(predict(spec, t, hw("h100-sxm"), engine).ok());  // perf/parallel.h predicts those
}

}  // namespace
}  // namespace flopscope
