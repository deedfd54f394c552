#include "flopscope/probe/torch_probe.h"

#include <gtest/gtest.h>

#include <string>

#include "flopscope/data/embedded.h"

namespace flopscope::probe {
namespace {

const char* kGood = R"js({"torch": "2.11.0+cu130", "device_name": "NVIDIA H200", "attention": [
  {"batch": 2, "heads": 32, "seq": 4096, "head_dim": 128, "causal": false, "backward": false, "seconds": 0.0009245},
  {"batch": 2, "heads": 32, "seq": 4096, "head_dim": 128, "causal": true, "backward": true, "seconds": 0.001948}],
  "kernels_per_layer": 17, "seconds_host_eager": 7.5e-06})js";

TEST(TorchProbe, ParsesTheScriptsOutput) {
  auto r = parse_torch_probe_output(kGood);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->torch_version, "2.11.0+cu130");
  EXPECT_EQ(r->device_name, "NVIDIA H200");
  ASSERT_EQ(r->attention.size(), 2u);
  EXPECT_EQ(r->attention[0].seq, 4096);
  EXPECT_FALSE(r->attention[0].causal);
  EXPECT_TRUE(r->attention[1].causal);
  EXPECT_TRUE(r->attention[1].backward);
  EXPECT_DOUBLE_EQ(r->attention[1].seconds, 0.001948);
  EXPECT_DOUBLE_EQ(r->seconds_host_eager, 7.5e-06);
  EXPECT_EQ(r->kernels_per_layer, 17);
}

TEST(TorchProbe, ScriptErrorIsNotFoundWithItsReason) {
  auto r = parse_torch_probe_output(R"js({"error": "PyTorch is not importable (ModuleNotFoundError)"})js");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(r.error().message, "PyTorch probe: PyTorch is not importable (ModuleNotFoundError)");
}

std::string failure(const std::string& text) {
  auto r = parse_torch_probe_output(text);
  EXPECT_FALSE(r.ok()) << text;
  if (r.ok()) return "";
  EXPECT_EQ(r.error().kind, ErrorKind::kFailure);
  return r.error().message;
}

TEST(TorchProbe, MalformedOutputNamesTheField) {
  EXPECT_EQ(failure("Traceback (most recent call last):"), "PyTorch probe: output: expected one JSON object");
  EXPECT_EQ(failure("[1, 2]"), "PyTorch probe: output: expected one JSON object");
  EXPECT_EQ(failure(R"js({"attention": 3})js"), "PyTorch probe: attention: expected a list of timed calls");
  EXPECT_EQ(failure(R"js({"attention": [{"batch": 2, "heads": 32, "seq": -4, "head_dim": 128}]})js"),
            "PyTorch probe: attention[0].seq: expected 1..16777216, got -4");
  EXPECT_EQ(failure(R"js({"attention": [{"batch": 2, "heads": 32, "seq": 4, "head_dim": 128, "causal": 1}]})js"),
            "PyTorch probe: attention[0].causal: expected true or false");
  EXPECT_EQ(failure(R"js({"attention": [{"batch": 2, "heads": 32, "seq": 4, "head_dim": 128, "causal": true,
                       "backward": false, "seconds": 0}]})js"),
            "PyTorch probe: attention[0].seconds: expected seconds in [1e-9, 10000], got 0");
  EXPECT_EQ(failure(R"js({"attention": [], "seconds_host_eager": 5, "kernels_per_layer": 3})js"),
            "PyTorch probe: output.seconds_host_eager: expected seconds in [1e-9, 0.01], got 5");
  EXPECT_EQ(failure(R"js({"attention": [], "seconds_host_eager": 1e-5})js"),
            "PyTorch probe: output.kernels_per_layer: expected a positive integer");
}

// The child process: a shell stands in for python (it runs the script file it is given).
TEST(TorchProbe, RunsTheScriptAndReadsItsStdout) {
  TorchProbeOptions o;
  o.python = "sh";
  auto r = run_torch_probe_script(o, std::string("echo '") + kGood + "'\n");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->attention.size(), 2u);
}

TEST(TorchProbe, PassesDeviceAndQuickToTheScript) {
  TorchProbeOptions o;
  o.python = "sh";
  o.device = 3;
  o.quick = true;
  auto r = run_torch_probe_script(o, "echo \"{\\\"error\\\": \\\"args $1 $2\\\"}\"\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "PyTorch probe: args 3 quick");
}

TEST(TorchProbe, MissingPythonIsNotFound) {
  TorchProbeOptions o;
  o.python = "/nonexistent/flopscope-test/python3";
  auto r = run_torch_probe_script(o, "print(1)\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kNotFound);
}

TEST(TorchProbe, FailingChildIsAFailure) {
  TorchProbeOptions o;
  o.python = "sh";
  auto r = run_torch_probe_script(o, "echo partial; exit 3\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kFailure);
  EXPECT_EQ(r.error().message, "PyTorch probe: 'sh' exited with status 3");
}

TEST(TorchProbe, ChildPastTheLimitIsStopped) {
  TorchProbeOptions o;
  o.python = "sh";
  o.seconds_limit = 0.3;
  auto r = run_torch_probe_script(o, "sleep 30\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "PyTorch probe: stopped after 0.3 s (the limit)");
}

TEST(TorchProbe, EndlessOutputIsCutOff) {
  TorchProbeOptions o;
  o.python = "sh";
  auto r = run_torch_probe_script(o, "yes\n");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "PyTorch probe: output: more than 1048576 bytes");
}

TEST(TorchProbe, TheScriptIsEmbedded) {
  auto script = data::find_embedded("probe/torch_probe.py");
  ASSERT_TRUE(script.has_value());
  EXPECT_NE(script->find("scaled_dot_product_attention"), std::string_view::npos);
  EXPECT_NE(script->find("seconds_host_eager"), std::string_view::npos);
}

}  // namespace
}  // namespace flopscope::probe
