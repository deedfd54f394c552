#include "flopscope/probe/cuda_probe.h"

#include <dlfcn.h>
#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <system_error>

#include "flopscope/probe/cpu_probe.h"
#include "flopscope/probe/cuda/cuda_probe_module.h"

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

constexpr const char* kModuleFile = "libflopscope_cuda_probe.so";

// Where the module may be, in order: $FLOPSCOPE_CUDA_PROBE_MODULE; beside the running
// binary (the build tree); ../lib/flopscope/ from it (an installed tree); where this build
// wrote it (test binaries live elsewhere in the build tree).
std::vector<std::string> module_candidates() {
  std::vector<std::string> out;
  if (const char* env = std::getenv("FLOPSCOPE_CUDA_PROBE_MODULE"); env && *env) return {env};
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    out.push_back((exe.parent_path() / kModuleFile).string());
    out.push_back((exe.parent_path().parent_path() / "lib" / "flopscope" / kModuleFile).string());
  }
  out.emplace_back(FLOPSCOPE_CUDA_PROBE_MODULE_PATH);
  return out;
}

struct Module {
  CudaProbeModuleRunFn run = nullptr;
  std::string error;  // why it could not be loaded
};

// Opened once and never closed: the CUDA runtime does not support being unloaded.
const Module& module() {
  static const Module m = [] {
    Module out;
    std::vector<std::string> tried;
    for (const std::string& path : module_candidates()) {
      std::error_code ec;
      if (!std::filesystem::exists(path, ec)) {
        tried.push_back(path);
        continue;
      }
      void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
      if (!handle) {
        const char* why = dlerror();
        out.error = fmt::format("cannot load the CUDA probe module {}: {}", path, why ? why : "unknown error");
        return out;
      }
      auto abi = reinterpret_cast<CudaProbeModuleAbiFn>(dlsym(handle, kCudaProbeModuleAbiSymbol));
      auto run = reinterpret_cast<CudaProbeModuleRunFn>(dlsym(handle, kCudaProbeModuleRunSymbol));
      if (!abi || !run) {
        out.error = fmt::format("{}: not a flopscope CUDA probe module (no {})", path,
                                !abi ? kCudaProbeModuleAbiSymbol : kCudaProbeModuleRunSymbol);
      } else if (abi() != kCudaProbeModuleAbi) {
        out.error = fmt::format("{}: built from another flopscope version (ABI {:#x}, expected {:#x}); rebuild it",
                                path, abi(), kCudaProbeModuleAbi);
      } else {
        out.run = run;
      }
      return out;
    }
    out.error = fmt::format("the CUDA probe module {} is missing; looked in {}", kModuleFile, fmt::join(tried, ", "));
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
