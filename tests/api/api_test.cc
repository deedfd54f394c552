// The library's request/result API (api/api.h): the JSON form, its option checks, and the
// CLI printing exactly the library's document.
#include "flopscope/api/api.h"

#include <gtest/gtest.h>

#include "api/cli_check.h"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <sys/wait.h>

#include "flopscope/api/count.h"
#include "flopscope/api/options.h"

namespace flopscope::api {
namespace {

using cli_check::CliCase;
using cli_check::expect_same_document;
using cli_check::expect_same_error;
using cli_check::run_cli;

const std::string kData = FLOPSCOPE_TEST_DATA;

Json read_json(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return Json::parse(s.str());
}

TEST(Api, EndpointsAreSortedAndUnique) {
  auto e = endpoints();
  ASSERT_FALSE(e.empty());
  for (size_t i = 1; i < e.size(); ++i) EXPECT_LT(e[i - 1].name, e[i].name) << "registry.cc: keep kEndpoints sorted";
}

TEST(Api, CountsACatalogModel) {
  auto j = call("count", {{"model", "llama-3.1-8b"}, {"batch", 2}, {"seq", 1024}});
  ASSERT_TRUE(j) << j.error().message;
  EXPECT_EQ((*j)["params"], 8030261248);
  EXPECT_EQ((*j)["batch"], 2);
  EXPECT_EQ((*j)["seq"], 1024);
}

TEST(Api, AConfigObjectCountsAsItsFile) {
  const std::string path = kData + "/configs/Qwen__Qwen2.5-7B.json";
  auto by_path = call("count", {{"model", path}});
  auto by_object = call("count", {{"model", read_json(path)}});
  ASSERT_TRUE(by_path) << by_path.error().message;
  ASSERT_TRUE(by_object) << by_object.error().message;
  EXPECT_EQ((*by_path)["params"], (*by_object)["params"]);
  EXPECT_EQ((*by_path)["flops_forward"], (*by_object)["flops_forward"]);
}

TEST(Api, UnknownCommandSuggestsTheClosest) {
  auto j = call("cuont", Json::object());
  ASSERT_FALSE(j);
  EXPECT_EQ(j.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(j.error().message, "unknown command 'cuont', did you mean 'count'?");
}

TEST(Api, UnknownOptionSuggestsTheClosest) {
  auto j = call("count", {{"model", "llama-3.1-8b"}, {"batc", 8}});
  ASSERT_FALSE(j);
  EXPECT_EQ(j.error().kind, ErrorKind::kBadInput);
  EXPECT_EQ(j.error().message, "count: unknown option 'batc', did you mean 'batch'?");
}

TEST(Api, WrongTypesAreRefusedWithOneLine) {
  auto s = call("count", {{"model", "llama-3.1-8b"}, {"batch", "8"}});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message, "count: batch: expected an integer, got string \"8\"");
  auto f = call("count", {{"model", "llama-3.1-8b"}, {"batch", 8.5}});
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().message, "count: batch: expected an integer, got number 8.5");
  auto big = call("count", {{"model", "llama-3.1-8b"}, {"batch", 18446744073709551615ull}});
  ASSERT_FALSE(big);
  EXPECT_EQ(big.error().kind, ErrorKind::kBadInput);
  auto arr = call("count", Json::array({1, 2}));
  ASSERT_FALSE(arr);
  EXPECT_EQ(arr.error().message, "count: options: expected a JSON object, got a list");
  auto model = call("count", {{"model", 42}});
  ASSERT_FALSE(model);
  EXPECT_EQ(model.error().message,
            "count: model: expected a model name or path (string) or a config.json object, got number 42");
}

TEST(Api, ValuesAreCheckedAsTheCliChecksThem) {
  auto j = call("count", {{"model", "llama-3.1-8b"}, {"batch", 0}});
  ASSERT_FALSE(j);
  EXPECT_EQ(j.error().message, "--batch: expected a positive integer, got 0");
  auto missing = call("count", Json::object());
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, ErrorKind::kBadInput);
}

TEST(Api, ListOptionsTakeOneValueOrAList) {
  std::vector<std::string> dims;
  std::vector<int64_t> ints;
  OptionsReader r({{"dim", "batch=1"}, {"m", {1, 2, 3}}}, "t");
  r.read("dim", dims).read("m", ints);
  ASSERT_TRUE(r.done());
  EXPECT_EQ(dims, std::vector<std::string>{"batch=1"});
  EXPECT_EQ(ints, (std::vector<int64_t>{1, 2, 3}));
  OptionsReader bad({{"m", {1, "x"}}}, "t");
  bad.read("m", ints);
  auto st = bad.done();
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().message, "t: m: expected an integer or a list of integers, got string \"x\"");
}

TEST(Api, TextAndJsonComeFromTheSameCall) {
  CountOptions o;
  o.model = "llama-3.1-8b";
  auto text = count(o, Render{false, false});
  ASSERT_TRUE(text);
  EXPECT_NE(text->text.find("8.03 B (8,030,261,248)"), std::string::npos) << text->text;
  EXPECT_EQ(text->text.find("\x1b["), std::string::npos) << "no colour unless asked";
  auto styled = count(o, Render{false, true});
  ASSERT_TRUE(styled);
  EXPECT_NE(styled->text.find("\x1b[1m"), std::string::npos);
}

// The CLI prints exactly the library's document: each case runs `flopscope ARGS --json` and
// api::call(COMMAND, OPTIONS), and the two must be equal as JSON values.
std::vector<CliCase> cli_cases() {
  const std::string onnx = kData + "/onnx/";
  return {
      {"count", "count llama-3.1-8b", {{"model", "llama-3.1-8b"}}},
      {"count", "count mixtral-8x7b --batch 4 --seq 512 --tp 2 --ep 2",
       {{"model", "mixtral-8x7b"}, {"batch", 4}, {"seq", 512}, {"tp", 2}, {"ep", 2}}},
      {"count", "count " + kData + "/configs/Qwen__Qwen2.5-7B.json --seq 4096",
       {{"model", kData + "/configs/Qwen__Qwen2.5-7B.json"}, {"seq", 4096}}},
      {"count", "count " + onnx + "resnet50.onnx --hardware h100-sxm",
       {{"model", onnx + "resnet50.onnx"}, {"hardware", "h100-sxm"}}},
      {"count", "count " + onnx + "gpt2.onnx", {{"model", onnx + "gpt2.onnx"}}},
  };
}

TEST(Api, CliJsonEqualsTheLibraryDocument) {
  for (const CliCase& c : cli_cases()) expect_same_document(c);
}

// A mistake gets the same one line from the CLI (after "flopscope: ") and from the library.
TEST(Api, CliErrorsEqualTheLibraryErrors) {
  const std::string onnx = kData + "/onnx/";
  std::vector<CliCase> cases = {
      {"count", "count llama-3.1-8b --batch 0", {{"model", "llama-3.1-8b"}, {"batch", 0}}},
      {"count", "count no-such-model", {{"model", "no-such-model"}}},
      {"count", "count " + onnx + "gpt2.onnx --dim batch=2", {{"model", onnx + "gpt2.onnx"}, {"dim", "batch=2"}}},
      {"count", "count llama-3.1-8b --hardware h100-sxm", {{"model", "llama-3.1-8b"}, {"hardware", "h100-sxm"}}},
  };
  for (const CliCase& c : cases) expect_same_error(c);
}

}  // namespace
}  // namespace flopscope::api
