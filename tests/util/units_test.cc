#include "flopscope/util/units.h"

#include <gtest/gtest.h>

#include "flopscope/util/dtype.h"
#include "flopscope/util/spellcheck.h"

namespace flopscope {

TEST(Units, SiPrefixesKeepThreeSignificantDigits) {
  EXPECT_EQ(format_si(1234567, "FLOP"), "1.23 MFLOP");
  EXPECT_EQ(format_si(8.03e9), "8.03 G");
  EXPECT_EQ(format_si(999), "999");
  EXPECT_EQ(format_si(3.2e15, "FLOP/s"), "3.20 PFLOP/s");
}

TEST(Units, CountsAreExactWithSeparators) {
  EXPECT_EQ(format_count(8030261248), "8,030,261,248");
  EXPECT_EQ(format_count(999), "999");
  EXPECT_EQ(format_count(-1000), "-1,000");
}

TEST(Units, BytesUseBinaryPrefixes) {
  EXPECT_EQ(format_bytes(1536), "1.50 KiB");
  EXPECT_EQ(format_bytes(16.0 * 1024 * 1024 * 1024), "16.0 GiB");
  EXPECT_EQ(format_bytes(12), "12 B");
}

TEST(Units, SecondsPickReadableUnit) {
  EXPECT_EQ(format_seconds(0.0042), "4.20 ms");
  EXPECT_EQ(format_seconds(3.5e-6), "3.50 us");
  EXPECT_EQ(format_seconds(90000), "25.0 h");
  EXPECT_EQ(format_seconds(86400 * 10), "10.0 days");
}

TEST(Units, DollarsAndPercent) {
  EXPECT_EQ(format_usd(1234.5), "$1,234.50");
  // One format throughout (issue 12): no "$1.07 M" beside "$996,794.49", no "$0.00".
  EXPECT_EQ(format_usd(996794.49), "$996,794");
  EXPECT_EQ(format_usd(1070123.4), "$1,070,123");
  EXPECT_EQ(format_usd(0.0042), "$0.0042");
  EXPECT_EQ(format_usd(0.42), "$0.42");
  EXPECT_EQ(format_usd(0.999), "$1.00");
  EXPECT_EQ(format_usd(0), "$0.00");
  EXPECT_EQ(format_usd(-2.5), "-$2.50");
  EXPECT_EQ(format_percent(0.4567), "45.7%");
}

TEST(DType, ParsesNamesAndAliases) {
  EXPECT_EQ(*parse_dtype("bf16"), DType::kBF16);
  EXPECT_EQ(*parse_dtype("BFloat16"), DType::kBF16);
  EXPECT_EQ(*parse_dtype("e4m3"), DType::kFP8);
  EXPECT_DOUBLE_EQ(bytes_per_element(DType::kINT4), 0.5);
}

TEST(DType, UnknownNameSuggestsClosest) {
  auto r = parse_dtype("bf61");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "--dtype: expected one of fp64, fp32, tf32, bf16, fp16, fp8, int8, int4, got 'bf61', did you mean 'bf16'?");
}

TEST(Spellcheck, SuggestsCloseAndContainingNames) {
  std::vector<std::string> ids = {"h100-sxm", "h100-pcie", "a100-sxm-80gb"};
  EXPECT_EQ(closest_match("h100-sx", ids), "h100-sxm");
  EXPECT_EQ(closest_match("a100-sxm", ids), "a100-sxm-80gb");
  EXPECT_EQ(closest_match("zzzzzz", ids), std::nullopt);
}

}  // namespace flopscope
