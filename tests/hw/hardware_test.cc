#include "flopscope/hw/hardware.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "flopscope/data/embedded.h"

namespace flopscope {
namespace {

// The embedded catalog alone: these tests must not depend on $FLOPSCOPE_HARDWARE.
const HardwareCatalog& catalog() {
  static const HardwareCatalog c = [] {
    auto r = HardwareCatalog::load("");
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? *r : HardwareCatalog{};
  }();
  return c;
}

const Hardware& get(std::string_view id) {
  auto r = catalog().find(id);
  EXPECT_TRUE(r.ok()) << r.error().message;
  return **r;
}

constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;

// A minimal valid entry to build malformed variants from.
const char* kMinimal = R"(
[hardware.test-gpu]
name = "Test GPU"
memory_gb = 16
[[hardware.test-gpu.sources]]
what = "a test"
)";

// ---------------------------------------------------------------------------- embedded data

TEST(HardwareCatalogEmbedded, LoadsEveryEmbeddedFile) {
  auto r = HardwareCatalog::load("");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_GE(r->all().size(), 21u);
}

TEST(HardwareCatalogEmbedded, HasEveryRequiredId) {
  for (const char* id : {"h100-sxm", "h100-pcie", "h200", "b200", "a100-sxm-40gb", "a100-sxm-80gb", "a100-pcie-80gb",
                         "l40s", "l4", "a10g", "t4", "v100-sxm", "mi300x", "mi250x", "tpu-v4", "tpu-v5e", "tpu-v5p",
                         "gaudi2", "gaudi3", "epyc-9654", "xeon-8480"}) {
    auto r = catalog().find(id);
    ASSERT_TRUE(r.ok()) << r.error().message;
    EXPECT_EQ((*r)->id, id);
  }
}

TEST(HardwareCatalogEmbedded, EveryEntryHasASourceNameVendorAndKind) {
  for (const auto& hw : catalog().all()) {
    EXPECT_FALSE(hw.sources.empty()) << hw.id;
    for (const auto& s : hw.sources) EXPECT_FALSE(s.what.empty()) << hw.id;
    EXPECT_FALSE(hw.name.empty()) << hw.id;
    EXPECT_FALSE(hw.vendor.empty()) << hw.id;
    EXPECT_FALSE(hw.kind.empty()) << hw.id;
    EXPECT_GT(hw.release_year, 2000) << hw.id;
    EXPECT_GT(hw.bytes_per_second_memory, 0) << hw.id;
  }
}

TEST(HardwareCatalogEmbedded, IdsAreUniqueAndAliasesDoNotShadowIds) {
  auto ids = catalog().ids();
  for (size_t i = 0; i < ids.size(); ++i) {
    for (size_t j = i + 1; j < ids.size(); ++j) EXPECT_NE(ids[i], ids[j]);
  }
  for (const auto& hw : catalog().all()) {
    for (const auto& alias : hw.aliases) {
      EXPECT_EQ(std::find(ids.begin(), ids.end(), alias), ids.end()) << alias;
      EXPECT_EQ(get(alias).id, hw.id) << alias;
    }
  }
}

TEST(HardwareCatalogEmbedded, H100SxmBf16IsTheDenseDatasheetPeakHalfTheSparseFigure) {
  const Hardware& h = get("h100-sxm");
  EXPECT_DOUBLE_EQ(h.peak(DType::kBF16), 989.5e12);
  EXPECT_DOUBLE_EQ(h.flops_peak_sparse[static_cast<size_t>(DType::kBF16)], 1979e12);
  EXPECT_DOUBLE_EQ(h.peak(DType::kBF16) * 2, h.flops_peak_sparse[static_cast<size_t>(DType::kBF16)]);
  EXPECT_DOUBLE_EQ(h.peak(DType::kFP8), 1979e12);
}

TEST(HardwareCatalogEmbedded, NvidiaDenseFiguresAreHalfTheSparseOnesWhereOnlySparseIsPrinted) {
  for (const char* id : {"h100-sxm", "h100-pcie", "h200", "b200", "a100-sxm-40gb", "a100-sxm-80gb", "l4"}) {
    const Hardware& h = get(id);
    for (size_t i = 0; i < h.flops_peak.size(); ++i) {
      if (h.flops_peak_sparse[i] == 0) continue;
      EXPECT_NEAR(h.flops_peak[i] * 2, h.flops_peak_sparse[i], 1e12) << id << " " << kDTypeNames[i];
    }
  }
}

TEST(HardwareCatalogEmbedded, DenseNeverExceedsSparse) {
  for (const auto& hw : catalog().all()) {
    for (size_t i = 0; i < hw.flops_peak.size(); ++i) {
      if (hw.flops_peak_sparse[i] > 0) {
        EXPECT_LT(hw.flops_peak[i], hw.flops_peak_sparse[i]) << hw.id;
      }
    }
  }
}

TEST(HardwareCatalogEmbedded, AmpereHasNoFp8AndTuringVoltaHaveNoBf16) {
  for (const char* id : {"a100-sxm-40gb", "a100-sxm-80gb", "a100-pcie-80gb"}) {
    EXPECT_FALSE(get(id).supports(DType::kFP8)) << id;
    EXPECT_TRUE(get(id).supports(DType::kBF16)) << id;
  }
  EXPECT_FALSE(get("t4").supports(DType::kBF16));
  EXPECT_FALSE(get("v100-sxm").supports(DType::kBF16));
  EXPECT_TRUE(get("h100-sxm").supports(DType::kFP8));
}

TEST(HardwareCatalogEmbedded, Tf32OnlyOnNvidia) {
  for (const auto& hw : catalog().all()) {
    if (hw.vendor != "NVIDIA") {
      EXPECT_FALSE(hw.supports(DType::kTF32)) << hw.id;
    }
  }
}

TEST(HardwareCatalogEmbedded, ConvertsHumanUnitsToSi) {
  const Hardware& h = get("h100-sxm");
  EXPECT_DOUBLE_EQ(h.bytes_memory, 80 * kGiB);
  EXPECT_DOUBLE_EQ(h.bytes_per_second_memory, 3350e9);
  EXPECT_DOUBLE_EQ(h.watts_tdp, 700);
  EXPECT_DOUBLE_EQ(h.bytes_per_second_interconnect, 450e9);  // NVLink 4: 900 GB/s bidirectional
  EXPECT_DOUBLE_EQ(h.bytes_l2, 50.0 * 1024 * 1024);
  EXPECT_EQ(h.compute_units, 132);
  EXPECT_EQ(h.interconnect, "NVLink 4");
  EXPECT_EQ(get("h100-pcie").compute_units, 114);
  EXPECT_EQ(get("a100-sxm-80gb").compute_units, 108);
  EXPECT_DOUBLE_EQ(get("t4").peak(DType::kINT8), 130e12);
}

TEST(HardwareCatalogEmbedded, CpuPeaksFollowCoresTimesClockTimesFlopsPerCycle) {
  EXPECT_DOUBLE_EQ(get("epyc-9654").peak(DType::kFP64), 96 * 2.4e9 * 16);
  EXPECT_DOUBLE_EQ(get("xeon-8480").peak(DType::kFP32), 56 * 2.0e9 * 64);
  EXPECT_DOUBLE_EQ(get("xeon-8480").peak(DType::kBF16), 56 * 2.0e9 * 1024);
  EXPECT_EQ(get("xeon-8480").kind, "cpu");
}

// ---------------------------------------------------------------------------------- find

TEST(HardwareCatalogFind, UnknownIdSuggestsTheClosest) {
  auto r = catalog().find("h10");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "unknown hardware 'h10', did you mean 'h100-sxm'? (see flopscope hardware)");
  EXPECT_EQ(r.error().kind, ErrorKind::kBadInput);
}

