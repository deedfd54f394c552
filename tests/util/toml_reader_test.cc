#include "flopscope/util/toml_reader.h"

#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "flopscope/util/toml_parse.h"

namespace flopscope {
namespace {

toml::table parse(const char* text) {
  auto t = parse_toml(text, "f.toml");
  EXPECT_TRUE(t.ok()) << t.error().message;
  return t.ok() ? *t : toml::table{};
}

TEST(TomlReader, DescribesValuesAsTheUserWroteThem) {
  toml::table t = parse("i = -4\nf = 2.5\ns = 'abc'\nb = true\nt = {}\na = [1]\nd = 2026-01-01\n");
  EXPECT_EQ(describe_toml(*t.get("i")), "-4");
  EXPECT_EQ(describe_toml(*t.get("f")), "2.5");
  EXPECT_EQ(describe_toml(*t.get("s")), "'abc'");
  EXPECT_EQ(describe_toml(*t.get("b")), "true");
  EXPECT_EQ(describe_toml(*t.get("t")), "a table");
  EXPECT_EQ(describe_toml(*t.get("a")), "an array");
  EXPECT_EQ(describe_toml(*t.get("d")), "a date or time");
}

TEST(TomlReader, MessagesNameTheFileAndTheDottedField) {
  TomlReader root("f.toml");
  EXPECT_EQ(root.at("", "no tables").message, "f.toml: no tables");
  EXPECT_EQ(root.at("x", "bad").message, "f.toml: x: bad");
  TomlReader env = root.nested("env").nested("h100");
  EXPECT_EQ(env.field("devices"), "env.h100.devices");
  EXPECT_EQ(env.prefix("dtype"), "f.toml: env.h100.dtype");
  EXPECT_EQ(env.at("", "bad").message, "f.toml: env.h100: bad");
}

TEST(TomlReader, NumbersAreFiniteAndSigned) {
  toml::table t = parse("neg = -1\nzero = 0\nint = 700\nnan = nan\ntext = 'fast'\n");
  TomlReader r("f.toml", "memory");
  double v = 7;
  EXPECT_EQ(r.read(t, "neg", Sign::kNonNegative, v)->message, "f.toml: memory.neg: expected a non-negative number, got -1");
  EXPECT_EQ(r.read(t, "zero", Sign::kPositive, v)->message, "f.toml: memory.zero: expected a positive number, got 0");
  EXPECT_EQ(r.read(t, "nan", Sign::kNonNegative, v)->message, "f.toml: memory.nan: expected a non-negative number, got nan");
  EXPECT_EQ(r.read(t, "text", Sign::kNonNegative, v)->message,
            "f.toml: memory.text: expected a non-negative number, got 'fast'");
  EXPECT_EQ(v, 7);  // untouched by the failures
  EXPECT_FALSE(r.read(t, "zero", Sign::kNonNegative, v));
  EXPECT_EQ(v, 0);
  EXPECT_FALSE(r.read(t, "int", Sign::kPositive, v));  // integers are numbers
  EXPECT_EQ(v, 700);
  std::optional<double> absent;
  EXPECT_FALSE(r.read(t, "missing", Sign::kPositive, absent));
  EXPECT_FALSE(absent.has_value());
}

TEST(TomlReader, IntegersStringsAndBooleans) {
  toml::table t = parse("m = 2.5\nn = -4\nname = 3\nflag = 'yes'\nok = false\n");
  TomlReader r("f.toml", "gemm[0]");
  int64_t count = 0;
  EXPECT_EQ(r.read(t, "m", Sign::kPositive, count)->message, "f.toml: gemm[0].m: expected a positive integer, got 2.5");
  EXPECT_EQ(r.read(t, "n", Sign::kNonNegative, count)->message,
            "f.toml: gemm[0].n: expected a non-negative integer, got -4");
  EXPECT_EQ(r.require(t, "k", Sign::kPositive, count)->message, "f.toml: gemm[0].k: missing, expected a positive integer");
  std::string text;
  EXPECT_EQ(r.read(t, "name", text)->message, "f.toml: gemm[0].name: expected a string, got 3");
  bool b = true;
  EXPECT_EQ(r.read(t, "flag", b)->message, "f.toml: gemm[0].flag: expected true or false, got 'yes'");
  EXPECT_FALSE(r.read(t, "ok", b));
  EXPECT_FALSE(b);
}

TEST(TomlReader, UnknownKeysAndSubTables) {
  toml::table t = parse("devcies = 2\ndevice = 'gpu'\n");
  TomlReader r("f.toml", "env.x");
  EXPECT_EQ(r.check_keys(t, {"devices", "device"})->message,
            "f.toml: env.x: unknown field 'devcies', did you mean 'devices'?");
  const toml::table* sub = nullptr;
  EXPECT_EQ(r.sub_table(t, "device", sub)->message, "f.toml: env.x.device: expected a table ([env.x.device]), got 'gpu'");
  EXPECT_FALSE(r.sub_table(t, "launch", sub));
  EXPECT_EQ(sub, nullptr);
}

}  // namespace
}  // namespace flopscope
