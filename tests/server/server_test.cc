// flopscope serve over real HTTP on loopback (apps/server/server.h): the same documents and
// error lines as the library and the CLI, limits, uploads, no file of the server's reachable,
// and a bounded load test.
#include "server.h"
#include "web_assets.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <thread>
#include <vector>

namespace flopscope::server {
namespace {

using api::Json;
const std::string kData = FLOPSCOPE_TEST_DATA;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions o;
    o.port = 0;
    o.bytes_body_max = 64 << 10;
    o.bytes_upload_max = 1 << 20;
    o.uploads_max = 2;
    auto s = Server::start(o);
    ASSERT_TRUE(s) << s.error().message;
    server_ = std::move(*s);
  }
  void TearDown() override {
    if (server_) server_->stop();
  }
  httplib::Client client() {
    httplib::Client c("127.0.0.1", server_->port());
    c.set_read_timeout(60, 0);
    return c;
  }
  httplib::Result post(const std::string& path, const std::string& body) {
    auto c = client();
    return c.Post(path.c_str(), body, "application/json");
  }
  std::unique_ptr<Server> server_;
};

TEST_F(ServerTest, AnswersWithTheLibraryDocumentByteForByte) {
  Json options = {{"model", "llama-3.1-8b"}, {"batch", 2}, {"seq", 512}};
  auto r = post("/api/v1/count", options.dump());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->get_header_value("Content-Type"), "application/json");
  auto lib = api::call("count", options);
  ASSERT_TRUE(lib);
  // What `flopscope count ... --json` prints: two-space indent and a newline.
  EXPECT_EQ(r->body, lib->dump(2) + "\n");
}

TEST_F(ServerTest, TheCliPrintsTheSameDocument) {
  std::string cmd = std::string(FLOPSCOPE_CLI) + " count mixtral-8x7b --batch 4 --json";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  ASSERT_EQ(pclose(p), 0);
  auto r = post("/api/v1/count", R"({"model": "mixtral-8x7b", "batch": 4})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, out);
}

TEST_F(ServerTest, MistakesAreJsonWithTheCliLineAnd4xx) {
  auto bad_json = post("/api/v1/count", "{\"model\": ");
  ASSERT_TRUE(bad_json);
  EXPECT_EQ(bad_json->status, 400);
  EXPECT_NE(Json::parse(bad_json->body)["error"].get<std::string>().find("request body"), std::string::npos);

  auto wrong_type = post("/api/v1/count", R"({"model": "llama-3.1-8b", "batch": "8"})");
  ASSERT_TRUE(wrong_type);
  EXPECT_EQ(wrong_type->status, 400);
  EXPECT_EQ(Json::parse(wrong_type->body)["error"], "count: batch: expected an integer, got string \"8\"");

  auto zero = post("/api/v1/count", R"({"model": "llama-3.1-8b", "batch": 0})");
  ASSERT_TRUE(zero);
  EXPECT_EQ(zero->status, 400);
  EXPECT_EQ(Json::parse(zero->body)["error"], "--batch: expected a positive integer, got 0");

  auto unknown = post("/api/v1/cuont", "{}");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 404);
  EXPECT_EQ(Json::parse(unknown->body)["error"], "unknown command 'cuont', did you mean 'count'?");

  auto not_object = post("/api/v1/count", "[1, 2]");
  ASSERT_TRUE(not_object);
  EXPECT_EQ(not_object->status, 400);

  auto c = client();
  auto route = c.Get("/nowhere");
  ASSERT_TRUE(route);
  EXPECT_EQ(route->status, 404);
  EXPECT_TRUE(Json::parse(route->body).contains("error"));
}

TEST_F(ServerTest, BodiesOverTheLimitAre413) {
  std::string big = R"({"model": "llama-3.1-8b", "pad": ")" + std::string(100 << 10, 'x') + "\"}";
  auto r = post("/api/v1/count", big);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
}

