// Compression schemes side by side (issue 13, item 1).
#include "flopscope/plan/compression.h"

#include <gtest/gtest.h>

#include "flopscope/cost/memory.h"
#include "flopscope/model/load.h"

namespace flopscope {
namespace {

CompressionRequest request(const char* hardware, std::vector<std::string> schemes) {
  CompressionRequest rq;
  rq.spec = *load_model("llama-3.1-8b");
  rq.model = "llama-3.1-8b";
  rq.hardware = *HardwareCatalog::builtin().find(hardware);
  rq.schemes = std::move(schemes);
  rq.prompt = 512;
  rq.output = 256;
  rq.batch = 1;
  return rq;
}

const SchemeResult& scheme(const CompressionResult& r, const std::string& name) {
  for (const auto& s : r.schemes) {
    if (s.name == name) return s;
  }
  ADD_FAILURE() << "no scheme " << name;
  return r.schemes.front();
}

TEST(Compression, Int4WeightsAreAboutAQuarterOfBf16LinearBytesPlusScales) {
  auto r = compare_compression(request("h100-sxm", {"bf16", "w4a16-int4"}));
  ASSERT_TRUE(r) << r.error().message;
  const TransformerSpec spec = *load_model("llama-3.1-8b");
  // 2 bytes against 1 per linear weight: the difference counts the linear weights.
  const double linear16 = 2 * (weight_bytes(spec, DType::kBF16) - weight_bytes(spec, DType::kFP8));
  const double rest = scheme(*r, "bf16").bytes_weights - linear16;
  const double linear4 = scheme(*r, "w4a16-int4").bytes_weights - rest;
  // Half a byte per weight plus one fp16 scale per group of 128, against 2 bytes.
  EXPECT_NEAR(linear4 / linear16, (0.5 + 2.0 / 128.0) / 2.0, 1e-9);
  EXPECT_GT(linear4 / linear16, 0.25);
}

TEST(Compression, Fp8DecodeAtBatchOneIsFasterButByLessThanTwice) {
  auto r = compare_compression(request("h100-sxm", {"bf16", "w8a8-fp8"}));
  ASSERT_TRUE(r) << r.error().message;
  const auto& fp8 = scheme(*r, "w8a8-fp8");
  EXPECT_LT(fp8.seconds_tpot, scheme(*r, "bf16").seconds_tpot);
  EXPECT_GT(fp8.speedup_tpot, 1.1);
  EXPECT_LT(fp8.speedup_tpot, 2.0);  // embeddings, LM head, KV and launches do not halve
}

TEST(Compression, LargestBatchGrowsWithASmallerKvDtype) {
  auto r = compare_compression(request("h100-sxm", {"bf16", "kv-fp8", "kv-int8"}));
  ASSERT_TRUE(r) << r.error().message;
  const auto& bf16 = scheme(*r, "bf16");
  EXPECT_GT(bf16.batch_max, 1);
  EXPECT_GT(scheme(*r, "kv-fp8").batch_max, bf16.batch_max);
  EXPECT_GT(scheme(*r, "kv-int8").batch_max, bf16.batch_max);
  EXPECT_DOUBLE_EQ(scheme(*r, "kv-fp8").bytes_kv_cache * 2, bf16.bytes_kv_cache);
}

TEST(Compression, Sparse24IsNotApplicableWithoutASparsePeak) {
  auto r = compare_compression(request("mi250x", {"bf16", "sparse-2:4"}));
  ASSERT_TRUE(r) << r.error().message;
  const auto& s = scheme(*r, "sparse-2:4");
  EXPECT_FALSE(s.applies);
  EXPECT_EQ(s.reason, "mi250x has no 2:4 sparse bf16 peak");
  EXPECT_TRUE(scheme(*r, "bf16").applies);
}

TEST(Compression, Sparse24HalvesLinearWeightsPlusMetadataOnHopper) {
  auto r = compare_compression(request("h100-sxm", {"bf16", "sparse-2:4"}));
  ASSERT_TRUE(r) << r.error().message;
  const TransformerSpec spec = *load_model("llama-3.1-8b");
  const double linear16 = 2 * (weight_bytes(spec, DType::kBF16) - weight_bytes(spec, DType::kFP8));
  const auto& dense = scheme(*r, "bf16");
  const auto& sparse = scheme(*r, "sparse-2:4");
  ASSERT_TRUE(sparse.applies);
  // Each linear weight: half of 2 bytes kept plus 2 bits per kept value = 1.125 of 2 bytes.
  EXPECT_NEAR(dense.bytes_weights - sparse.bytes_weights, linear16 * (1 - 1.125 / 2), 1.0);
  EXPECT_LT(sparse.seconds_tpot, dense.seconds_tpot);
  EXPECT_LT(sparse.seconds_ttft, dense.seconds_ttft);
  EXPECT_GT(sparse.batch_max, dense.batch_max);
}

TEST(Compression, QualityIsNotMeasuredWhenTheDataHasNoEntry) {
  auto rq = request("h100-sxm", {"bf16", "w8a8-fp8", "kv-fp8"});
  rq.quality_toml =
      "[[quality]]\nmodels = \"llama-2-7b\"\nscheme = \"w8a8-fp8\"\nchange = \"x\"\nsource = \"s\"\n";
  auto r = compare_compression(rq);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(scheme(*r, "w8a8-fp8").quality.has_value());
  EXPECT_FALSE(scheme(*r, "kv-fp8").quality.has_value());
  EXPECT_EQ(compression_json(*r)["schemes"][1]["quality"], "not measured");
}

TEST(Compression, EmbeddedQualityDataCitesLlama31Fp8) {
  auto r = compare_compression(request("h100-sxm", {"w8a8-fp8", "kv-int8"}));
  ASSERT_TRUE(r) << r.error().message;
  const auto& fp8 = scheme(*r, "w8a8-fp8");
  ASSERT_TRUE(fp8.quality.has_value());
  EXPECT_EQ(fp8.quality->url, "https://arxiv.org/abs/2411.02355");
  EXPECT_FALSE(scheme(*r, "kv-int8").quality.has_value());
  EXPECT_EQ(r->schemes.front().name, "bf16");  // the baseline is always first
}

TEST(Compression, UnknownSchemeSuggestsTheClosest) {
  auto r = compare_compression(request("h100-sxm", {"w8a8-fp9"}));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "--schemes: unknown scheme 'w8a8-fp9', did you mean 'w8a8-fp8'?");
}

TEST(Compression, PruningAndDistillationShrinkTheModel) {
  auto rq = request("h100-sxm", {});
  rq.prune_layers = 8;
  rq.prune_mlp = 0.25;
  rq.distill_to = *load_model("llama-3.2-1b");
  rq.distill_name = "llama-3.2-1b";
  auto r = compare_compression(rq);
  ASSERT_TRUE(r) << r.error().message;
  const auto& bf16 = scheme(*r, "bf16");
  for (const char* name : {"prune-layers", "prune-mlp", "distill"}) {
    const auto& s = scheme(*r, name);
    EXPECT_LT(s.bytes_weights, bf16.bytes_weights) << name;
    EXPECT_LT(s.seconds_tpot, bf16.seconds_tpot) << name;
  }
  EXPECT_EQ(scheme(*r, "prune-mlp").description, "width pruning: MLP 14336 -> 10752");
}

TEST(Compression, AQuantizedFileIsReportedAsItIs) {
  auto rq = request("h100-sxm", {"as-is"});
  rq.stored = StoredWeights{"GGUF Q4_K 90%, Q6_K 10%", 4.9e9, 4.89};
  auto r = compare_compression(rq);
  ASSERT_TRUE(r) << r.error().message;
  const auto& s = scheme(*r, "as-is");
  ASSERT_TRUE(s.applies);
  EXPECT_DOUBLE_EQ(s.bytes_weights, 4.9e9);
  EXPECT_EQ(s.description, "GGUF Q4_K 90%, Q6_K 10% (4.89 bits per weight; timed as int4 weights)");
  EXPECT_GT(s.speedup_tpot, 1.0);
}

TEST(Compression, PruningTheWholeModelIsRefused) {
  auto rq = request("h100-sxm", {"prune-layers"});
  rq.prune_layers = 32;
  auto r = compare_compression(rq);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "--prune-layers: expected 1 to 31 (the model has 32 layers), got 32");
}

TEST(Compression, BadQualityRowNamesTheField) {
  auto rq = request("h100-sxm", {"bf16"});
  rq.quality_toml = "[[quality]]\nmodels = \"llama\"\nscheme = \"fp8\"\nchange = \"x\"\nsource = \"s\"\n";
  auto r = compare_compression(rq);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "quality file: quality[0].scheme: unknown scheme 'fp8', did you mean 'w8a8-fp8'?");
}

}  // namespace
}  // namespace flopscope
