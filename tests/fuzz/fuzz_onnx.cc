// libFuzzer target: ONNX bytes -> Graph -> costs. Any input must end in a value or a
// clean Error: no crash, no hang, memory bounded by the input. Build: see
// src/flopscope/model/CMakeLists.txt (FLOPSCOPE_FUZZ); corpus: tests/fuzz/corpus/onnx.
// libonnx's shape inference runs in a child process (model/onnx/shapes.cc), a fork per
// call: a quarter of the inputs (size a multiple of 4) take that path, the rest skip it, so
// the reader's own code is fuzzed faster (about 4,000 inputs/s mixed; 650 when all fork).
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "flopscope/cost/graph_cost.h"
#include "flopscope/model/onnx/internal.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace flopscope;
  OnnxLoadOptions options;
  options.infer_shapes = size % 4 == 0;
  auto g = onnx_detail::parse(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.onnx", options);
  if (g) {
    auto cost = cost_graph(*g);
    auto ops = lower_graph(cost);
    (void)ops;
  }
  return 0;
}
