// Loading and costing ONNX graphs: the fixtures, and a generated 100,000-node graph
// (target: under 2 s and under 500 MB; docs/model-files.md records the figures).
// The peak_rss_mb counter is the process's peak resident set after the run.
#include "flopscope/model/onnx/proto.h"

#include <benchmark/benchmark.h>
#include <sys/resource.h>

#include <string>

#include "flopscope/cost/graph_cost.h"
#include "flopscope/model/onnx_loader.h"

namespace {

double peak_rss_mb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_maxrss) / 1024.0;
}

void fixture(benchmark::State& state, const std::string& file) {
  const std::string path = std::string(FLOPSCOPE_TEST_DATA) + "/onnx/" + file;
  for (auto _ : state) {
    auto g = flopscope::load_onnx(path);
    if (!g) {
      state.SkipWithError(g.error().message.c_str());
      return;
    }
    auto cost = flopscope::cost_graph(*g);
    benchmark::DoNotOptimize(cost.flops_total);
  }
  state.counters["peak_rss_mb"] = peak_rss_mb();
}

// A chain of `blocks` x (MatMul, Add, Relu) on a [batch, width] activation, each with its
// own weight and bias initializer (dims only): 3 * blocks nodes.
std::string generated_model(int blocks, int64_t width) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  auto* op = m.add_opset_import();
  op->set_version(17);
  auto* g = m.mutable_graph();
  auto* in = g->add_input();
  in->set_name("x0");
  auto* tt = in->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(1);
  tt->mutable_shape()->add_dim()->set_dim_param("batch");
  tt->mutable_shape()->add_dim()->set_dim_value(width);
  std::string x = "x0";
  for (int i = 0; i < blocks; ++i) {
    std::string s = std::to_string(i);
    auto* w = g->add_initializer();
    w->set_name("w" + s);
    w->set_data_type(1);
    w->add_dims(width);
    w->add_dims(width);
    auto* b = g->add_initializer();
    b->set_name("b" + s);
    b->set_data_type(1);
    b->add_dims(width);
    auto node = [&](const char* type, std::vector<std::string> ins, const std::string& out) {
      auto* n = g->add_node();
      n->set_op_type(type);
      n->set_name(std::string(type) + s);
      for (auto& i2 : ins) n->add_input(i2);
      n->add_output(out);
    };
    node("MatMul", {x, "w" + s}, "m" + s);
    node("Add", {"m" + s, "b" + s}, "a" + s);
    x = "r" + s;
    node("Relu", {"a" + s}, x);
  }
  g->add_output()->set_name(x);
  return m.SerializeAsString();
}

void BM_Generated100kNodes(benchmark::State& state) {
  static const std::string bytes = generated_model(33'334, 1024);  // 100,002 nodes
  flopscope::OnnxLoadOptions options;
  options.dims = {{"batch", 8}};
  size_t nodes = 0;
  for (auto _ : state) {
    auto g = flopscope::parse_onnx(bytes, "generated.onnx", options);
    if (!g) {
      state.SkipWithError(g.error().message.c_str());
      return;
    }
    auto cost = flopscope::cost_graph(*g);
    nodes = cost.nodes.size();
    benchmark::DoNotOptimize(cost.flops_total);
  }
  state.counters["nodes"] = static_cast<double>(nodes);
  state.counters["file_mb"] = static_cast<double>(bytes.size()) / 1e6;
  state.counters["peak_rss_mb"] = peak_rss_mb();
}
BENCHMARK(BM_Generated100kNodes)->Unit(benchmark::kMillisecond)->Iterations(3);

}  // namespace

BENCHMARK_CAPTURE(fixture, resnet50, std::string("resnet50.onnx"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(fixture, mobilenet_v3_large, std::string("mobilenet_v3_large.onnx"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(fixture, efficientnet_b0, std::string("efficientnet_b0.onnx"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(fixture, convnext_tiny, std::string("convnext_tiny.onnx"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(fixture, vit_b_16, std::string("vit_b_16.onnx"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(fixture, bert_base, std::string("bert-base.onnx"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(fixture, gpt2, std::string("gpt2.onnx"))->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(fixture, llama_tiny, std::string("llama-tiny.onnx"))->Unit(benchmark::kMillisecond);
