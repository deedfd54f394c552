// flopscope serve: the HTTP API and the web page on the same library (apps/server/server.h).
#ifdef FLOPSCOPE_HAVE_SERVER
#include <signal.h>

#include <iostream>

#include "command.h"
#include "server.h"

namespace flopscope::cli {
namespace {

std::function<int()> setup(CLI::App& sub) {
  auto o = std::make_shared<server::ServerOptions>();
  auto quiet = std::make_shared<bool>(false);
  sub.add_option("--host", o->host, "Address to listen on (loopback unless told otherwise)")->capture_default_str();
  sub.add_option("--port", o->port, "TCP port (0: any free port, printed on start)")->capture_default_str();
  sub.add_option("--threads", o->threads, "Worker threads")->capture_default_str()->check(CLI::Range(1, 256));
  sub.add_option("--max-pending", o->max_pending, "Analyses admitted at once (503 beyond)")
      ->capture_default_str()->check(CLI::Range(1, 100000));
  sub.add_option("--max-upload-mib", o->bytes_upload_max, "Largest uploaded file, MiB")
      ->capture_default_str()->check(CLI::Range(1, 4096))
      ->transform([](std::string s) { return std::to_string(std::stoull(s) << 20); });
  sub.add_flag("--quiet", *quiet, "No request log on stderr");
  set_examples(sub, {"flopscope serve", "flopscope serve --port 9000",
                     "curl -s localhost:8080/api/v1/count -d '{\"model\": \"llama-3.1-8b\"}'",
                     "curl -s localhost:8080/api/v1/predict/decode -d '{\"model\": \"llama-3.1-8b\", \"hardware\": "
                     "\"h100-sxm\", \"batch\": 8, \"context\": 2048}'"});
  return [o, quiet] {
    // SIGINT / SIGTERM are taken by sigwait below: blocked before any server thread starts,
    // so none of them receives it.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    if (!*quiet) o->log = [](const std::string& line) { std::cerr << "flopscope serve: " << line << "\n"; };
    auto s = server::Server::start(*o);
    if (!s) return report_error(s.error());
    std::cerr << "flopscope serve: listening on http://" << o->host << ":" << (*s)->port() << "/ (Ctrl-C stops)"
              << std::endl;
    int sig = 0;
    sigwait(&signals, &sig);
    std::cerr << "flopscope serve: stopping\n";
    (*s)->stop();
    return 0;
  };
}

FLOPSCOPE_COMMAND({"serve", "Serve the HTTP API and the web page (same results as the CLI)", setup, 90});

}  // namespace
}  // namespace flopscope::cli
#endif
