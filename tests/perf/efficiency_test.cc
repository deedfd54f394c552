#include "flopscope/perf/efficiency.h"

#include <gtest/gtest.h>

#include <string>

#include "flopscope/data/embedded.h"

namespace flopscope {
namespace {

TEST(Efficiency, EmbeddedFileParsesForEveryEntry) {
  auto text = data::find_embedded("hardware/efficiency.toml");
  ASSERT_TRUE(text.has_value());
  for (const char* id : {"default", "h100-sxm", "h100-pcie", "h200", "a100-sxm-80gb", "mi300x", "no-such-id"}) {
    auto e = parse_efficiency(*text, "efficiency.toml", id);
    ASSERT_TRUE(e.ok()) << id << ": " << e.error().message;
  }
}

TEST(Efficiency, FamilyTableCarriesToEveryPartItNames) {
  // H100 and H200 share the Hopper table (same die, kernels, clocks): the fitted constants
  // carry over; only the catalog's memory figures differ.
  Efficiency h100 = default_efficiency("h100-sxm");
  Efficiency h200 = default_efficiency("h200");
  Efficiency other = default_efficiency("some-unknown-part");
  EXPECT_DOUBLE_EQ(h100.gemm_ceiling_for(DType::kBF16), h200.gemm_ceiling_for(DType::kBF16));
  EXPECT_DOUBLE_EQ(h100.attention_forward, h200.attention_forward);
  EXPECT_NE(h100.attention_forward, other.attention_forward);
  EXPECT_DOUBLE_EQ(other.gemm_ceiling, 0.75);
  EXPECT_DOUBLE_EQ(h100.seconds_host_eager, other.seconds_host_eager);  // inherited
  // Ampere's exp-to-tensor-FLOP ratio is twice Hopper's (16 per 2048 vs 16 per 4096).
  EXPECT_DOUBLE_EQ(default_efficiency("a100-sxm-80gb").exp_per_flop, 2 * h100.exp_per_flop);
}

TEST(Efficiency, IdTableOverridesItsFamily) {
  const char* text =
      "[efficiency.default]\nattention_forward = 0.3\n"
      "[efficiency.fam]\napplies_to = [\"x\", \"y\"]\nattention_forward = 0.6\ngemm_stream_fraction_fp8 = 0.8\n"
      "[efficiency.y]\nattention_forward = 0.7\n";
  auto x = parse_efficiency(text, "eff.toml", "x");
  auto y = parse_efficiency(text, "eff.toml", "y");
  auto z = parse_efficiency(text, "eff.toml", "z");
  ASSERT_TRUE(x.ok() && y.ok() && z.ok());
  EXPECT_DOUBLE_EQ(x->attention_forward, 0.6);
  EXPECT_DOUBLE_EQ(y->attention_forward, 0.7);
  EXPECT_DOUBLE_EQ(z->attention_forward, 0.3);
  EXPECT_DOUBLE_EQ(x->gemm_stream_fraction_for(DType::kFP8), 0.8);
  EXPECT_DOUBLE_EQ(x->gemm_stream_fraction_for(DType::kBF16), z->gemm_stream_fraction);
}

TEST(Efficiency, BadFamilyListNamesTheField) {
  auto e = parse_efficiency("[efficiency.fam]\napplies_to = \"h100\"\n", "eff.toml", "h100");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().message, "eff.toml: efficiency.fam.applies_to: expected an array of hardware ids");
}

TEST(Efficiency, FittedBlockSaysWhereEachValueComesFrom) {
  // validation/h100/fit.py writes the Hopper constants with their provenance; a hand edit
  // that drops the comments (or the block) fails here.
  auto text = data::find_embedded("hardware/efficiency.toml");
  ASSERT_TRUE(text.has_value());
  std::string t(*text);
  size_t begin = t.find("# BEGIN fitted by validation/h100/fit.py");
  size_t end = t.find("# END fitted");
  ASSERT_NE(begin, std::string::npos);
  ASSERT_NE(end, std::string::npos);
  std::string block = t.substr(begin, end - begin);
  int values = 0;
  for (size_t at = block.find("\n"); at != std::string::npos; at = block.find("\n", at + 1)) {
    size_t eol = block.find("\n", at + 1);
    std::string line = block.substr(at + 1, eol == std::string::npos ? std::string::npos : eol - at - 1);
    if (line.empty() || line[0] == '#') continue;
    ++values;
    EXPECT_NE(line.find("# fitted: "), std::string::npos) << line;
  }
  EXPECT_GE(values, 10);
}

TEST(Efficiency, OutOfRangeFractionNamesTheField) {
  auto e = parse_efficiency("[efficiency.x]\ngemm_ceiling = 1.5\n", "eff.toml", "x");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().message, "eff.toml: efficiency.x.gemm_ceiling: expected a number in (0, 1], got 1.5");
}

TEST(Efficiency, UnknownKeyIsAnError) {
  auto e = parse_efficiency("[efficiency.default]\ngemm_celing = 0.7\n", "eff.toml", "x");
  ASSERT_FALSE(e.ok());
  EXPECT_EQ(e.error().message, "eff.toml: efficiency.default.gemm_celing: unknown key");
}

}  // namespace
}  // namespace flopscope