TEST_F(ServerTest, NoFileOfTheServerIsReachable) {
  // A bare name that exists in the server's working directory counts as a path too.
  const std::string local = "flopscope-server-test-local-file";
  std::ofstream(local) << "secret";
  for (std::string model : {std::string("/etc/passwd"), std::string("../../etc/passwd"), std::string("./config.json"),
                            std::string("~/.ssh/id_rsa"), local}) {
    Json options = {{"model", model}};
    auto r = post("/api/v1/count", options.dump());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 400) << model;
    EXPECT_NE(r->body.find("reads no file of its own"), std::string::npos) << model << ": " << r->body;
  }
  std::remove(local.c_str());
  auto c = client();
  for (const char* path : {"/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/index.html/../../../etc/passwd"}) {
    auto r = c.Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_NE(r->status, 200) << path;
    EXPECT_EQ(r->body.find("root:"), std::string::npos) << path;
  }
}

TEST_F(ServerTest, AnUploadedConfigCountsAsTheFile) {
  const std::string path = kData + "/configs/Qwen__Qwen2.5-7B.json";
  auto c = client();
  auto up = c.Post("/api/v1/uploads?name=config.json", read_file(path), "application/octet-stream");
  ASSERT_TRUE(up);
  ASSERT_EQ(up->status, 200) << up->body;
  Json stored = Json::parse(up->body);
  std::string id = stored["upload"];
  EXPECT_EQ(id.rfind("upload:u-", 0), 0u);
  auto r = post("/api/v1/count", Json{{"model", id}}.dump());
  ASSERT_TRUE(r);
  ASSERT_EQ(r->status, 200) << r->body;
  auto lib = api::call("count", {{"model", path}});
  ASSERT_TRUE(lib);
  EXPECT_EQ(Json::parse(r->body)["params"], (*lib)["params"]);

  auto unknown = post("/api/v1/count", R"({"model": "upload:u-0000000000000000"})");
  ASSERT_TRUE(unknown);
  EXPECT_EQ(unknown->status, 400);
  auto bad_name = c.Post("/api/v1/uploads?name=evil.sh", "#!/bin/sh", "application/octet-stream");
  ASSERT_TRUE(bad_name);
  EXPECT_EQ(bad_name->status, 400);
  auto too_big = c.Post("/api/v1/uploads?name=x.onnx", std::string((1 << 20) + 1, 'x'), "application/octet-stream");
  ASSERT_TRUE(too_big);
  EXPECT_EQ(too_big->status, 413);
}

TEST_F(ServerTest, ServesThePageAndTheApiDescription) {
  auto c = client();
  auto page = c.Get("/");
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200);
  EXPECT_NE(page->body.find("<title>flopscope</title>"), std::string::npos);
  auto spec = c.Get("/api/v1/openapi.json");
  ASSERT_TRUE(spec);
  ASSERT_EQ(spec->status, 200);
  Json doc = Json::parse(spec->body);
  EXPECT_EQ(doc["openapi"], "3.0.3");
  for (const api::Endpoint& e : api::endpoints()) {
    EXPECT_TRUE(doc["paths"].contains("/api/v1/" + std::string(e.name))) << e.name;
  }
  for (const char* catalog : {"models", "hardware"}) {
    auto r = c.Get((std::string("/api/v1/") + catalog).c_str());
    ASSERT_TRUE(r) << catalog;
    ASSERT_EQ(r->status, 200) << catalog;
    auto lib = api::call(catalog, Json::object());
    ASSERT_TRUE(lib) << catalog;
    EXPECT_EQ(r->body, lib->dump(2) + "\n") << catalog;
  }
  auto commands = c.Get("/api/v1/commands");
  ASSERT_TRUE(commands);
  EXPECT_EQ(Json::parse(commands->body).size(), api::endpoints().size());
}

long resident_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6));
  }
  return 0;
}