TEST(HardwareCatalogFind, UnknownIdWithNothingCloseHasNoSuggestion) {
  auto r = catalog().find("zzz");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "unknown hardware 'zzz' (see flopscope hardware)");
}

TEST(HardwareCatalogFind, AcceptsDocumentedAliasesAndAnyCase) {
  EXPECT_EQ(get("h100").id, "h100-sxm");
  EXPECT_EQ(get("a100").id, "a100-sxm-80gb");
  EXPECT_EQ(get("H100-SXM").id, "h100-sxm");
  EXPECT_EQ(get("xeon-8480+").id, "xeon-8480");
}

// ------------------------------------------------------------------------- parse errors

TEST(HardwareCatalogParse, MinimalEntryParses) {
  auto r = HardwareCatalog::parse(kMinimal, "t.toml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->all().size(), 1u);
  EXPECT_DOUBLE_EQ(r->all()[0].bytes_memory, 16 * kGiB);
  EXPECT_FALSE(r->all()[0].supports(DType::kBF16));
}

TEST(HardwareCatalogParse, KeepsFileOrder) {
  auto r = HardwareCatalog::parse(R"(
[hardware.zeta]
name = "Z"
sources = [{what = "x"}]
[hardware.alpha]
name = "A"
sources = [{what = "x"}]
)",
                                  "t.toml");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->ids(), (std::vector<std::string>{"zeta", "alpha"}));
}

TEST(HardwareCatalogParse, MalformedTomlNamesFileLineAndColumn) {
  auto r = HardwareCatalog::parse("[hardware.x]\nname = \"unterminated\n", "bad.toml");
  ASSERT_FALSE(r.ok());
  // The description after "invalid TOML: " is toml++'s (3.3).
  EXPECT_EQ(r.error().message,
            "bad.toml:2:21: invalid TOML: Error while parsing string: unescaped control characters other than TAB "
            "(U+0009) are explicitly prohibited");
}

