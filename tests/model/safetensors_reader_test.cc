// safetensors headers written here byte by byte from the format (8-byte little-endian
// header size, JSON header, data), and a sharded folder; broken ones too.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "flopscope/model/safetensors_reader.h"

namespace flopscope {
namespace {

std::string file_with(const std::string& json, size_t data_bytes) {
  std::string b(8, '\0');
  uint64_t n = json.size();
  for (int i = 0; i < 8; ++i) b[static_cast<size_t>(i)] = static_cast<char>((n >> (8 * i)) & 0xff);
  return b + json + std::string(data_bytes, '\0');
}

std::string error_of(const std::string& bytes) {
  auto t = parse_safetensors_header(bytes, bytes.size(), "m.safetensors");
  return t ? std::string("(parsed)") : t.error().message;
}

const char* kTwoTensors =
    R"({"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},)"
    R"("b":{"dtype":"BF16","shape":[4],"data_offsets":[24,32]}})";

TEST(SafetensorsReader, CountsParametersAndBytesPerDtype) {
  auto bytes = file_with(kTwoTensors, 32);
  auto t = parse_safetensors_header(bytes, bytes.size(), "m.safetensors");
  ASSERT_TRUE(t) << t.error().message;
  auto m = summarize_safetensors(std::move(*t), "m.safetensors");
  EXPECT_EQ(m.parameters, 10);
  EXPECT_EQ(m.bytes, 32u);
  ASSERT_EQ(m.dtypes.size(), 2u);
  EXPECT_EQ(m.dtypes[0].dtype, "F32");
  EXPECT_EQ(m.dtypes[0].bytes, 24u);
  EXPECT_EQ(m.tensors[0].name, "b");
  EXPECT_EQ(m.tensors[1].shape, (std::vector<int64_t>{2, 3}));
}

TEST(SafetensorsCorrupt, HeaderSizeBeyondTheFile) {
  std::string b = file_with("{}", 0);
  b[5] = '\x01';
  EXPECT_EQ(error_of(b), "m.safetensors: header: header size 1099511627778 exceeds the file size (10 bytes)");
}

TEST(SafetensorsCorrupt, ShortFile) {
  EXPECT_EQ(error_of("abc"), "m.safetensors: header: expected an 8-byte header size, got a file of 3 bytes");
}

TEST(SafetensorsCorrupt, NotJson) {
  EXPECT_EQ(error_of(file_with("{\"w\":", 0)), "m.safetensors: header: expected valid JSON, parse error at byte 6");
  EXPECT_EQ(error_of(file_with("[1]", 0)), "m.safetensors: header: expected a JSON object, got array");
}

TEST(SafetensorsCorrupt, UnknownDtype) {
  EXPECT_EQ(error_of(file_with(R"({"w":{"dtype":"F13","shape":[1],"data_offsets":[0,4]}})", 4)),
            "m.safetensors: tensor 'w': dtype: expected a safetensors dtype (F32, BF16, ...), got 'F13'");
}

TEST(SafetensorsCorrupt, NegativeDim) {
  EXPECT_EQ(error_of(file_with(R"({"w":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", 4)),
            "m.safetensors: tensor 'w': shape: expected non-negative integers, got -1");
}

TEST(SafetensorsCorrupt, OffsetsBeyondTheData) {
  EXPECT_EQ(error_of(file_with(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}})", 8)),
            "m.safetensors: tensor 'w': data_offsets: [0, 16] lie beyond the data (8 bytes)");
}

TEST(SafetensorsCorrupt, SizeDisagreesWithShape) {
  EXPECT_EQ(error_of(file_with(R"({"w":{"dtype":"F32","shape":[4],"data_offsets":[0,12]}})", 16)),
            "m.safetensors: tensor 'w': data_offsets: expected 16 bytes for F32 shape of 4 elements, got 12");
}

TEST(SafetensorsCorrupt, OverlappingTensors) {
  EXPECT_EQ(error_of(file_with(R"({"a":{"dtype":"F32","shape":[4],"data_offsets":[0,16]},)"
                               R"("b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]}})", 16)),
            "m.safetensors: tensor 'b': data_offsets: overlaps the previous tensor");
}

TEST(SafetensorsCorrupt, MissingOffsets) {
  EXPECT_EQ(error_of(file_with(R"({"w":{"dtype":"F32","shape":[4]}})", 16)),
            "m.safetensors: tensor 'w': data_offsets: expected [BEGIN, END], got none");
}

TEST(SafetensorsCorrupt, AbsurdShape) {
  EXPECT_EQ(error_of(file_with(R"({"w":{"dtype":"F32","shape":[1099511627776,1099511627776],"data_offsets":[0,4]}})", 4)),
            "m.safetensors: tensor 'w': shape: [1099511627776,1099511627776] holds more elements than the file has bytes");
}