// 8 clients x 40 requests at once against 4 workers: every request answered 200, and the
// resident memory after a second round is within 16 MiB of after the first (no growth per
// request once warm).
TEST_F(ServerTest, LoadOnLoopbackStaysBoundedAndNothingFails) {
  auto round = [&] {
    std::atomic<int> ok{0}, failed{0};
    std::vector<std::thread> clients;
    for (int t = 0; t < 8; ++t) {
      clients.emplace_back([&, t] {
        httplib::Client c("127.0.0.1", server_->port());
        c.set_read_timeout(60, 0);
        for (int i = 0; i < 40; ++i) {
          Json o = {{"model", "llama-3.1-8b"}, {"batch", 1 + (t + i) % 8}};
          auto r = c.Post("/api/v1/count", o.dump(), "application/json");
          if (r && r->status == 200) ++ok; else ++failed;
        }
      });
    }
    for (auto& c : clients) c.join();
    EXPECT_EQ(failed.load(), 0);
    EXPECT_EQ(ok.load(), 320);
  };
  round();
  long after_first = resident_kib();
  round();
  long after_second = resident_kib();
  EXPECT_LT(after_second - after_first, 16 * 1024) << after_first << " KiB -> " << after_second << " KiB";
}

// The page's scripts are the embedded table's routes and nothing else; uPlot is there
// exactly when the build found it (web_assets.h, kHaveCharts).
TEST_F(ServerTest, ServesTheEmbeddedScriptsOnly) {
  auto c = client();
  auto js = c.Get("/static/app.js");
  ASSERT_TRUE(js);
  EXPECT_EQ(js->status, 200);
  EXPECT_EQ(js->get_header_value("Content-Type"), "text/javascript; charset=utf-8");
  EXPECT_NE(js->body.find("api(c.command, c.options)"), std::string::npos);
  auto page = c.Get("/");
  ASSERT_TRUE(page);
  EXPECT_NE(page->body.find("/static/app.js"), std::string::npos);
  auto uplot = c.Get("/static/uPlot.iife.min.js");
  ASSERT_TRUE(uplot);
  EXPECT_EQ(uplot->status, web::kHaveCharts ? 200 : 404);
  if (web::kHaveCharts) {
    EXPECT_NE(uplot->body.find("uPlot"), std::string::npos);
  }
  for (const char* path : {"/static/", "/static/app.jsx", "/static/../server.cc", "/static/app.js/../../CMakeLists.txt",
                           "/static/appxjs", "/static/%2e%2e/web/index.html"}) {
    auto r = c.Get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_NE(r->status, 200) << path;
  }
}

// The roofline view's fields (predict's top_ops and roofline): each op's intensity and
// achieved FLOP/s, and the catalog's peak and bandwidth for the dtype.
TEST_F(ServerTest, PredictPlacesEachOpOnTheRoofline) {
  auto hw = client().Get("/api/v1/hardware");
  ASSERT_TRUE(hw);
  Json h100, catalog = Json::parse(hw->body);
  for (const Json& h : catalog["hardware"]) {
    if (h["id"] == "h100-sxm") h100 = h;
  }
  ASSERT_TRUE(h100.is_object());
  for (const char* dtype : {"bf16", "fp8"}) {
    auto r = post("/api/v1/predict/decode",
                  Json{{"model", "llama-3.1-8b"}, {"hardware", "h100-sxm"}, {"context", 2048}, {"batch", 8},
                       {"dtype", dtype}, {"top", 30}}.dump());
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    Json doc = Json::parse(r->body);
    const Json& roof = doc["roofline"];
    EXPECT_EQ(roof["flops_per_second_peak"].get<double>(), h100[std::string("flops_peak_") + dtype].get<double>());
    EXPECT_EQ(roof["bytes_per_second_memory"].get<double>(), h100["bytes_per_second_memory"].get<double>());
    EXPECT_DOUBLE_EQ(roof["intensity_ridge"].get<double>(),
                     roof["flops_per_second_peak"].get<double>() / roof["bytes_per_second_memory"].get<double>());
    ASSERT_GE(doc["top_ops"].size(), 10u);
    size_t placed = 0;
    for (const Json& op : doc["top_ops"]) {
      const double flops = op["flops"], bytes = op["bytes"], seconds = op["seconds"];
      if (bytes > 0) {
        EXPECT_DOUBLE_EQ(op["intensity"].get<double>(), flops / bytes) << op["name"];
      } else {
        EXPECT_TRUE(op["intensity"].is_null()) << op["name"];
      }
      ASSERT_GT(seconds, 0) << op["name"];
      EXPECT_DOUBLE_EQ(op["flops_per_second"].get<double>(), flops / seconds) << op["name"];
      // No op runs above either roof.
      EXPECT_LE(op["flops_per_second"].get<double>(), roof["flops_per_second_peak"].get<double>()) << op["name"];
      if (bytes > 0) {
        EXPECT_LE(op["flops_per_second"].get<double>(),
                  op["intensity"].get<double>() * roof["bytes_per_second_memory"].get<double>() * (1 + 1e-9))
            << op["name"];
        ++placed;
      }
    }
    EXPECT_GE(placed, 5u);
  }
}