TEST(HardwareCatalogParse, WrongTypeNamesTheField) {
  auto r = HardwareCatalog::parse(R"(
[hardware.h100-sxm]
name = "H100"
memory_gb = "80"
sources = [{what = "x"}]
)",
                                  "FILE");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "FILE: hardware.h100-sxm.memory_gb: expected a non-negative number, got '80'");
}

TEST(HardwareCatalogParse, NegativeFigureIsRejected) {
  auto r = HardwareCatalog::parse("[hardware.x]\nname = \"X\"\ntflops_bf16 = -1\nsources = [{what = \"x\"}]\n", "f");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "f: hardware.x.tflops_bf16: expected a non-negative number, got -1");
}

TEST(HardwareCatalogParse, UnknownFieldSuggestsTheIntendedOne) {
  auto r = HardwareCatalog::parse("[hardware.x]\nname = \"X\"\nmemroy_gb = 8\nsources = [{what = \"x\"}]\n", "f");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "f: hardware.x: unknown field 'memroy_gb', did you mean 'memory_gb'?");
}

TEST(HardwareCatalogParse, IntegerDtypesUseTops) {
  auto r = HardwareCatalog::parse("[hardware.x]\nname = \"X\"\ntflops_int8 = 8\nsources = [{what = \"x\"}]\n", "f");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "f: hardware.x: unknown field 'tflops_int8', did you mean 'tops_int8'?");
}

TEST(HardwareCatalogParse, EntryWithoutSourceIsRejected) {
  auto r = HardwareCatalog::parse("[hardware.x]\nname = \"X\"\n", "f");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "f: hardware.x: missing field 'sources' (every entry needs at least one source)");
}

TEST(HardwareCatalogParse, EntryWithoutNameIsRejected) {
  auto r = HardwareCatalog::parse("[hardware.x]\nsources = [{what = \"x\"}]\n", "f");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "f: hardware.x: missing field 'name'");
}

TEST(HardwareCatalogParse, UnknownKindIsRejected) {
  auto r = HardwareCatalog::parse("[hardware.x]\nname = \"X\"\nkind = \"xpu\"\nsources = [{what = \"x\"}]\n", "f");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "f: hardware.x.kind: expected one of gpu, tpu, accelerator, cpu, got 'xpu'");
}

TEST(HardwareCatalogParse, NonKebabIdIsRejected) {
  auto r = HardwareCatalog::parse("[hardware.H100_SXM]\nname = \"X\"\nsources = [{what = \"x\"}]\n", "f");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "f: hardware.H100_SXM: expected a kebab-case id (lowercase letters, digits, '-', '.')");
}

TEST(HardwareCatalogParse, SourceWithoutWhatIsRejected) {
  auto r = HardwareCatalog::parse("[hardware.x]\nname = \"X\"\nsources = [{url = \"u\"}]\n", "f");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "f: hardware.x.sources[0].what: missing, expected what the source is");
}

TEST(HardwareCatalogParse, StrayTopLevelKeyIsRejected) {
  auto r = HardwareCatalog::parse("gpu = 1\n", "f");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "f: gpu: unknown field, expected [hardware.<id>] tables");
}

// ------------------------------------------------------------------------------ overrides

TEST(HardwareCatalogMerge, OverridesOnlyTheKeysGivenAndAddsNewEntries) {
  HardwareCatalog c = catalog();
  Status st = c.merge_toml(R"(
[hardware.h100-sxm]
tdp_w = 500
[hardware.my-gpu]
name = "My GPU"
tflops_bf16 = 100
memory_gb = 24
memory_bandwidth_gbps = 1000
)",
                           "user.toml");
  ASSERT_TRUE(st.ok()) << st.error().message;
  auto h = c.find("h100-sxm");
  ASSERT_TRUE(h.ok());
  EXPECT_DOUBLE_EQ((*h)->watts_tdp, 500);
  EXPECT_DOUBLE_EQ((*h)->peak(DType::kBF16), 989.5e12);
  auto mine = c.find("my-gpu");
  ASSERT_TRUE(mine.ok()) << mine.error().message;
  EXPECT_DOUBLE_EQ((*mine)->peak(DType::kBF16), 100e12);
  EXPECT_EQ(c.all().size(), catalog().all().size() + 1);
}

TEST(HardwareCatalogMerge, BadUserEntryLeavesTheCatalogUnchanged) {
  HardwareCatalog c = catalog();
  Status st = c.merge_toml("[hardware.h100-sxm]\ntdp_w = 500\n[hardware.new-gpu]\nmemory_gb = 8\n", "user.toml");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().message, "user.toml: hardware.new-gpu: missing field 'name'");
  EXPECT_DOUBLE_EQ((*c.find("h100-sxm"))->watts_tdp, 700);
}

TEST(HardwareCatalogMerge, MissingUserFileIsNotFound) {
  HardwareCatalog c = catalog();
  Status st = c.merge_file("/nonexistent/flopscope-hw.toml");
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(st.error().message.rfind("/nonexistent/flopscope-hw.toml: ", 0), 0u) << st.error().message;
}

}  // namespace
}  // namespace flopscope
