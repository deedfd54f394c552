#include "flopscope/hw/calibration.h"

#include <gtest/gtest.h>

#include <string>

namespace flopscope {
namespace {

std::string parse_error(const std::string& toml) {
  auto r = parse_calibration_profile(toml, "prof.toml");
  EXPECT_FALSE(r.ok()) << "parsed: " << toml;
  return r.ok() ? "" : r.error().message;
}

const char* kOneGemm = R"(
version = 1
[[gemm]]
dtype = "bf16"
m = 4096
n = 4096
k = 4096
seconds = 0.0002
)";

TEST(CalibrationProfile, RoundTripsThroughToml) {
  CalibrationProfile p;
  p.device_name = "Test \"GPU\" \\ 1\tx";
  p.hardware_id = "h100-sxm";
  p.date = "2026-11-23";
  p.tool = "flopscope probe 0.1.0";
  p.compute_units = 132;
  p.bytes_l2 = 52428800;
  p.bytes_per_second_copy = 3.0285661848466323e12;
  // Doubles that need all 17 digits, within the rates a profile accepts (docs/limits.md).
  p.bytes_per_second_triad = 1e12 / 3.0;
  p.bytes_per_second_read = 1.0000000000000002e3;
  p.bytes_per_second_write = 123456789.123456789;
  p.seconds_launch_overhead = 2.5e-6;
  p.seconds_host_eager = 1.7e-5;
  p.gemm.push_back({DType::kBF16, 1, 128256, 4096, 3.1e-5, 2.0 * 128256 * 4096 / 3.1e-5});
  p.gemm.push_back({DType::kFP8, 8192, 8192, 8192, 0.00089, 1.2345678901234567e15});
  p.gemm.push_back({DType::kFP64, 256, 256, 256, 0.1, 335544.32});
  p.attention.push_back({8, 32, 512, 128, true, false, 6.157e-05});
  p.attention.push_back({1, 32, 8192, 128, false, true, 0.0071843838691711});

  std::string text = to_toml(p);
  auto back = parse_calibration_profile(text, "roundtrip.toml");
  ASSERT_TRUE(back.ok()) << back.error().message << "\n" << text;
  EXPECT_EQ(back->device_name, p.device_name);
  EXPECT_EQ(back->hardware_id, p.hardware_id);
  EXPECT_EQ(back->date, p.date);
  EXPECT_EQ(back->tool, p.tool);
  EXPECT_EQ(back->compute_units, p.compute_units);
  EXPECT_EQ(back->bytes_l2, p.bytes_l2);
  EXPECT_EQ(back->bytes_per_second_copy, p.bytes_per_second_copy);
  EXPECT_EQ(back->bytes_per_second_triad, p.bytes_per_second_triad);
  EXPECT_EQ(back->bytes_per_second_read, p.bytes_per_second_read);
  EXPECT_EQ(back->bytes_per_second_write, p.bytes_per_second_write);
  EXPECT_EQ(back->seconds_launch_overhead, p.seconds_launch_overhead);
  EXPECT_EQ(back->seconds_host_eager, p.seconds_host_eager);
  ASSERT_EQ(back->gemm.size(), p.gemm.size());
  for (size_t i = 0; i < p.gemm.size(); ++i) {
    EXPECT_EQ(back->gemm[i].dtype, p.gemm[i].dtype);
    EXPECT_EQ(back->gemm[i].m, p.gemm[i].m);
    EXPECT_EQ(back->gemm[i].n, p.gemm[i].n);
    EXPECT_EQ(back->gemm[i].k, p.gemm[i].k);
    EXPECT_EQ(back->gemm[i].seconds, p.gemm[i].seconds);
    EXPECT_EQ(back->gemm[i].flops_per_second, p.gemm[i].flops_per_second);
  }
  ASSERT_EQ(back->attention.size(), p.attention.size());
  for (size_t i = 0; i < p.attention.size(); ++i) {
    EXPECT_EQ(back->attention[i].batch, p.attention[i].batch);
    EXPECT_EQ(back->attention[i].heads, p.attention[i].heads);
    EXPECT_EQ(back->attention[i].seq, p.attention[i].seq);
    EXPECT_EQ(back->attention[i].head_dim, p.attention[i].head_dim);
    EXPECT_EQ(back->attention[i].causal, p.attention[i].causal);
    EXPECT_EQ(back->attention[i].backward, p.attention[i].backward);
    EXPECT_EQ(back->attention[i].seconds, p.attention[i].seconds);
  }
  EXPECT_EQ(to_toml(*back), text);
}

TEST(CalibrationProfile, EmptyProfileRoundTrips) {
  CalibrationProfile p;
  auto back = parse_calibration_profile(to_toml(p), "empty.toml");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_TRUE(back->gemm.empty());
  EXPECT_EQ(back->bytes_per_second_copy, 0);
}

TEST(CalibrationProfile, DerivesFlopsFromSeconds) {
  auto p = parse_calibration_profile(kOneGemm, "prof.toml");
  ASSERT_TRUE(p.ok()) << p.error().message;
  ASSERT_EQ(p->gemm.size(), 1u);
  EXPECT_DOUBLE_EQ(p->gemm[0].flops_per_second, 2.0 * 4096 * 4096 * 4096 / 0.0002);
  EXPECT_DOUBLE_EQ(p->best_gemm_flops_per_second(DType::kBF16), p->gemm[0].flops_per_second);
  EXPECT_EQ(p->best_gemm_flops_per_second(DType::kFP16), 0);
}

TEST(CalibrationProfile, AcceptsIntegersForQuantities) {
  auto p = parse_calibration_profile("[device]\nbytes_l2 = 52428800\n[memory]\nbytes_per_second_read = 3000000000000\n",
                                     "prof.toml");
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->bytes_l2, 52428800.0);
  EXPECT_EQ(p->bytes_per_second_read, 3e12);
}