// budget plan and frontier take their document as text over HTTP: it passes through (it may
// hold "/" in a comment or an HF id), and the library refuses a path named inside it.
TEST_F(ServerTest, TakesAPortfolioAndACsvAsText) {
  const std::string text = read_file(kData + "/budget/reserved.toml");
  auto r = post("/api/v1/budget/plan", Json{{"portfolio", "# a/b\n" + text}}.dump());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200) << r->body;
  auto lib = api::call("budget/plan", {{"portfolio", "# a/b\n" + text}});
  ASSERT_TRUE(lib) << lib.error().message;
  EXPECT_EQ(r->body, lib->dump(2) + "\n");
  std::string with_path = text;
  with_path.replace(with_path.find("\"gpt2\""), 6, "\"/etc/passwd\"");
  r = post("/api/v1/budget/plan", Json{{"portfolio", with_path}}.dump());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(Json::parse(r->body)["error"].get<std::string>().find("catalog models only"), std::string::npos) << r->body;
  r = post("/api/v1/frontier", Json{{"csv", "model,tokens,score\n/etc/passwd,1e12,0.5\n"}}.dump());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(Json::parse(r->body)["error"].get<std::string>().find("catalog models only"), std::string::npos) << r->body;
  r = post("/api/v1/budget/plan", Json{{"file", kData + "/budget/reserved.toml"}}.dump());
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);  // a file name is still refused
}

TEST(SanitizeOptions, ReplacesUploadsAndRefusesPaths) {
  auto resolve = [](const std::string& id) -> std::optional<std::string> {
    if (id == "u-1") return std::string("/tmp/private/u-1.json");
    return std::nullopt;
  };
  auto ok = sanitize_options({{"model", "upload:u-1"}, {"hardware", "h100-sxm"}}, resolve);
  ASSERT_TRUE(ok);
  EXPECT_EQ((*ok)["model"], "/tmp/private/u-1.json");
  EXPECT_TRUE(sanitize_options({{"model", "meta-llama/Llama-3.1-8B"}}, resolve));  // a catalog HF id
  EXPECT_TRUE(sanitize_options({{"model", {{"model_type", "llama"}}}}, resolve));   // a config object
  EXPECT_FALSE(sanitize_options({{"profile", "/etc/shadow"}}, resolve));
  EXPECT_FALSE(sanitize_options({{"trace", "trace.csv"}}, resolve));
  EXPECT_FALSE(sanitize_options({{"svg", "timeline"}}, resolve));  // a file it would write
  EXPECT_FALSE(sanitize_options({{"out", "x"}}, resolve));
  EXPECT_FALSE(sanitize_options({{"dim", {"batch=1", "../x"}}}, resolve));
  EXPECT_FALSE(sanitize_options({{"model", "upload:u-2"}}, resolve));
  // A document's text is not a name: it passes as it is.
  auto text = sanitize_options({{"portfolio", "model = \"../x\""}, {"csv", "model\n/etc/x\n"}}, resolve);
  ASSERT_TRUE(text);
  EXPECT_EQ((*text)["portfolio"], "model = \"../x\"");
}

}  // namespace
}  // namespace flopscope::server
