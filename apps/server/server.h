// `flopscope serve`: the HTTP front end (docs/server.md). It only translates: each request
// becomes one call of the library's JSON form (api::call), and the answer is exactly the
// document `flopscope <command> --json` prints; errors are JSON with the CLI's one-line
// message and a 4xx status (5xx for a failure inside an analysis).
//
// Routes:
//   POST /api/v1/<command>        options object in, document out ("predict/decode" is
//                                 POST /api/v1/predict/decode)
//   GET  /api/v1/commands         every command with its summary
//   GET  /api/v1/models           the model catalog ("models" command)
//   GET  /api/v1/hardware         the hardware catalog ("hardware" command)
//   GET  /api/v1/openapi.json     an OpenAPI 3.0 description of the above
//   POST /api/v1/uploads          a config.json, ONNX, GGUF or safetensors file (raw body with
//                                 ?name=FILE, or multipart field "file"); answers
//                                 {"upload": "upload:u-...", ...} to pass as "model"
//   GET  /                        the web page, and GET /static/{app.js, app.css,
//                                 uPlot.iife.min.js, uPlot.min.css} its scripts: embedded at
//                                 build time (web_assets.h); no file on disk is ever served
//
// Safety: binds to 127.0.0.1 unless told otherwise; request bodies and uploads are limited;
// read and write timeouts; a fixed pool of worker threads and at most `max_pending` analyses
// admitted at once (503 beyond); option values that name a path on the server's disk are
// refused (uploads are the only files a request can reach).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "flopscope/api/api.h"
#include "flopscope/util/result.h"

namespace flopscope::server {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                               ///< 0: any free port (tests)
  size_t threads = 4;                            ///< worker threads
  size_t max_pending = 64;                       ///< analyses admitted at once; 503 beyond
  size_t bytes_body_max = size_t{1} << 20;       ///< JSON request bodies
  size_t bytes_upload_max = size_t{64} << 20;    ///< one uploaded file
  size_t uploads_max = 16;                       ///< files kept; the oldest is dropped beyond
  int seconds_timeout = 30;                      ///< socket read/write timeout
  std::function<void(const std::string&)> log;   ///< one line per request (may be empty)
};

/// A running server; stop() (or destruction) ends it.
class Server {
 public:
  ~Server();
  /// Binds and starts serving on a background thread. An address in use or a bad host is
  /// kFailure with one line.
  static Result<std::unique_ptr<Server>> start(const ServerOptions& options);
  int port() const;
  /// Blocks until stop() is called from another thread or a signal handler.
  void wait();
  void stop();

  struct Impl;

 private:
  explicit Server(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// What a request's options become before api::call: "upload:<id>" values replaced by the
/// uploaded file's path, and any other value that names a path refused (kBadInput). Exposed
/// for tests; `resolve_upload` maps an id to its path (nullopt: unknown).
Result<api::Json> sanitize_options(const api::Json& options,
                                   const std::function<std::optional<std::string>(const std::string&)>& resolve_upload);

/// The OpenAPI 3.0 document of the routes above.
api::Json openapi_document();

}  // namespace flopscope::server