TEST(SafetensorsCorrupt, HugeDimsBeforeAZeroDimDoNotOverflow) {
  auto bytes = file_with(R"({"w":{"dtype":"F32","shape":[1099511627776,1099511627776,0],"data_offsets":[0,0]}})", 0);
  auto t = parse_safetensors_header(bytes, bytes.size(), "m.safetensors");
  ASSERT_TRUE(t) << t.error().message;
  EXPECT_EQ((*t)[0].elements, 0);
}

TEST(SafetensorsCorruptFiles, EachFailsWithItsMessage) {
  const std::string dir = std::string(FLOPSCOPE_TEST_DATA) + "/corrupt/";
  struct Case {
    const char* file;
    const char* message;
  };
  for (const auto& c : std::vector<Case>{
           {"header_size_overflow.safetensors", "header: header size 1152921504606846976 exceeds the file size (10 bytes)"},
           {"offsets_beyond_data.safetensors", "tensor 'w': data_offsets: [0, 1000] lie beyond the data (16 bytes)"},
           {"bad_json.safetensors", "header: expected valid JSON, parse error at byte 6"},
       }) {
    auto m = read_safetensors(dir + c.file);
    ASSERT_FALSE(m) << c.file;
    EXPECT_EQ(m.error().message, dir + c.file + ": " + c.message);
  }
}

TEST(SafetensorsCorruptFiles, FuzzCorpusReadsOrFailsCleanly) {
  const std::string dir = std::string(FLOPSCOPE_TEST_DATA) + "/../fuzz/corpus/safetensors";
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    auto m = read_safetensors(e.path().string());
    if (!m) {
      EXPECT_EQ(m.error().message.rfind(e.path().string() + ": ", 0), 0u) << m.error().message;
    }
  }
}

class SafetensorsFolder : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::path(::testing::TempDir()) / ("st_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write(const std::string& name, const std::string& bytes) {
    std::ofstream(dir_ / name, std::ios::binary) << bytes;
  }
  std::filesystem::path dir_;
};

TEST_F(SafetensorsFolder, ReadsEveryShardNamedByTheIndex) {
  write("model-00001-of-00002.safetensors", file_with(R"({"a":{"dtype":"F16","shape":[8],"data_offsets":[0,16]}})", 16));
  write("model-00002-of-00002.safetensors", file_with(R"({"b":{"dtype":"F16","shape":[2,2],"data_offsets":[0,8]}})", 8));
  write("model.safetensors.index.json",
        R"({"metadata":{"total_size":24},"weight_map":{"a":"model-00001-of-00002.safetensors","b":"model-00002-of-00002.safetensors"}})");
  auto m = read_safetensors(dir_.string());
  ASSERT_TRUE(m) << m.error().message;
  EXPECT_EQ(m->parameters, 12);
  EXPECT_EQ(m->bytes, 24u);
  EXPECT_EQ(m->files.size(), 2u);
  EXPECT_TRUE(m->warnings.empty());
}

TEST_F(SafetensorsFolder, TensorMissingFromItsShardIsAnError) {
  write("s1.safetensors", file_with(R"({"a":{"dtype":"F16","shape":[8],"data_offsets":[0,16]}})", 16));
  write("model.safetensors.index.json", R"({"weight_map":{"a":"s1.safetensors","z":"s1.safetensors"}})");
  auto m = read_safetensors(dir_.string());
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().message, (dir_ / "model.safetensors.index.json").string() +
                                   ": weight_map.z: expected the tensor in s1.safetensors, got no such tensor there");
}

TEST_F(SafetensorsFolder, ShardOutsideTheFolderIsRefused) {
  write("model.safetensors.index.json", R"({"weight_map":{"a":"../etc/passwd"}})");
  auto m = read_safetensors(dir_.string());
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().message, (dir_ / "model.safetensors.index.json").string() +
                                   ": weight_map.a: expected a file name in the folder, got '../etc/passwd'");
}

TEST_F(SafetensorsFolder, TotalSizeDisagreementIsAWarning) {
  write("s1.safetensors", file_with(R"({"a":{"dtype":"F16","shape":[8],"data_offsets":[0,16]}})", 16));
  write("model.safetensors.index.json", R"({"metadata":{"total_size":17},"weight_map":{"a":"s1.safetensors"}})");
  auto m = read_safetensors(dir_.string());
  ASSERT_TRUE(m) << m.error().message;
  ASSERT_EQ(m->warnings.size(), 1u);
}

}  // namespace
}  // namespace flopscope
