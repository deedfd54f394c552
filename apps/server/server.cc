#include "server.h"

#include <fmt/format.h>
#include <httplib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "flopscope/model/load.h"
#include "flopscope/util/json_reader.h"
#include "web_assets.h"

namespace flopscope::server {

namespace fs = std::filesystem;
using api::Json;

namespace {

constexpr std::string_view kUploadPrefix = "upload:";
const char* const kUploadExtensions[] = {".json", ".onnx", ".gguf", ".safetensors"};

std::string dump(const Json& j) { return j.dump(2, ' ', false, Json::error_handler_t::replace) + "\n"; }

Json error_json(const std::string& message) { return Json{{"error", message}}; }

int status_for(const Error& e) {
  switch (e.kind) {
    case ErrorKind::kBadInput: return 400;
    case ErrorKind::kNotFound: return 404;
    default: return 500;
  }
}

bool has_suffix(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// A value that would make the library open a file: a path separator, a leading dot or
// tilde, a file suffix the readers take, or a name that exists on the server's disk.
bool names_a_path(const std::string& v) {
  if (v.find('/') != std::string::npos || v.find('\\') != std::string::npos) return true;
  if (!v.empty() && (v[0] == '.' || v[0] == '~')) return true;
  for (std::string_view ext : {".json", ".jsonl", ".onnx", ".gguf", ".safetensors", ".toml", ".csv", ".db", ".prom",
                               ".svg", ".sqlite", ".txt", ".log", ".html"}) {
    if (has_suffix(v, ext)) return true;
  }
  std::error_code ec;
  return !v.empty() && fs::exists(v, ec);
}

// Uploaded files: a private directory, ids the server makes up, the oldest dropped past the limit.
class Uploads {
 public:
  explicit Uploads(size_t max) : max_(max) {}
  ~Uploads() {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }
  Result<Json> add(const std::string& name, const std::string& bytes) {
    std::string ext;
    for (const char* e : kUploadExtensions) {
      if (has_suffix(name, e)) ext = e;
    }
    if (ext.empty()) {
      return bad_input(fmt::format("uploads: name: expected a file ending .json, .onnx, .gguf or .safetensors, got '{}'",
                                   name.substr(0, 80)));
    }
    std::lock_guard<std::mutex> lock(mu_);
    if (dir_.empty()) {
      std::string tmpl = (fs::temp_directory_path() / "flopscope-uploads-XXXXXX").string();
      if (!mkdtemp(tmpl.data())) return failure("uploads: cannot create a private directory for uploads");
      dir_ = tmpl;
    }
    std::string id = fmt::format("u-{:016x}", std::uniform_int_distribution<uint64_t>()(rng_));
    fs::path path = fs::path(dir_) / (id + ext);
    {
      std::ofstream out(path, std::ios::binary);
      out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      if (!out) return failure("uploads: cannot store the file");
    }
    files_[id] = path.string();
    order_.push_back(id);
    while (order_.size() > max_) {
      std::error_code ec;
      fs::remove(files_[order_.front()], ec);
      files_.erase(order_.front());
      order_.pop_front();
    }
    return Json{{"upload", std::string(kUploadPrefix) + id}, {"bytes", bytes.size()}, {"kind", ext.substr(1)}};
  }
  std::optional<std::string> find(const std::string& id) const {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = files_.find(id);
    if (it == files_.end()) return std::nullopt;
    return it->second;
  }

 private:
  size_t max_;
  mutable std::mutex mu_;
  std::string dir_;
  std::map<std::string, std::string> files_;
  std::deque<std::string> order_;
  std::mt19937_64 rng_{std::random_device{}()};
};

}  // namespace

Result<Json> sanitize_options(const Json& options,
                              const std::function<std::optional<std::string>(const std::string&)>& resolve_upload) {
  if (options.is_null()) return Json::object();
  if (!options.is_object()) return options;  // the library names the mistake
  Json out = options;
  for (auto& [key, value] : out.items()) {
    // Options whose value is a document's text, never a name: the library reads nothing from
    // disk for them (budget plan's portfolio, frontier's csv: catalog models only).
    static const std::string_view kTextKeys[] = {"portfolio", "csv"};
    if (std::find(std::begin(kTextKeys), std::end(kTextKeys), key) != std::end(kTextKeys)) continue;
    auto check = [&](Json& v) -> Status {
      if (!v.is_string()) return {};
      std::string s = v.get<std::string>();
      if (s.rfind(kUploadPrefix, 0) == 0) {
        auto path = resolve_upload(s.substr(kUploadPrefix.size()));
        if (!path) return bad_input(fmt::format("{}: unknown upload '{}' (POST /api/v1/uploads first)", key, s));
        v = *path;
        return {};
      }
      if (key == "model" && find_catalog_model(s)) return {};
      // Options whose value is always a file the command reads or writes.
      static const std::string_view kFileKeys[] = {"out", "svg", "db", "trace", "load", "profile", "jobs"};
      bool file_key = std::find(std::begin(kFileKeys), std::end(kFileKeys), key) != std::end(kFileKeys);
      if (file_key || names_a_path(s)) {
        return bad_input(fmt::format("{}: the server reads no file of its own; upload it (POST /api/v1/uploads) "
                                     "and pass the \"upload:...\" it answers, got '{}'", key, s.substr(0, 80)));
      }
      return {};
    };
    if (value.is_array()) {
      for (Json& v : value) {
        if (auto st = check(v); !st) return st.error();
      }
    } else if (auto st = check(value); !st) {
      return st.error();
    }
  }
  return out;
}

Json openapi_document() {
  Json paths = Json::object();
  Json error_schema = {{"type", "object"}, {"properties", {{"error", {{"type", "string"}}}}}, {"required", {"error"}}};
  auto error_responses = [&] {
    return Json{{"400", {{"description", "bad input: the CLI's one-line message"},
                         {"content", {{"application/json", {{"schema", error_schema}}}}}}},
                {"404", {{"description", "unknown command, model or hardware"},
                         {"content", {{"application/json", {{"schema", error_schema}}}}}}},
                {"413", {{"description", "request body too large"}}},
                {"503", {{"description", "too many analyses in flight; retry"}}}};
  };
  for (const api::Endpoint& e : api::endpoints()) {
    Json responses = error_responses();
    responses["200"] = {{"description", fmt::format("the document `flopscope {} --json` prints", e.name)},
                        {"content", {{"application/json", {{"schema", {{"type", "object"}}}}}}}};
    paths[fmt::format("/api/v1/{}", e.name)]["post"] = {
        {"summary", std::string(e.summary)},
        {"operationId", std::string(e.name)},
        {"requestBody",
         {{"description", "the command's options: its long flags with '-' as '_'; MODEL is \"model\" (a catalog "
                          "name, an \"upload:...\" or a config.json object)"},
          {"content", {{"application/json", {{"schema", {{"type", "object"}}}}}}}}},
        {"responses", responses}};
  }
  paths["/api/v1/commands"]["get"] = {{"summary", "every command with its summary"},
                                      {"responses", {{"200", {{"description", "list of {name, summary}"}}}}}};
  paths["/api/v1/models"]["get"] = {{"summary", "the model catalog (the models command)"},
                                    {"responses", {{"200", {{"description", "as flopscope models --json"}}}}}};
  paths["/api/v1/hardware"]["get"] = {{"summary", "the hardware catalog (the hardware command)"},
                                      {"responses", {{"200", {{"description", "as flopscope hardware --json"}}}}}};
  paths["/api/v1/uploads"]["post"] = {
      {"summary", "store a config.json, ONNX, GGUF or safetensors file; pass the answer's upload as model"},
      {"parameters", {{{"name", "name"}, {"in", "query"}, {"required", false}, {"schema", {{"type", "string"}}}}}},
      {"requestBody", {{"content", {{"application/octet-stream", Json::object()}, {"multipart/form-data", Json::object()}}}}},
      {"responses", error_responses()}};
  paths["/api/v1/uploads"]["post"]["responses"]["200"] = {{"description", "{upload, bytes, kind}"}};
  return {{"openapi", "3.0.3"},
          {"info", {{"title", "flopscope"}, {"version", "0.1.0"},
                    {"description", "The same library as the flopscope CLI: each POST answers with the document "
                                    "`flopscope <command> --json` prints."}}},
          {"paths", paths}};
}

struct Server::Impl {
  ServerOptions options;
  httplib::Server http;
  Uploads uploads;
  std::atomic<size_t> in_flight{0};
  std::thread thread;
  int port = 0;

