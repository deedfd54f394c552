// The utilities that stand between hostile input and the rest of flopscope (issue 11):
// printable text, bounded JSON parsing, bounded integer keys and safe file writes.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sys/stat.h>
#include <unistd.h>

#include "flopscope/util/file.h"
#include "flopscope/util/json_reader.h"
#include "flopscope/util/text.h"

namespace flopscope {
namespace {

TEST(Text, InvalidUtf8BecomesReplacementCharacters) {
  EXPECT_EQ(valid_utf8("plain"), "plain");
  EXPECT_EQ(valid_utf8("caf\xC3\xA9"), "caf\xC3\xA9");
  EXPECT_EQ(valid_utf8("a\xff" "b"), "a\xEF\xBF\xBD" "b");
  EXPECT_EQ(valid_utf8("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");      // overlong '/'
  EXPECT_EQ(valid_utf8("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // surrogate
  EXPECT_EQ(valid_utf8("\xF4\x90\x80\x80").substr(0, 3), "\xEF\xBF\xBD");  // above U+10FFFF
  EXPECT_EQ(valid_utf8("end\xE2\x82"), "end\xEF\xBF\xBD\xEF\xBF\xBD");   // truncated sequence
}

TEST(Text, ControlCharactersAreEscapedOnOneLine) {
  EXPECT_EQ(printable("a\x1b[2Jb"), "a\\x1b[2Jb");
  EXPECT_EQ(printable("one\ntwo\r\tthree"), "one\\ntwo\\r\\tthree");
  EXPECT_EQ(printable(std::string("nul\0x", 5)), "nul\\x00x");
  EXPECT_EQ(printable("del\x7f"), "del\\x7f");
  EXPECT_EQ(printable("\xff"), "\xEF\xBF\xBD");
}

TEST(ParseJson, RefusesDeepNestingBeforeTheParserRecurses) {
  std::string deep(100000, '[');
  auto j = parse_json(deep, "x.json");
  ASSERT_FALSE(j);
  EXPECT_EQ(j.error().message, "x.json: expected JSON nested at most 128 levels deep (docs/limits.md), got deeper at byte 128");
  EXPECT_TRUE(parse_json(std::string(128, '[') + std::string(128, ']'), "x.json"));
  EXPECT_FALSE(parse_json(std::string(129, '[') + std::string(129, ']'), "x.json"));
}

TEST(ParseJson, NumberOverflowAndSyntaxAreValues) {
  auto j = parse_json("[1e400]", "x.json");
  ASSERT_FALSE(j);
  EXPECT_EQ(j.error().message,
            "x.json: expected numbers within a double's range, got [json.exception.out_of_range.406] number overflow "
            "parsing '1e400'");
  auto bad = parse_json("{\"a\": }", "x.json");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "x.json: expected valid JSON, parse error at byte 7");
}

TEST(JsonReader, IntegersAreBoundedByTheirKeysLimit) {
  IntegerLimits limits = {{"layers", 100}};
  auto j = nlohmann::json::parse(R"({"layers": 101, "other": 5000, "ok": 7, "u": 18446744073709551615, "f": 1e19})");
  {
    JsonReader r(j, "c.json", &limits, 1000);
    EXPECT_EQ(r.positive("ok"), 7);
    r.positive("layers");
    ASSERT_TRUE(r.failed());
    EXPECT_EQ(r.error().message, "c.json: layers: expected at most 100 (docs/limits.md), got 101");
  }
  {
    JsonReader r(j, "c.json", &limits, 1000);
    r.optional_int("other", 0);
    EXPECT_EQ(r.error().message, "c.json: other: expected at most 1000 (docs/limits.md), got 5000");
  }
  {
    JsonReader r(j, "c.json");  // no limits: still never wraps
    r.positive("u");
    EXPECT_EQ(r.error().message,
              "c.json: u: expected at most 9223372036854775807 (docs/limits.md), got 18446744073709551615");
  }
  {
    JsonReader r(j, "c.json");
    r.positive("f");
    EXPECT_EQ(r.error().message, "c.json: f: expected at most 9223372036854775807 (docs/limits.md), got 1e+19");
  }
}

class SafeWrite : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("flopscope-safe-write-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  static std::string slurp(const std::filesystem::path& p) {
    std::ifstream in(p);
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  size_t entries() const {
    return static_cast<size_t>(std::distance(std::filesystem::directory_iterator(dir_), {}));
  }
  std::filesystem::path dir_;
};

TEST_F(SafeWrite, WritesANewFileAndReplacesARegularOne) {
  auto p = dir_ / "out.svg";
  ASSERT_TRUE(write_file_atomic(p.string(), "one"));
  EXPECT_EQ(slurp(p), "one");
  ::chmod(p.c_str(), 0640);
  ASSERT_TRUE(write_file_atomic(p.string(), "two"));
  EXPECT_EQ(slurp(p), "two");
  struct stat st {};
  ASSERT_EQ(::stat(p.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0640u);  // a replaced file keeps its mode
  EXPECT_EQ(entries(), 1u);             // no temporary file left behind
}

TEST_F(SafeWrite, RefusesASymlinkAndLeavesItAndItsTargetAlone) {
  auto target = dir_ / "target.txt";
  auto link = dir_ / "link.svg";
  std::ofstream(target) << "keep me";
  std::filesystem::create_symlink(target, link);
  Status s = write_file_atomic(link.string(), "<svg/>");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().kind, ErrorKind::kBadInput);
  EXPECT_EQ(s.error().message, link.string() + ": expected a regular file to replace or a new file, got a symbolic link "
                                               "(refusing to write over it)");
  EXPECT_TRUE(std::filesystem::is_symlink(link));
  EXPECT_EQ(slurp(target), "keep me");
  EXPECT_EQ(entries(), 2u);
}

TEST_F(SafeWrite, RefusesADirectoryAndADevice) {
  Status d = write_file_atomic(dir_.string(), "x");
  ASSERT_FALSE(d);
  EXPECT_EQ(d.error().message, dir_.string() + ": expected a regular file to replace or a new file, got a directory "
                                               "(refusing to write over it)");
  Status dev = write_file_atomic("/dev/null", "x");
  ASSERT_FALSE(dev);
  EXPECT_EQ(dev.error().message, "/dev/null: expected a regular file to replace or a new file, got a character device "
                                 "(refusing to write over it)");
}

TEST_F(SafeWrite, MissingFolderIsAFailureNotACrash) {
  Status s = write_file_atomic((dir_ / "no" / "such" / "out.svg").string(), "x");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message, (dir_ / "no" / "such" / "out.svg").string() + ": cannot write: No such file or directory");
}

TEST(ReadFile, SymlinkLoopSaysSo) {
  auto dir = std::filesystem::temp_directory_path() / ("flopscope-loop-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::filesystem::create_symlink(dir / "b", dir / "a");
  std::filesystem::create_symlink(dir / "a", dir / "b");
  auto r = read_file((dir / "a").string());
  std::filesystem::remove_all(dir);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, (dir / "a").string() + ": cannot open: Too many levels of symbolic links");
}

}  // namespace
}  // namespace flopscope
