// `flopscope budget plan --json` prints the library's document, and its error line and
// exit status are the library's (tests/api/cli_check.h).
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>

#include "api/cli_check.h"
#include "flopscope/api/api.h"

namespace flopscope::api {
namespace {

using cli_check::CliCase;

std::string data(const std::string& name) { return std::string(FLOPSCOPE_TEST_DATA) + "/budget/" + name; }

TEST(BudgetCli, JsonIsTheLibraryDocument) {
  const std::string file = data("reserved.toml");
  cli_check::expect_same_document({"budget/plan", "budget plan " + file, {{"file", file}}});
}

TEST(BudgetCli, TheDocumentSaysWhatIsLeftOutAndWhy) {
  auto doc = call("budget/plan", {{"file", data("deadline.toml")}});
  ASSERT_TRUE(doc) << doc.error().message;
  ASSERT_EQ((*doc)["left_out"].size(), 1u);
  EXPECT_EQ((*doc)["left_out"][0]["job"], "huge");
  EXPECT_EQ((*doc)["left_out"][0]["reason_kind"], "deadline");
  EXPECT_EQ((*doc)["schedule"].size(), 2u);
  EXPECT_EQ((*doc)["schedule"][0]["label"], "2027-01");
  EXPECT_EQ((*doc)["totals"]["jobs_scheduled"], 1);
}

TEST(BudgetCli, ABadFieldIsTheSameLineAndExitTwo) {
  const std::string file = data("bad_gpus.toml");
  cli_check::expect_same_error({"budget/plan", "budget plan " + file, {{"file", file}}});
  auto doc = call("budget/plan", {{"file", file}});
  ASSERT_FALSE(doc);
  EXPECT_EQ(doc.error().message, file + ": env.h100.gpus: expected a positive integer, got -4");
}

TEST(BudgetCli, AMissingFileIsAnError) {
  const std::string file = data("no-such-portfolio.toml");
  cli_check::expect_same_error({"budget/plan", "budget plan " + file, {{"file", file}}});
}

std::string text_of(const std::string& file) {
  std::ifstream in(file);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The server and the page pass the portfolio as text (key portfolio): the same plan as from
// the file, with "portfolio" where the file's name stood.
TEST(BudgetCli, APortfolioGivenAsTextPlansAsItsFile) {
  const std::string file = data("reserved.toml");
  auto from_file = call("budget/plan", {{"file", file}});
  auto from_text = call("budget/plan", {{"portfolio", text_of(file)}});
  ASSERT_TRUE(from_file) << from_file.error().message;
  ASSERT_TRUE(from_text) << from_text.error().message;
  EXPECT_EQ((*from_file)["portfolio"], file);
  EXPECT_EQ((*from_text)["portfolio"], "portfolio");
  (*from_file)["portfolio"] = "portfolio";
  EXPECT_EQ(*from_file, *from_text);
}

// Text names nothing on disk: a model path or a profile file is refused before any is read,
// and a field's mistake names "portfolio" where a file's name would stand.
TEST(BudgetCli, APortfolioGivenAsTextReadsNoFile) {
  std::string text = text_of(data("reserved.toml"));
  const std::string config = std::string(FLOPSCOPE_TEST_DATA) + "/configs/meta-llama__Llama-3.2-1B.json";
  std::string with_path = text;
  with_path.replace(with_path.find("\"gpt2\""), 6, "\"" + config + "\"");
  auto r = call("budget/plan", {{"portfolio", with_path}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kBadInput);
  EXPECT_EQ(r.error().message.rfind("portfolio: job.tune.model: a portfolio given as text names catalog models only", 0),
            0u) << r.error().message;
  std::string with_profile = text;
  with_profile.replace(with_profile.find("[env.owned]"), 11, "[env.owned]\nprofile = \"h100.toml\"");
  r = call("budget/plan", {{"portfolio", with_profile}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message.rfind("portfolio: env.owned.profile: a portfolio given as text takes no profile file", 0),
            0u) << r.error().message;
  std::string bad = text;
  bad.replace(bad.find("gpus = 8"), 8, "gpus = -4");
  r = call("budget/plan", {{"portfolio", bad}});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "portfolio: env.cloud.gpus: expected a positive integer, got -4");
  r = call("budget/plan", {{"portfolio", text}, {"file", data("reserved.toml")}});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("not both"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace flopscope::api
