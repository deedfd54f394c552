// flopscope-serve: the HTTP server (server.h) as its own program. `flopscope serve` execs it,
// so the CLI never links cpp-httplib; run it directly with the same flags.
#include <signal.h>

#include <iostream>

#include "serve_flags.h"
#include "server.h"

int main(int argc, char** argv) {
  using namespace flopscope::server;
  CLI::App app{"flopscope serve: the HTTP API and the web page on the flopscope library (docs/server.md)",
               "flopscope-serve"};
  ServeFlags f;
  add_serve_flags(app, f);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;
  }
  // SIGINT / SIGTERM are taken by sigwait below: blocked before any server thread starts,
  // so none of them receives it.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ServerOptions o;
  o.host = f.host;
  o.port = f.port;
  o.threads = f.threads;
  o.max_pending = f.max_pending;
  o.bytes_upload_max = f.max_upload_mib << 20;
  if (!f.quiet) o.log = [](const std::string& line) { std::cerr << "flopscope serve: " << line << "\n"; };
  try {
    auto s = Server::start(o);
    if (!s) {
      std::cerr << "flopscope: " << s.error().message << "\n";
      return s.error().kind == flopscope::ErrorKind::kFailure ? 1 : 2;
    }
    std::cerr << "flopscope serve: listening on http://" << o.host << ":" << (*s)->port() << "/ (Ctrl-C stops)"
              << std::endl;
    int sig = 0;
    sigwait(&signals, &sig);
    std::cerr << "flopscope serve: stopping\n";
    (*s)->stop();
  } catch (const std::exception& e) {
    std::cerr << "flopscope: internal error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