// Issue 11: a rate of 5e-324 FLOP/s printed "-nan years"; 1e-300 B/s an infinite time.
TEST(CalibrationProfile, RatesOutsideMeasurableRangeAreRefused) {
  EXPECT_EQ(parse_error("[[gemm]]\ndtype = 'bf16'\nm = 4096\nn = 4096\nk = 4096\nflops_per_second = 5e-324\n"),
            "prof.toml: gemm[0].flops_per_second: expected a rate in [1e3, 1e18] FLOP/s (docs/limits.md), got 4.94066e-324 "
            "FLOP/s");
  EXPECT_EQ(parse_error("[[gemm]]\ndtype = 'bf16'\nm = 1\nn = 1\nk = 1\nseconds = 1e300\n"),
            "prof.toml: gemm[0].seconds: expected a rate in [1e3, 1e18] FLOP/s (docs/limits.md), got 2e-300 FLOP/s");
  EXPECT_EQ(parse_error("[memory]\nbytes_per_second_read = 1e-300\n"),
            "prof.toml: memory.bytes_per_second_read: expected 0 or a rate in [1e3, 1e16] B/s (docs/limits.md), got 1e-300");
  EXPECT_EQ(parse_error("[launch]\nseconds_overhead = 1e308\n"),
            "prof.toml: launch.seconds_overhead: expected at most 1 second per launch (docs/limits.md), got 1e+308");
}

TEST(CalibrationProfile, NegativeGemmDimensionNamesIndexAndValue) {
  std::string toml = "[[gemm]]\ndtype = 'bf16'\nm = 1\nn = 1\nk = 1\nseconds = 1e-6\n";
  toml += toml + toml;
  toml += "[[gemm]]\ndtype = 'bf16'\nm = -4\nn = 1\nk = 1\nseconds = 1.0\n";
  EXPECT_EQ(parse_error(toml), "prof.toml: gemm[3].m: expected a positive integer, got -4");
}

