// libFuzzer target: ONNX bytes -> Graph -> costs. Any input must end in a value or a
// clean Error: no crash, no hang, memory bounded by the input. Build: see
// src/flopscope/model/CMakeLists.txt (FLOPSCOPE_FUZZ); corpus: tests/fuzz/corpus/onnx.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "flopscope/cost/graph_cost.h"
#include "flopscope/model/onnx/internal.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace flopscope;
  auto g = onnx_detail::parse(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.onnx", {});
  if (g) {
    auto cost = cost_graph(*g);
    auto ops = lower_graph(cost);
    (void)ops;
  }
  return 0;
}
