// libFuzzer target: config.json text -> TransformerSpec -> parameter and FLOP counts.
// Any input must end in a value or a clean Error (issue 11: deep nesting, numbers beyond a
// double, sizes past docs/limits.md), with counts that never wrap.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "flopscope/cost/flops.h"
#include "flopscope/cost/params.h"
#include "flopscope/model/load.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace flopscope;
  auto spec = parse_hf_config(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.json");
  if (spec) {
    ParamCounts p = count_params(*spec);
    // A spec that loads has a count that did not wrap (check_model_size bounds it).
    if (p.total < 0 || p.active < 0 || p.active > p.total) std::abort();
    Workload w;
    w.batch = 1;
    w.seq = 16;
    auto f = count_flops(*spec, w);
    (void)f;
  }
  return 0;
}