TEST(CalibrationProfile, ErrorTextsNameFileAndField) {
  EXPECT_EQ(parse_error("[[gemm]]\ndtype = 'bf16'\nm = 2.5\nn = 1\nk = 1\nseconds = 1.0\n"),
            "prof.toml: gemm[0].m: expected a positive integer, got 2.5");
  EXPECT_EQ(parse_error("[[gemm]]\ndtype = 'bf16'\nm = 1\nk = 1\nseconds = 1.0\n"),
            "prof.toml: gemm[0].n: missing, expected a positive integer");
  EXPECT_EQ(parse_error("[[gemm]]\ndtype = 'bf17'\nm = 1\nn = 1\nk = 1\nseconds = 1.0\n"),
            "prof.toml: gemm[0].dtype: expected one of fp64, fp32, tf32, bf16, fp16, fp8, int8, int4, got 'bf17', "
            "did you mean 'bf16'?");
  EXPECT_EQ(parse_error("[[gemm]]\nm = 1\nn = 1\nk = 1\nseconds = 1.0\n"),
            "prof.toml: gemm[0].dtype: missing, expected a dtype such as 'bf16'");
  EXPECT_EQ(parse_error("[[gemm]]\ndtype = 'fp16'\nm = 1\nn = 1\nk = 1\n"),
            "prof.toml: gemm[0]: expected 'seconds' or 'flops_per_second', got neither");
  EXPECT_EQ(parse_error("[[gemm]]\ndtype = 'fp16'\nm = 1\nn = 1\nk = 1\nseconds = 0.0\n"),
            "prof.toml: gemm[0].seconds: expected a positive number, got 0");
  EXPECT_EQ(parse_error("[[gemm]]\ndtype = 'fp16'\nm = 1\nn = 1\nk = 1\nflops = 1.0\n"),
            "prof.toml: gemm[0]: unknown field 'flops', did you mean 'flops_per_second'?");
  EXPECT_EQ(parse_error("[memory]\nbytes_per_second_copy = -1.0\n"),
            "prof.toml: memory.bytes_per_second_copy: expected a non-negative number, got -1");
  EXPECT_EQ(parse_error("[memory]\nbytes_per_second_read = 'fast'\n"),
            "prof.toml: memory.bytes_per_second_read: expected a non-negative number, got 'fast'");
  EXPECT_EQ(parse_error("[memory]\nbytes_per_second_read = nan\n"),
            "prof.toml: memory.bytes_per_second_read: expected a non-negative number, got nan");
  EXPECT_EQ(parse_error("[memory]\nbytes_per_second_cpy = 1.0\n"),
            "prof.toml: memory: unknown field 'bytes_per_second_cpy', did you mean 'bytes_per_second_copy'?");
  EXPECT_EQ(parse_error("[device]\nname = 3\n"), "prof.toml: device.name: expected a string, got 3");
  EXPECT_EQ(parse_error("[device]\ncompute_units = -1\n"),
            "prof.toml: device.compute_units: expected a non-negative integer, got -1");
  EXPECT_EQ(parse_error("device = 'gpu'\n"), "prof.toml: device: expected a table ([device]), got 'gpu'");
  EXPECT_EQ(parse_error("gemm = 3\n"), "prof.toml: gemm: expected an array of tables ([[gemm]]), got 3");
  EXPECT_EQ(parse_error("gemm = [1]\n"), "prof.toml: gemm[0]: expected a table, got 1");
  EXPECT_EQ(parse_error("hardware = 'x'\n"), "prof.toml: unknown field 'hardware'");
}

TEST(CalibrationProfile, VersionWindowIsOneToTwo) {
  EXPECT_EQ(parse_error("version = 3\n"),
            "prof.toml: version: expected 2, got 3 (written by a newer flopscope; upgrade to read it)");
  EXPECT_EQ(parse_error("version = 0\n"), "prof.toml: version: expected 1 or 2, got 0");
  EXPECT_TRUE(parse_calibration_profile("version = 1\n", "prof.toml").ok());
  EXPECT_TRUE(parse_calibration_profile("version = 2\n", "prof.toml").ok());
}

