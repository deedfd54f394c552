// The serving, catalog, probe and ledger commands on the library API (api/compress.h,
// simulate.h, capacity.h, autoscale.h, hardware.h, models.h, probe.h, ledger.h): the CLI
// prints exactly the library's document and the library's error line, and what the
// library computes holds.
#include <gtest/gtest.h>

#include "api/cli_check.h"
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "flopscope/api/api.h"
#include "flopscope/api/capacity.h"
#include "flopscope/api/hardware.h"
#include "flopscope/api/ledger.h"
#include "flopscope/api/probe.h"
#include "flopscope/api/simulate.h"
#include "flopscope/hw/hardware.h"
#include "flopscope/plan/price_catalog.h"

namespace flopscope::api {
namespace {

using cli_check::CliCase;
using cli_check::expect_same_document;
using cli_check::expect_same_error;
using cli_check::run_cli;

const std::string kData = FLOPSCOPE_TEST_DATA;

// A ledger with billing, telemetry and progress imported, in a folder of its own.
std::string test_ledger() {
  static const std::string db = [] {
    auto dir = std::filesystem::path(testing::TempDir()) / ("serve_api_ledger_" + std::to_string(getpid()));
    std::filesystem::create_directories(dir);
    std::string path = (dir / "spend.db").string();
    std::filesystem::remove(path);
    const std::string l = kData + "/ledger/";
    int status = -1;
    run_cli("ledger import --db " + path + " " + l + "focus_small.csv " + l + "progress.jsonl", &status);
    run_cli("ledger import --db " + path + " --job llama-8b-pt --host node-1 " + l + "nvidia_smi.csv", &status);
    return path;
  }();
  return db;
}

// ------------------------------------------------------------------ CLI = library, JSON

TEST(ServeApi, CompressCliJsonEqualsTheLibrary) {
  expect_same_document({"compress", "compress llama-3.1-8b --hardware h100-sxm --schemes bf16,w8a8-fp8 --batch 8",
                        {{"model", "llama-3.1-8b"}, {"hardware", "h100-sxm"}, {"schemes", {"bf16", "w8a8-fp8"}}, {"batch", 8}}});
  // The CLI's comma list works as one string too.
  expect_same_document({"compress", "compress llama-3.1-8b --hardware h100-sxm --schemes bf16,sparse-2:4 --prune-layers 4",
                        {{"model", "llama-3.1-8b"}, {"hardware", "h100-sxm"}, {"schemes", "bf16,sparse-2:4"}, {"prune_layers", 4}}});
}

TEST(ServeApi, SimulateCliJsonEqualsTheLibrary) {
  expect_same_document({"simulate", "simulate llama-3.1-8b --hardware h100-sxm --rate 5 --requests 100 --prompt 512 --output 64",
                        {{"model", "llama-3.1-8b"}, {"hardware", "h100-sxm"}, {"rate", 5}, {"requests", 100},
                         {"prompt", "512"}, {"output", "64"}}});
  expect_same_document({"simulate", "simulate llama-3.1-8b --hardware h100-sxm --trace " + kData + "/serving/trace.jsonl --max-running 8",
                        {{"model", "llama-3.1-8b"}, {"hardware", "h100-sxm"}, {"trace", kData + "/serving/trace.jsonl"},
                         {"max_running", 8}}});
}

TEST(ServeApi, CapacityCliJsonEqualsTheLibrary) {
  expect_same_document({"capacity", "capacity llama-3.1-8b --hardware h100-sxm --prompt 1024 --output 128 --slo-ttft-p95 0.5 "
                                    "--slo-itl-p95 0.03 --rate 20 --requests 100",
                        {{"model", "llama-3.1-8b"}, {"hardware", "h100-sxm"}, {"prompt", "1024"}, {"output", "128"},
                         {"slo_ttft_p95", 0.5}, {"slo_itl_p95", 0.03}, {"rate", 20}, {"requests", 100}}});
}

TEST(ServeApi, AutoscaleCliJsonEqualsTheLibrary) {
  const std::string load = kData + "/serving/day_load.csv";
  expect_same_document({"autoscale", "autoscale llama-3.1-8b --hardware h100-sxm --load " + load +
                                         " --prompt 512 --output 64 --slo-ttft-p95 0.5 --slo-itl-p95 0.03 --requests 100 "
                                         "--policy static-peak,queue-depth --cooldown 600",
                        {{"model", "llama-3.1-8b"}, {"hardware", "h100-sxm"}, {"load", load}, {"prompt", "512"},
                         {"output", "64"}, {"slo_ttft_p95", 0.5}, {"slo_itl_p95", 0.03}, {"requests", 100},
                         {"policy", "static-peak,queue-depth"}, {"cooldown", 600}}});
}

TEST(ServeApi, HardwareCliJsonEqualsTheLibrary) {
  expect_same_document({"hardware", "hardware", Json::object()});
  expect_same_document({"hardware", "hardware --prices", {{"prices", true}}});
  expect_same_document({"hardware", "hardware h100", {{"id", "h100"}}});
  expect_same_document({"hardware", "hardware --systems", {{"systems", true}}});
}

TEST(ServeApi, ModelsCliJsonEqualsTheLibrary) { expect_same_document({"models", "models", Json::object()}); }

TEST(ServeApi, LedgerCliJsonEqualsTheLibrary) {
  const std::string db = test_ledger();
  const std::string jobs = kData + "/ledger/jobs.toml";
  expect_same_document({"ledger/report", "ledger report --db " + db + " --jobs " + jobs + " --period day --cap 2000",
                        {{"db", db}, {"jobs", jobs}, {"period", "day"}, {"cap", 2000}}});
  // A rule fires: the CLI exits 1 and prints the same findings.
  int status = -1;
  std::string out = run_cli("ledger check --db " + db + " --jobs " + jobs + " --idle-hours 0", &status);
  EXPECT_EQ(WEXITSTATUS(status), 1);
  auto lib = call("ledger/check", {{"db", db}, {"jobs", jobs}, {"idle_hours", 0}});
  ASSERT_TRUE(lib) << lib.error().message;
  EXPECT_EQ(Json::parse(out), *lib);
  EXPECT_FALSE(lib->at("findings").empty()) << lib->dump(1);
}

// The probe measures this machine, so two runs differ in their figures: they must agree in
// everything else (which figures, which devices, the profile's fields).
TEST(ServeApi, ProbeCliJsonHasTheLibrarysShape) {
  int status = -1;
  std::string out = run_cli("probe --quick --cpu-only", &status);
  ASSERT_EQ(status, 0);
  Json cli = Json::parse(out);
  auto lib = call("probe", {{"quick", true}, {"cpu_only", true}});
  ASSERT_TRUE(lib) << lib.error().message;
  EXPECT_EQ(cli["gpu_status"], (*lib)["gpu_status"]);
  EXPECT_EQ(cli["profile_device"], (*lib)["profile_device"]);
  ASSERT_EQ(cli["devices"].size(), (*lib)["devices"].size());
  for (size_t i = 0; i < cli["devices"].size(); ++i) {
    const Json& a = cli["devices"][i];
    const Json& b = (*lib)["devices"][i];
    EXPECT_EQ(a["kind"], b["kind"]);
    EXPECT_EQ(a["hardware_id"], b["hardware_id"]);
    ASSERT_EQ(a["figures"].size(), b["figures"].size());
    for (size_t f = 0; f < a["figures"].size(); ++f) EXPECT_EQ(a["figures"][f]["name"], b["figures"][f]["name"]);
    std::set<std::string> ka, kb;
    for (const auto& [k, v] : a["profile"].items()) ka.insert(k);
    for (const auto& [k, v] : b["profile"].items()) kb.insert(k);
    EXPECT_EQ(ka, kb);
  }
}

// ------------------------------------------------------------ CLI = library, error lines

TEST(ServeApi, CliErrorsEqualTheLibraryErrors) {
  const std::string load = kData + "/serving/day_load.csv";
  std::vector<CliCase> cases = {
      {"compress", "compress llama-3.1-8b --hardware h100-sxm --schemes bf16,w8a8-fp9",
       {{"model", "llama-3.1-8b"}, {"hardware", "h100-sxm"}, {"schemes", "bf16,w8a8-fp9"}}},
      {"compress", "compress llama-3.1-8b --hardware h10", {{"model", "llama-3.1-8b"}, {"hardware", "h10"}}},
      {"simulate", "simulate llama-3.1-8b --hardware h100-sxm --prompt 512 --output 64",
       {{"model", "llama-3.1-8b"}, {"hardware", "h100-sxm"}, {"prompt", "512"}, {"output", "64"}}},
      {"simulate", "simulate llama-3.1-8b --hardware h100-sxm --rate 0 --prompt 512 --output 64",
       {{"model", "llama-3.1-8b"}, {"hardware", "h100-sxm"}, {"rate", "0"}, {"prompt", "512"}, {"output", "64"}}},
      {"simulate", "simulate llama-3.1-8b --hardware h100-sxm --rate 1 --prompt=-5 --output 64",
       {{"model", "llama-3.1-8b"}, {"hardware", "h100-sxm"}, {"rate", 1}, {"prompt", "-5"}, {"output", "64"}}},
      {"simulate", "simulate llama-3.1-70b --hardware h100-sxm --rate 1 --prompt 5 --output 6 --tp 3",
       {{"model", "llama-3.1-70b"}, {"hardware", "h100-sxm"}, {"rate", 1}, {"prompt", "5"}, {"output", "6"}, {"tp", 3}}},
      {"simulate", "simulate llama-3.1-8b --hardware h100-sxm --rate 1 --prompt 5 --output 6 --decode-attention xqa",
       {{"model", "llama-3.1-8b"}, {"hardware", "h100-sxm"}, {"rate", 1}, {"prompt", "5"}, {"output", "6"},
        {"decode_attention", "xqa"}}},
      {"capacity", "capacity llama-3.1-8b --hardware h100-sxm --slo-ttft-p95 0.5 --slo-itl-p95 0.03",
       {{"model", "llama-3.1-8b"}, {"hardware", "h100-sxm"}, {"slo_ttft_p95", 0.5}, {"slo_itl_p95", 0.03}}},
      {"capacity", "capacity llama-3.1-8b --hardware h100-sxm --prompt 1024 --output 256 --slo-ttft-p95 0 --slo-itl-p95 0.03",
       {{"model", "llama-3.1-8b"}, {"hardware", "h100-sxm"}, {"prompt", "1024"}, {"output", "256"},
        {"slo_ttft_p95", 0}, {"slo_itl_p95", 0.03}}},
      {"autoscale", "autoscale llama-3.1-8b --hardware h100-sxm --load " + load +
                        " --prompt 512 --output 64 --slo-ttft-p95 0.5 --slo-itl-p95 0.03 --policy queue-dept",
       {{"model", "llama-3.1-8b"}, {"hardware", "h100-sxm"}, {"load", load}, {"prompt", "512"}, {"output", "64"},
        {"slo_ttft_p95", 0.5}, {"slo_itl_p95", 0.03}, {"policy", "queue-dept"}}},
      {"autoscale", "autoscale llama-3.1-8b --hardware h100-sxm --load " + load +
                        " --prompt 512 --output 64 --slo-ttft-p95 0.5 --slo-itl-p95 0.03 --step 0",
       {{"model", "llama-3.1-8b"}, {"hardware", "h100-sxm"}, {"load", load}, {"prompt", "512"}, {"output", "64"},
        {"slo_ttft_p95", 0.5}, {"slo_itl_p95", 0.03}, {"step", 0}}},
      {"hardware", "hardware h10", {{"id", "h10"}}},
      {"probe", "probe --cpu-only --hardware h10", {{"cpu_only", true}, {"hardware", "h10"}}},
      {"probe", "probe --cpu-only --python-limit 0", {{"cpu_only", true}, {"python_limit", 0}}},
      {"ledger/report", "ledger report --db /no/such/spend.db", {{"db", "/no/such/spend.db"}}},
      {"ledger/report", "ledger report --db /no/such/spend.db --period week", {{"db", "/no/such/spend.db"}, {"period", "week"}}},
      {"ledger/check", "ledger check --db /no/such/spend.db --mfu-ratio 0", {{"db", "/no/such/spend.db"}, {"mfu_ratio", 0}}},
  };
  for (const CliCase& c : cases) expect_same_error(c);
}

TEST(ServeApi, TheJsonFormRefusesUnknownKeys) {
  auto m = call("models", {{"json", true}, {"sort", "name"}});
  ASSERT_FALSE(m);
  EXPECT_EQ(m.error().kind, ErrorKind::kBadInput);
  auto s = call("simulate", {{"model", "llama-3.1-8b"}, {"hardware", "h100-sxm"}, {"rates", 5}});
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message, "simulate: unknown option 'rates', did you mean 'rate'?");
  auto seed = call("simulate", {{"model", "llama-3.1-8b"}, {"hardware", "h100-sxm"}, {"rate", 5}, {"seed", -1}});
  ASSERT_FALSE(seed);
  EXPECT_EQ(seed.error().kind, ErrorKind::kBadInput);
}

// ----------------------------------------------------------------- what the library computes

// capacity --compare: more tensor parallelism on the same GPU, then priced catalog GPUs
// with at least the memory and more bandwidth.
TEST(ServeApi, ScaleUpCandidatesAreBiggerPricedGpus) {
  const Hardware* h100 = *HardwareCatalog::builtin().find("h100-sxm");
  auto c = scale_up_candidates(*h100, 1);
  ASSERT_GE(c.size(), 4u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(c[i].kind, "scale-up-tp");
    EXPECT_EQ(c[i].hardware, "h100-sxm");
  }
  EXPECT_EQ(c[0].tp, 2);
  EXPECT_EQ(c[1].tp, 4);
  EXPECT_EQ(c[2].tp, 8);
  bool any_gpu = false;
  for (size_t i = 3; i < c.size(); ++i) {
    any_gpu = true;
    EXPECT_EQ(c[i].kind, "scale-up-gpu");
    EXPECT_EQ(c[i].tp, 1);
    const Hardware* h = *HardwareCatalog::builtin().find(c[i].hardware);
    EXPECT_NE(h->id, "h100-sxm");
    EXPECT_EQ(h->kind, "gpu");
    EXPECT_GE(h->bytes_memory, h100->bytes_memory) << h->id;
    EXPECT_GT(h->bytes_per_second_memory, h100->bytes_per_second_memory) << h->id;
    EXPECT_NE(PriceCatalog::builtin().cheapest_on_demand(h->id), nullptr) << h->id;
  }
  EXPECT_TRUE(any_gpu) << "the catalog holds priced GPUs above the H100 (H200, B200)";
  // Already at tp 4: only tp 8 is a scale-up; nothing above tp 8.
  auto at4 = scale_up_candidates(*h100, 4);
  ASSERT_FALSE(at4.empty());
  EXPECT_EQ(at4[0].tp, 8);
  EXPECT_NE(at4[1].kind, "scale-up-tp");
  for (const auto& x : scale_up_candidates(*h100, 8)) EXPECT_EQ(x.kind, "scale-up-gpu");
}

TEST(ServeApi, CapacityCompareReportsEachCandidate) {
  auto j = call("capacity", {{"model", "llama-3.1-8b"}, {"hardware", "h100-sxm"}, {"prompt", "1024"}, {"output", "256"},
                             {"slo_ttft_p95", 0.5}, {"slo_itl_p95", 0.03}, {"rate", 40}, {"requests", 60}, {"compare", true}});
  ASSERT_TRUE(j) << j.error().message;
  const Json& compare = (*j)["compare"];
  ASSERT_GE(compare.size(), 4u);
  EXPECT_EQ(compare[0]["kind"], "baseline");
  EXPECT_EQ(compare[0], (*j)["scale_out"]);
  int gpus = 0;
  for (const Json& c : compare) {
    if (c["kind"] == "scale-up-gpu") ++gpus;
    if (c["meets_slo"] == true) {
      // The replicas serve the traffic: replicas x max rate >= 40 requests/s, one fewer would not.
      const double per = c["max_rate_per_replica"].get<double>();
      const int64_t replicas = c["replicas"].get<int64_t>();
      EXPECT_GE(static_cast<double>(replicas) * per, 40 - 1e-6) << c.dump();
      EXPECT_LT(static_cast<double>(replicas - 1) * per, 40) << c.dump();
      EXPECT_EQ(c["devices"].get<int64_t>(), replicas * c["tp"].get<int64_t>());
    }
  }
  EXPECT_LE(gpus, 3);
}

TEST(ServeApi, SimulateTextAndJsonComeFromOneCall) {
  SimulateOptions o;
  o.serving.model = "llama-3.1-8b";
  o.serving.hardware = "h100-sxm";
  o.serving.prompt = "256";
  o.serving.output = "32";
  o.concurrency = 4;
  o.requests = 40;
  std::vector<std::string> told;
  o.progress = [&told](const std::string& s) { told.push_back(s); };
  auto j = simulate(o, Render{});
  ASSERT_TRUE(j) << j.error().message;
  EXPECT_EQ(j->json["requests"], 40);
  EXPECT_EQ(j->json["load"], "closed-loop");
  EXPECT_EQ(j->json["concurrency"], 4);
  EXPECT_EQ(told, std::vector<std::string>{"running the engine"});
  // Little's law: mean in system = throughput x mean time in system.
  const double in_system = j->json["littles_law"]["mean_in_system"];
  const double product = j->json["littles_law"]["throughput_x_mean_e2e"];
  EXPECT_NEAR(in_system, product, 0.1 * product);
  auto t = simulate(o, Render{false, false});
  ASSERT_TRUE(t);
  EXPECT_NE(t->text.find("time to first token"), std::string::npos) << t->text;
  EXPECT_NE(t->text.find("Little's law"), std::string::npos) << t->text;
}

TEST(ServeApi, HardwareTextIsATable) {
  auto t = hardware(HardwareOptions{}, Render{false, false});
  ASSERT_TRUE(t);
  EXPECT_EQ(t->text.rfind("ID ", 0), 0u) << t->text.substr(0, 200);
  EXPECT_NE(t->text.find("\n----"), std::string::npos);
  EXPECT_NE(t->text.find("h100-sxm"), std::string::npos);
  auto s = hardware(HardwareOptions{"", false, true}, Render{false, false});
  ASSERT_TRUE(s);
  EXPECT_NE(s->text.find("dgx-h100"), std::string::npos);
}

// The probe's report of a fixed profile: figures against the catalog peak, and the GEMM samples.
TEST(ServeApi, ProbeRendersAFixedProfile) {
  const Hardware* h100 = *HardwareCatalog::builtin().find("h100-sxm");
  ProbeDevice d;
  d.kind = "gpu";
  d.hw = h100;
  d.profile.device_name = "NVIDIA H100 80GB HBM3";
  d.profile.hardware_id = "h100-sxm";
  d.profile.bytes_per_second_copy = 0.5 * h100->bytes_per_second_memory;
  GemmSample g;
  g.dtype = DType::kBF16;
  g.m = g.n = g.k = 4096;
  g.flops_per_second = 0.75 * h100->peak(DType::kBF16);
  g.seconds = 2.0 * 4096.0 * 4096.0 * 4096.0 / g.flops_per_second;
  d.profile.gemm.push_back(g);
  ProbeRun run;
  run.devices.push_back(d);
  run.gpu_missing.reset();
  Output j = render_probe(run, Render{});
  EXPECT_EQ(j.json["gpu_status"], "measured");
  EXPECT_EQ(j.json["profile_device"], "gpu");
  const Json& dev = j.json["devices"][0];
  EXPECT_EQ(dev["hardware_id"], "h100-sxm");
  bool found_copy = false;
  for (const Json& f : dev["figures"]) {
    if (f["measured"] == d.profile.bytes_per_second_copy && f["peak"].is_number()) {
      EXPECT_NEAR(f["fraction_of_peak"].get<double>(), 0.5, 1e-9) << f.dump();
      found_copy = true;
    }
  }
  EXPECT_TRUE(found_copy) << dev["figures"].dump(1);
  EXPECT_EQ(dev["profile"]["gemm"][0]["m"], 4096);
  Output t = render_probe(run, Render{false, false});
  EXPECT_NE(t.text.find("GPU: NVIDIA H100 80GB HBM3  catalog 'h100-sxm'"), std::string::npos) << t.text;
  EXPECT_NE(t.text.find("GEMM samples"), std::string::npos) << t.text;
  EXPECT_NE(t.text.find("75.0%"), std::string::npos) << t.text;
  EXPECT_NE(t.text.find("50.0%"), std::string::npos) << t.text;
}

TEST(ServeApi, LedgerCheckIsCleanUnderLooseRules) {
  const std::string db = test_ledger();
  LedgerCheckOptions o;
  o.report.db = db;
  o.idle_hours = 1e6;
  o.mfu_ratio = 1e-9;
  auto r = ledger_check_findings(o, Render{false, false});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->clean) << r->output.text;
  EXPECT_EQ(r->output.text, "ledger check: clean (no rule fired)\n");
  o.idle_hours = 0;
  auto fired = ledger_check_findings(o, Render{false, false});
  ASSERT_TRUE(fired);
  EXPECT_FALSE(fired->clean);
  EXPECT_NE(fired->output.text.find("idle-gpu: "), std::string::npos) << fired->output.text;
}

}  // namespace
}  // namespace flopscope::api
