// The timing commands on the library's API (api/predict.h, predict_graph.h, memory.h,
// mfu.h, report.h): the CLI prints exactly the library's documents and errors, and the
// library's figures hold what the engine says.
#include <gtest/gtest.h>

#include "api/cli_check.h"
#include <sys/wait.h>

#include <cstdio>
#include <string>
#include <vector>

#include "flopscope/api/api.h"
#include "flopscope/api/memory.h"
#include "flopscope/api/mfu.h"
#include "flopscope/api/predict.h"
#include "flopscope/api/predict_graph.h"
#include "flopscope/api/report.h"
#include "flopscope/api/setup.h"

namespace flopscope::api {
namespace {

using cli_check::CliCase;
using cli_check::expect_same_document;
using cli_check::expect_same_error;
using cli_check::run_cli;

const std::string kData = FLOPSCOPE_TEST_DATA;

TEST(PredictApi, CliJsonEqualsTheLibraryDocument) {
  const std::string onnx = kData + "/onnx/";
  std::vector<CliCase> cases = {
      {"predict/gemm", "predict gemm --m 4096 --n 4096 --k 4096 --hardware h100-sxm",
       {{"m", 4096}, {"n", 4096}, {"k", 4096}, {"hardware", "h100-sxm"}}},
      {"predict/attention",
       "predict attention --batch 4 --heads 16 --seq 4096 --head-dim 128 --causal --backward --hardware a100-sxm-80gb",
       {{"batch", 4}, {"heads", 16}, {"seq", 4096}, {"head_dim", 128}, {"causal", true}, {"backward", true},
        {"hardware", "a100-sxm-80gb"}}},
      {"predict/prefill", "predict prefill llama-3.1-8b --prompt 2048 --hardware h100-sxm",
       {{"model", "llama-3.1-8b"}, {"prompt", 2048}, {"hardware", "h100-sxm"}}},
      {"predict/prefill", "predict prefill llama-3.1-70b --prompt 2048 --hardware h100-sxm --tp 4 --pp 2",
       {{"model", "llama-3.1-70b"}, {"prompt", 2048}, {"hardware", "h100-sxm"}, {"tp", 4}, {"pp", 2}}},
      {"predict/decode", "predict decode llama-3.1-8b --batch 16 --context 4096 --hardware h100-sxm --weights int4",
       {{"model", "llama-3.1-8b"}, {"batch", 16}, {"context", 4096}, {"hardware", "h100-sxm"}, {"weights", "int4"}}},
      {"predict/decode", "predict decode llama-3.1-70b --context 4096 --hardware h100-sxm --tp 2",
       {{"model", "llama-3.1-70b"}, {"context", 4096}, {"hardware", "h100-sxm"}, {"tp", 2}}},
      {"predict/train", "predict train llama-3.2-1b --micro-batch 2 --seq 1024 --hardware h100-sxm --recompute full",
       {{"model", "llama-3.2-1b"}, {"micro_batch", 2}, {"seq", 1024}, {"hardware", "h100-sxm"}, {"recompute", "full"}}},
      {"predict/train",
       "predict train llama-3.1-8b --hardware a100-sxm-80gb --gpus 16 --global-batch 64 --seq 2048",
       {{"model", "llama-3.1-8b"}, {"hardware", "a100-sxm-80gb"}, {"gpus", 16}, {"global_batch", 64}, {"seq", 2048}}},
      {"predict/graph", "predict graph " + onnx + "resnet50.onnx --hardware h100-sxm",
       {{"file", onnx + "resnet50.onnx"}, {"hardware", "h100-sxm"}}},
      {"memory", "memory llama-3.1-8b --mode infer --dtype int4 --context 8192",
       {{"model", "llama-3.1-8b"}, {"mode", "infer"}, {"dtype", "int4"}, {"context", 8192}}},
      {"memory", "memory llama-3.1-70b --mode train --seq 4096 --tp 8 --sp --pp 4 --gpus 64",
       {{"model", "llama-3.1-70b"}, {"mode", "train"}, {"seq", 4096}, {"tp", 8}, {"sp", true}, {"pp", 4}, {"gpus", 64}}},
      {"memory", "memory " + onnx + "vit_b_16.onnx --mode infer", {{"model", onnx + "vit_b_16.onnx"}, {"mode", "infer"}}},
      {"mfu", "mfu llama-3.1-8b --tokens-per-second 4e5 --hardware h100-sxm --gpus 64 --seq 8192",
       {{"model", "llama-3.1-8b"}, {"tokens_per_second", 4e5}, {"hardware", "h100-sxm"}, {"gpus", 64}, {"seq", 8192}}},
      {"report", "report mixtral-8x7b", {{"model", "mixtral-8x7b"}}},
  };
  for (const CliCase& c : cases) expect_same_document(c);
}

TEST(PredictApi, CliErrorsEqualTheLibraryErrors) {
  std::vector<CliCase> cases = {
      {"predict/gemm", "predict gemm --m 0 --n 4096 --k 4096 --hardware h100-sxm",
       {{"m", 0}, {"n", 4096}, {"k", 4096}, {"hardware", "h100-sxm"}}},
      {"predict/attention", "predict attention --heads 32 --kv-heads 5 --seq 128 --head-dim 128 --hardware h100-sxm",
       {{"heads", 32}, {"kv_heads", 5}, {"seq", 128}, {"head_dim", 128}, {"hardware", "h100-sxm"}}},
      {"predict/prefill", "predict prefill gpt2 --prompt 128 --hardware a100-sxm-80gb --dtype fp8",
       {{"model", "gpt2"}, {"prompt", 128}, {"hardware", "a100-sxm-80gb"}, {"dtype", "fp8"}}},
      {"predict/decode", "predict decode gpt2 --context 0 --hardware h100-sxm",
       {{"model", "gpt2"}, {"context", 0}, {"hardware", "h100-sxm"}}},
      {"predict/decode", "predict decode llama-3.1-70b --context 128 --hardware h100-sxm --tp 3",
       {{"model", "llama-3.1-70b"}, {"context", 128}, {"hardware", "h100-sxm"}, {"tp", 3}}},
      {"predict/train", "predict train llama-3.1-8b --hardware l40s --gpus 16 --global-batch 64 --seq 2048",
       {{"model", "llama-3.1-8b"}, {"hardware", "l40s"}, {"gpus", 16}, {"global_batch", 64}, {"seq", 2048}}},
      {"predict/train", "predict train llama-3.1-8b --hardware h100-sxm --gpus 16 --seq 2048",
       {{"model", "llama-3.1-8b"}, {"hardware", "h100-sxm"}, {"gpus", 16}, {"seq", 2048}}},
      {"predict/graph", "predict graph " + kData + "/onnx/resnet50.onnx --hardware h100-sxm --top 0",
       {{"file", kData + "/onnx/resnet50.onnx"}, {"hardware", "h100-sxm"}, {"top", 0}}},
      {"memory", "memory gpt2 --mode serve", {{"model", "gpt2"}, {"mode", "serve"}}},
      {"memory", "memory llama-3.1-70b --mode train --tp 8 --pp 4 --gpus 48",
       {{"model", "llama-3.1-70b"}, {"mode", "train"}, {"tp", 8}, {"pp", 4}, {"gpus", 48}}},
      {"mfu", "mfu llama-3.1-8b --tokens-per-second 4e7 --hardware h100-sxm --gpus 64 --seq 8192",
       {{"model", "llama-3.1-8b"}, {"tokens_per_second", 4e7}, {"hardware", "h100-sxm"}, {"gpus", 64}, {"seq", 8192}}},
      {"report", "report llama-3.1-8b --context 0", {{"model", "llama-3.1-8b"}, {"context", 0}}},
  };
  for (const CliCase& c : cases) expect_same_error(c);
}

// A GEMM far past the ridge point runs at the compute roofline: time = FLOPs / (peak x
// efficiency) within the launch overhead, and its FLOPs are exactly 2 m n k.
TEST(PredictApi, ALargeGemmIsComputeBoundAtTheCeiling) {
  GemmOptions o;
  o.hw.hardware = "h100-sxm";
  o.m = o.n = o.k = 8192;
  auto out = predict_gemm(o, Render{});
  ASSERT_TRUE(out) << out.error().message;
  const Json& j = out->json;
  EXPECT_DOUBLE_EQ(j["flops"].get<double>(), 2.0 * 8192 * 8192 * 8192);
  EXPECT_EQ(j["bound"], "compute");
  EXPECT_GT(j["fraction_of_peak"].get<double>(), 0.3);
  EXPECT_LE(j["fraction_of_peak"].get<double>(), 1.0);
  EXPECT_NEAR(j["tflops_per_second"].get<double>() * 1e12 * j["seconds"].get<double>(), j["flops"].get<double>(),
              1e-6 * j["flops"].get<double>());
}

// Decode reads every weight once per step: doubling the batch of a small-batch decode hardly
// changes the step time but nearly doubles the generated tokens per second.
TEST(PredictApi, DecodeIsMemoryBoundAtSmallBatch) {
  PredictModelOptions o;
  o.hw.hardware = "h100-sxm";
  o.model = "llama-3.1-8b";
  o.context = 1024;
  o.batch = 1;
  auto one = predict_decode(o, Render{});
  o.batch = 2;
  auto two = predict_decode(o, Render{});
  ASSERT_TRUE(one && two);
  const double s1 = one->json["seconds_per_step"], s2 = two->json["seconds_per_step"];
  EXPECT_LT(s2, 1.1 * s1);
  EXPECT_GT(two->json["tokens_per_second"].get<double>(), 1.8 * one->json["tokens_per_second"].get<double>());
  EXPECT_NEAR(one->json["tokens_per_second"].get<double>(), 1.0 / s1, 1e-9 / s1);
  EXPECT_EQ(one->json["software"], "graphs");  // decode's default stack
}

// The many-device path is chosen by a layout option, in the JSON form as on the command line,
// and the micro batch is chosen when left out.
TEST(PredictApi, TrainTakesTheManyDevicePathWithALayout) {
  auto many = call("predict/train", {{"model", "llama-3.1-8b"}, {"hardware", "h100-sxm"}, {"gpus", 8},
                                     {"global_batch", 64}, {"seq", 2048}});
  ASSERT_TRUE(many) << many.error().message;
  EXPECT_EQ((*many)["gpus"], 8);
  EXPECT_EQ((*many)["system"], "dgx-h100");
  EXPECT_GE((*many)["micro_batch"].get<int64_t>(), 1);
  EXPECT_EQ((*many)["layout"]["dp"].get<int64_t>() * (*many)["layout"]["tp"].get<int64_t>() *
                (*many)["layout"]["pp"].get<int64_t>(),
            8);
  auto one = call("predict/train", {{"model", "llama-3.2-1b"}, {"hardware", "h100-sxm"}, {"seq", 1024}});
  ASSERT_TRUE(one) << one.error().message;
  EXPECT_EQ((*one)["batch"], 1);
  EXPECT_EQ((*one)["gpus"], 1);
}

// The MFU of a throughput: tokens/s x model FLOPs per token / (gpus x peak), so halving the
// GPUs doubles it.
TEST(PredictApi, MfuScalesInverselyWithGpus) {
  MfuOptions o;
  o.hw.hardware = "h100-sxm";
  o.model = "llama-3.1-8b";
  o.tokens_per_second = 4e5;
  o.seq = 8192;
  o.gpus = 64;
  auto a = mfu(o, Render{});
  o.gpus = 32;
  auto b = mfu(o, Render{});
  ASSERT_TRUE(a && b);
  EXPECT_NEAR(b->json["mfu"].get<double>(), 2 * a->json["mfu"].get<double>(), 1e-12);
  const double expect = 4e5 * a->json["flops_model_per_token"].get<double>() /
                        (64 * a->json["flops_peak_per_gpu"].get<double>());
  EXPECT_NEAR(a->json["mfu"].get<double>(), expect, 1e-12);
}

// Training memory: tensor parallelism splits the weights, so tp 8 holds an eighth or so.
TEST(PredictApi, MemoryWeightsSplitOverTensorParallel) {
  MemoryOptions o;
  o.model = "llama-3.1-70b";
  o.mode = "infer";
  auto one = memory(o, Render{});
  o.tp = 8;
  auto eight = memory(o, Render{});
  ASSERT_TRUE(one && eight);
  const double w1 = one->json["bytes_weights"], w8 = eight->json["bytes_weights"];
  EXPECT_GT(w1, 130e9);  // 70.6 B parameters in bf16
  EXPECT_LT(w8, w1 / 7);
  EXPECT_GT(w8, w1 / 9);
}

TEST(PredictApi, TextReportsComeFromTheSameCall) {
  PredictModelOptions o;
  o.hw.hardware = "h100-sxm";
  o.model = "llama-3.1-8b";
  o.seq = 2048;
  auto text = predict_prefill(o, Render{false, false});
  ASSERT_TRUE(text) << text.error().message;
  EXPECT_NE(text->text.find("Top 10 of "), std::string::npos) << text->text;
  EXPECT_NE(text->text.find("MFU:"), std::string::npos) << text->text;
  EXPECT_EQ(text->text.find("\x1b["), std::string::npos);
  ReportOptions r;
  auto report_text = report(r, Render{false, false});
  ASSERT_TRUE(report_text);
  EXPECT_NE(report_text->text.find("8,030,261,248"), std::string::npos);
}

TEST(PredictApi, AProfileForOtherHardwareWarns) {
  EngineOptions o;
  o.hardware = "h100-sxm";
  o.profile = kData + "/profiles/h100-sxm.profile.toml";
  std::vector<std::string> warnings;
  o.warn = [&](const std::string& w) { warnings.push_back(w); };
  auto s = resolve_setup(o, Software::kGraphs);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->software, Software::kGraphs);
  EXPECT_TRUE(s->profile.has_value());
  EXPECT_TRUE(warnings.empty());
  o.hardware = "a100-sxm-80gb";
  auto other = resolve_setup(o);
  ASSERT_TRUE(other) << other.error().message;
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("calibrates 'h100-sxm', not 'a100-sxm-80gb'"), std::string::npos) << warnings[0];
  o.dtype = "bf61";
  auto bad = resolve_setup(o);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("--dtype"), std::string::npos);
}

}  // namespace
}  // namespace flopscope::api
