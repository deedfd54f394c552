// Checks that the CLI prints what the library returns (tests/api/*_test.cc): run
// `flopscope ARGS --json` (FLOPSCOPE_CLI) and api::call(COMMAND, OPTIONS) and compare the
// documents, or the error line and exit status.
#pragma once

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <string>

#include "flopscope/api/api.h"

namespace flopscope::api::cli_check {

struct CliCase {
  const char* command;  ///< the library's name: "count", "predict/decode"
  std::string args;     ///< the CLI's arguments without --json
  Json options;         ///< the same as the JSON form's options
};

/// Runs `flopscope ARGS --json`; stdout, or stderr alone with `stderr_only`.
inline std::string run_cli(const std::string& args, int* status, bool stderr_only = false) {
  std::string cmd = std::string(FLOPSCOPE_CLI) + " " + args + (stderr_only ? " --json 2>&1 >/dev/null" : " --json 2>/dev/null");
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return "";
  std::string out;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  *status = pclose(p);
  return out;
}

/// The CLI's --json document equals the library's.
inline void expect_same_document(const CliCase& c) {
  int status = -1;
  std::string out = run_cli(c.args, &status);
  ASSERT_EQ(status, 0) << c.args;
  Json cli = Json::parse(out);
  auto lib = call(c.command, c.options);
  ASSERT_TRUE(lib) << c.args << ": " << lib.error().message;
  EXPECT_EQ(cli, *lib) << c.args << "\nCLI:\n" << cli.dump(1) << "\nlibrary:\n" << lib->dump(1);
}

/// The CLI's error line (after "flopscope: ") and exit status match the library's error.
inline void expect_same_error(const CliCase& c) {
  int status = -1;
  std::string err = run_cli(c.args, &status, true);
  auto lib = call(c.command, c.options);
  ASSERT_FALSE(lib) << c.args;
  EXPECT_EQ(err, "flopscope: " + lib.error().message + "\n") << c.args;
  EXPECT_EQ(WEXITSTATUS(status), lib.error().kind == ErrorKind::kFailure ? 1 : 2) << c.args;
}

}  // namespace flopscope::api::cli_check
