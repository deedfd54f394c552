// `flopscope budget plan --json` prints the library's document, and its error line and
// exit status are the library's (tests/api/cli_check.h).
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace flopscope::api