  explicit Impl(const ServerOptions& o) : options(o), uploads(o.uploads_max) {}

  void log(const httplib::Request& req, int status) {
    if (options.log) options.log(fmt::format("{} {} {}", req.method, req.path, status));
  }

  void reply(httplib::Response& res, int status, const Json& body) {
    res.status = status;
    res.set_content(dump(body), "application/json");
  }

  void run_command(const std::string& name, const std::string& body, httplib::Response& res) {
    Json request = Json::object();
    if (!body.empty()) {
      auto parsed = parse_json(body, "request body");
      if (!parsed) return reply(res, 400, error_json(parsed.error().message));
      request = std::move(*parsed);
    }
    auto clean = sanitize_options(request, [this](const std::string& id) { return uploads.find(id); });
    if (!clean) return reply(res, status_for(clean.error()), error_json(clean.error().message));
    if (in_flight.fetch_add(1) >= options.max_pending) {
      in_flight.fetch_sub(1);
      return reply(res, 503, error_json("server busy: too many analyses in flight; retry"));
    }
    auto doc = api::call(name, *clean);
    in_flight.fetch_sub(1);
    if (!doc) return reply(res, status_for(doc.error()), error_json(doc.error().message));
    reply(res, 200, *doc);
  }

  void routes() {
    http.set_payload_max_length(std::max(options.bytes_body_max, options.bytes_upload_max));
    http.set_read_timeout(options.seconds_timeout, 0);
    http.set_write_timeout(options.seconds_timeout, 0);
    http.set_keep_alive_max_count(100);
    size_t threads = std::max<size_t>(1, options.threads);
    http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    http.set_logger([this](const httplib::Request& req, const httplib::Response& res) { log(req, res.status); });
    http.set_exception_handler([this](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
      reply(res, 500, error_json("internal error"));
    });

    // The page and its scripts: routes of the embedded table only, so no URL reaches a file.
    for (const web::Asset& a : web::kAssets) {
      std::string pattern;
      for (char c : a.route) pattern += c == '.' ? std::string("\\.") : std::string(1, c);
      http.Get(pattern, [&a](const httplib::Request&, httplib::Response& res) {
        res.set_content(a.bytes.data(), a.bytes.size(), std::string(a.type).c_str());
        res.set_header("Cache-Control", "no-cache");
        res.set_header("X-Content-Type-Options", "nosniff");
      });
    }
    http.Get("/api/v1/openapi.json", [this](const httplib::Request&, httplib::Response& res) {
      reply(res, 200, openapi_document());
    });
    http.Get("/api/v1/commands", [this](const httplib::Request&, httplib::Response& res) {
      Json list = Json::array();
      for (const api::Endpoint& e : api::endpoints()) list.push_back({{"name", e.name}, {"summary", e.summary}});
      reply(res, 200, list);
    });
    for (const char* catalog : {"models", "hardware"}) {
      http.Get(fmt::format("/api/v1/{}", catalog), [this, catalog](const httplib::Request&, httplib::Response& res) {
        run_command(catalog, "", res);
      });
    }
    http.Post("/api/v1/uploads", [this](const httplib::Request& req, httplib::Response& res) {
      std::string name, bytes;
      if (req.is_multipart_form_data()) {
        if (!req.has_file("file")) return reply(res, 400, error_json("uploads: expected a multipart field named 'file'"));
        const auto& f = req.get_file_value("file");
        name = f.filename;
        bytes = f.content;
      } else {
        name = req.get_param_value("name");
        bytes = req.body;
      }
      if (bytes.size() > options.bytes_upload_max) {
        return reply(res, 413, error_json(fmt::format("uploads: file of {} bytes is over the limit of {} bytes",
                                                      bytes.size(), options.bytes_upload_max)));
      }
      auto stored = uploads.add(name, bytes);
      if (!stored) return reply(res, status_for(stored.error()), error_json(stored.error().message));
      reply(res, 200, *stored);
    });
    http.Post(R"(/api/v1/([a-z0-9/_-]+))", [this](const httplib::Request& req, httplib::Response& res) {
      if (req.body.size() > options.bytes_body_max) {
        return reply(res, 413, error_json(fmt::format("request body of {} bytes is over the limit of {} bytes",
                                                      req.body.size(), options.bytes_body_max)));
      }
      run_command(req.matches[1].str(), req.body, res);
    });
    // Anything else: JSON 404 (API) or the page's 404; never a file from disk.
    http.set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
      if (res.status == 404 && res.body.empty()) reply(res, 404, error_json(fmt::format("no such route: {} {}", req.method, req.path)));
      if (res.status == 413 && res.body.empty()) reply(res, 413, error_json("request body over the limit"));
    });
  }
};

Server::Server(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Server::~Server() { stop(); }

Result<std::unique_ptr<Server>> Server::start(const ServerOptions& options) {
  if (options.port < 0 || options.port > 65535) return bad_input(fmt::format("--port: expected 0..65535, got {}", options.port));
  auto impl = std::make_unique<Impl>(options);
  impl->routes();
  if (options.port == 0) {
    impl->port = impl->http.bind_to_any_port(options.host);
    if (impl->port <= 0) return failure(fmt::format("serve: cannot bind {}", options.host));
  } else {
    if (!impl->http.bind_to_port(options.host, options.port)) {
      return failure(fmt::format("serve: cannot bind {}:{} (in use, or not an address of this machine)", options.host,
                                 options.port));
    }
    impl->port = options.port;
  }
  Impl* raw = impl.get();
  impl->thread = std::thread([raw] { raw->http.listen_after_bind(); });
  return std::unique_ptr<Server>(new Server(std::move(impl)));
}

int Server::port() const { return impl_->port; }

void Server::wait() {
  if (impl_->thread.joinable()) impl_->thread.join();
}

void Server::stop() {
  if (!impl_) return;
  impl_->http.stop();
  if (impl_->thread.joinable()) impl_->thread.join();
}

}  // namespace flopscope::server
