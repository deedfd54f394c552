// The flags of `flopscope serve`, shared by the CLI's subcommand (which only execs the
// server binary, so that the CLI itself never loads cpp-httplib and OpenSSL: issue 12's
// start-up budget) and by flopscope-serve (apps/server/serve_main.cc), which runs it.
#pragma once

#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace flopscope::server {

struct ServeFlags {
  std::string host = "127.0.0.1";
  int port = 8080;
  size_t threads = 4;
  size_t max_pending = 64;
  size_t max_upload_mib = 64;
  bool quiet = false;
};

inline void add_serve_flags(CLI::App& app, ServeFlags& f) {
  app.add_option("--host", f.host, "Address to listen on (loopback unless told otherwise)")->capture_default_str();
  app.add_option("--port", f.port, "TCP port (0: any free port, printed on start)")
      ->capture_default_str()->check(CLI::Range(0, 65535));
  app.add_option("--threads", f.threads, "Worker threads")->capture_default_str()->check(CLI::Range(1, 256));
  app.add_option("--max-pending", f.max_pending, "Analyses admitted at once (503 beyond)")
      ->capture_default_str()->check(CLI::Range(1, 100000));
  app.add_option("--max-upload-mib", f.max_upload_mib, "Largest uploaded file, MiB")
      ->capture_default_str()->check(CLI::Range(1, 4096));
  app.add_flag("--quiet", f.quiet, "No request log on stderr");
}

/// The flags again as arguments, for the exec from `flopscope serve`.
inline std::vector<std::string> serve_args(const ServeFlags& f) {
  std::vector<std::string> a = {"--host", f.host, "--port", std::to_string(f.port), "--threads", std::to_string(f.threads),
                                "--max-pending", std::to_string(f.max_pending), "--max-upload-mib",
                                std::to_string(f.max_upload_mib)};
  if (f.quiet) a.push_back("--quiet");
  return a;
}

}  // namespace flopscope::server