TEST(CalibrationProfile, AttentionSamplesAreCheckedFieldByField) {
  const std::string ok = "[[attention]]\nbatch = 2\nheads = 32\nseq = 4096\nhead_dim = 128\ncausal = true\n"
                         "backward = false\nseconds = 0.0005\n";
  auto p = parse_calibration_profile(ok, "prof.toml");
  ASSERT_TRUE(p.ok()) << p.error().message;
  ASSERT_EQ(p->attention.size(), 1u);
  EXPECT_TRUE(p->attention[0].causal);
  EXPECT_FALSE(p->attention[0].backward);
  EXPECT_EQ(p->attention[0].seq, 4096);
  EXPECT_EQ(parse_error("[[attention]]\nbatch = 2\nheads = 32\nseq = 4096\nhead_dim = 128\n"),
            "prof.toml: attention[0].seconds: missing, expected the measured seconds of one call");
  EXPECT_EQ(parse_error("[[attention]]\nbatch = 2\nheads = 32\nseq = 99999999\nhead_dim = 128\nseconds = 1\n"),
            "prof.toml: attention[0].seq: expected at most 16777216 (docs/limits.md), got 99999999");
  EXPECT_EQ(parse_error("[[attention]]\nbatch = 2\nheads = 32\nseq = 64\nhead_dim = 128\nseconds = 1e9\n"),
            "prof.toml: attention[0].seconds: expected a time in [1e-9, 1e4] s (docs/limits.md), got 1e+09");
  EXPECT_EQ(parse_error("[[attention]]\nbatch = 2\nheads = 32\nseq = 64\nhead_dim = 128\nseconds = 1\n"
                        "windowed = true\n"),
            "prof.toml: attention[0]: unknown field 'windowed'");
  EXPECT_EQ(parse_error("attention = 3\n"),
            "prof.toml: attention: expected an array of tables ([[attention]]), got 3");
}

TEST(CalibrationProfile, TomlSyntaxErrorNamesLineAndColumn) {
  std::string e = parse_error("[device]\nname = \"unterminated\n");
  EXPECT_EQ(e.rfind("prof.toml:2:", 0), 0u) << e;
}

TEST(CalibrationProfile, MissingFileIsNotFound) {
  auto r = load_calibration_profile("/nonexistent/flopscope/prof.toml");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(r.error().message, "/nonexistent/flopscope/prof.toml: cannot open: no such file");
}

TEST(CalibrationProfile, ReadsH100SampleAndPicksLargestBf16) {
  auto p = load_calibration_profile(FLOPSCOPE_TEST_DATA "/profiles/h100-sxm.profile.toml");
  ASSERT_TRUE(p.ok()) << p.error().message;
  EXPECT_EQ(p->hardware_id, "h100-sxm");
  EXPECT_EQ(p->device_name, "NVIDIA H100 80GB HBM3");
  EXPECT_EQ(p->compute_units, 132);
  EXPECT_EQ(p->bytes_l2, 52428800.0);
  EXPECT_EQ(p->gemm.size(), 29u);
  double largest_bf16 = 0;
  for (const auto& g : p->gemm) {
    if (g.dtype == DType::kBF16) largest_bf16 = std::max(largest_bf16, g.flops_per_second);
  }
  // 4096^3 bf16 in the sample: 772.337 TFLOP/s.
  EXPECT_NEAR(largest_bf16, 772.3371947676434e12, 1e6);
  EXPECT_EQ(p->best_gemm_flops_per_second(DType::kBF16), largest_bf16);
  EXPECT_GT(p->best_gemm_flops_per_second(DType::kFP8), p->best_gemm_flops_per_second(DType::kBF16));
  EXPECT_GT(p->best_gemm_flops_per_second(DType::kTF32), 0);
  EXPECT_NEAR(p->bytes_per_second_read, 3.0838e12, 1e9);
  EXPECT_EQ(p->seconds_launch_overhead, 0);
}

}  // namespace
}  // namespace flopscope
