#include "flopscope/probe/cuda_probe.h"

#include <fmt/format.h>

#include <string>

#include "flopscope/probe/cpu_probe.h"
#include "flopscope/probe/cuda/cuda_probe_module.h"
#include "flopscope/util/module.h"

namespace flopscope::probe {

std::vector<std::array<int64_t, 3>> cuda_gemm_shapes(bool quick) {
  std::vector<std::array<int64_t, 3>> shapes;
  for (int64_t s : {512, 1024, 2048, 4096, 8192}) shapes.push_back({s, s, s});
  if (quick) return shapes;
  const std::array<int64_t, 2> nk[] = {{4096, 4096}, {14336, 4096}, {4096, 14336}, {128256, 4096}};
  for (const auto& [n, k] : nk) {
    for (int64_t m : {1, 16, 128, 512, 2048, 8192}) shapes.push_back({m, n, k});
  }
  return shapes;
}

void apply_copy_sweep(CudaProbeResult& result) {
  CalibrationProfile& p = result.profile;
  p.seconds_launch_overhead = 0;
  p.bytes_per_second_copy = 0;
  if (auto line = fit_copy_line(result.copy_sweep)) {
    p.seconds_launch_overhead = line->seconds_fixed;
    p.bytes_per_second_copy = line->bytes_per_second;
  } else if (!result.copy_sweep.empty()) {
    result.notes.push_back(fmt::format(
        "copy timings of {} sizes fit no line t = fixed + bytes / bandwidth: launch cost and copy bandwidth not "
        "measured (the catalog's are used)", result.copy_sweep.size()));
  }
}

#ifndef FLOPSCOPE_HAVE_CUDA

bool cuda_probe_built() { return false; }

Result<CudaProbeResult> run_cuda_probe(const CudaProbeOptions&) {
  return not_found("no CUDA device found (this flopscope was built without CUDA: FLOPSCOPE_CUDA=OFF or nvcc missing)");
}

#else

bool cuda_probe_built() { return true; }

namespace {

struct Module {
  CudaProbeModuleRunFn run = nullptr;
  std::string error;  // why it could not be loaded
};

// Opened once and never closed: the CUDA runtime does not support being unloaded.
const Module& module() {
  static const Module m = [] {
    static constexpr ModuleSpec kSpec{"the CUDA probe", "libflopscope_cuda_probe.so", "FLOPSCOPE_CUDA_PROBE_MODULE",
                                      FLOPSCOPE_CUDA_PROBE_MODULE_PATH, kCudaProbeModuleAbiSymbol,
                                      kCudaProbeModuleAbi};
    Module out;
    auto handle = open_module(kSpec);
    auto run = handle ? module_symbol(*handle, kSpec, kCudaProbeModuleRunSymbol) : Result<void*>(handle.error());
    if (run) out.run = reinterpret_cast<CudaProbeModuleRunFn>(*run);
    else out.error = run.error().message;
    return out;
  }();
  return m;
}

}  // namespace

Result<CudaProbeResult> run_cuda_probe(const CudaProbeOptions& options) {
  const Module& m = module();
  if (!m.run) return not_found(fmt::format("no CUDA device found ({})", m.error));
  GemmShapes shapes = cuda_gemm_shapes(options.quick);
  Result<CudaProbeResult> result = failure("cuda probe: the module returned no result");
  m.run(&options, &shapes, &result);
  if (result) {
    apply_copy_sweep(*result);
    result->profile.date = today_utc();
    result->profile.tool = kProbeTool;
  }
  return result;
}

#endif  // FLOPSCOPE_HAVE_CUDA

}  // namespace flopscope::probe
