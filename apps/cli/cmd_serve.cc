// flopscope serve: runs flopscope-serve (apps/server), the HTTP API and the web page on the
// same library. A separate program so that no other command loads cpp-httplib and OpenSSL.
#ifdef FLOPSCOPE_SERVE_BINARY
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>

#include "command.h"
#include "serve_flags.h"

namespace flopscope::cli {
namespace {

// flopscope-serve beside this binary (an install), else where the build wrote it.
std::string serve_binary() {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    auto beside = self.parent_path() / "flopscope-serve";
    if (std::filesystem::exists(beside, ec)) return beside.string();
  }
  return FLOPSCOPE_SERVE_BINARY;
}

std::function<int()> setup(CLI::App& sub) {
  auto f = std::make_shared<server::ServeFlags>();
  server::add_serve_flags(sub, *f);
  set_examples(sub, {"flopscope serve", "flopscope serve --port 9000",
                     "curl -s localhost:8080/api/v1/count -d '{\"model\": \"llama-3.1-8b\"}'",
                     "curl -s localhost:8080/api/v1/predict/decode -d '{\"model\": \"llama-3.1-8b\", \"hardware\": "
                     "\"h100-sxm\", \"batch\": 8, \"context\": 2048}'"});
  return [f] {
    std::string path = serve_binary();
    std::vector<std::string> args = server::serve_args(*f);
    std::vector<char*> argv;
    argv.push_back(path.data());
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(path.c_str(), argv.data());
    return report_error(failure("serve: cannot run " + path + " (" + std::strerror(errno) + ")"));
  };
}

FLOPSCOPE_COMMAND({"serve", "Serve the HTTP API and the web page (same results as the CLI)", setup, 90});

}  // namespace
}  // namespace flopscope::cli
#endif
