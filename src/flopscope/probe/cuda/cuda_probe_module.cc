// The CUDA probe module (libflopscope_cuda_probe.so): everything that touches the CUDA
// runtime and cuBLASLt, built as a separate shared object that cuda_probe.cc opens with
// dlopen when `flopscope probe` runs (cuda_probe_module.h describes the boundary). The
// method is in cuda_probe.h.
#include "flopscope/probe/cuda/cuda_probe_module.h"

#include <cublasLt.h>
#include <cuda_runtime_api.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <exception>

#include "flopscope/probe/cuda/cuda_kernels.h"
#include "flopscope/util/statistics.h"

namespace flopscope::probe {

namespace {

constexpr double kSecondsPerShape = 0.05;  // timed calls of one GEMM shape last about this long in all
constexpr size_t kBytesWorkspace = size_t{32} << 20;
constexpr size_t kBytesFlushMin = size_t{256} << 20;  // as do_bench's cache buffer

struct LtTypes {
  cudaDataType_t ab;
  cudaDataType_t cd;
  cublasComputeType_t compute;
  cuda::FillType fill;
  size_t bytes_ab;
  size_t bytes_cd;
};

LtTypes lt_types(DType t) {
  switch (t) {
    case DType::kBF16: return {CUDA_R_16BF, CUDA_R_16BF, CUBLAS_COMPUTE_32F, cuda::FillType::kBF16, 2, 2};
    case DType::kFP16: return {CUDA_R_16F, CUDA_R_16F, CUBLAS_COMPUTE_32F, cuda::FillType::kF16, 2, 2};
    case DType::kFP8: return {CUDA_R_8F_E4M3, CUDA_R_16BF, CUBLAS_COMPUTE_32F, cuda::FillType::kE4M3, 1, 2};
    case DType::kTF32: return {CUDA_R_32F, CUDA_R_32F, CUBLAS_COMPUTE_32F_FAST_TF32, cuda::FillType::kF32, 4, 4};
    default: return {CUDA_R_32F, CUDA_R_32F, CUBLAS_COMPUTE_32F, cuda::FillType::kF32, 4, 4};
  }
}

Error cuda_error(const char* what, cudaError_t e) {
  return failure(fmt::format("cuda probe: {}: {}", what, cudaGetErrorString(e)));
}
Error lt_error(const char* what, cublasStatus_t s) {
  return failure(fmt::format("cuda probe: {}: cuBLASLt status {}", what, static_cast<int>(s)));
}

#define FS_CUDA(expr)                                           \
  do {                                                          \
    cudaError_t fs_err_ = (expr);                               \
    if (fs_err_ != cudaSuccess) return cuda_error(#expr, fs_err_); \
  } while (0)
#define FS_LT(expr)                                                        \
  do {                                                                     \
    cublasStatus_t fs_st_ = (expr);                                        \
    if (fs_st_ != CUBLAS_STATUS_SUCCESS) return lt_error(#expr, fs_st_);   \
  } while (0)

// Device allocations freed on scope exit, so every early return cleans up.
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  ~DeviceBuffer() {
    if (ptr_) cudaFree(ptr_);
  }
  cudaError_t allocate(size_t bytes) { return cudaMalloc(&ptr_, std::max<size_t>(bytes, 16)); }
  void* get() const { return ptr_; }

 private:
  void* ptr_ = nullptr;
};

class Events {
 public:
  Events() {
    cudaEventCreate(&start_);
    cudaEventCreate(&stop_);
  }
  ~Events() {
    cudaEventDestroy(start_);
    cudaEventDestroy(stop_);
  }
  Events(const Events&) = delete;
  Events& operator=(const Events&) = delete;
  cudaError_t begin() { return cudaEventRecord(start_, nullptr); }
  cudaError_t mark() { return cudaEventRecord(stop_, nullptr); }
  // Seconds between begin() and mark(), once the device has passed mark().
  Result<double> elapsed() {
    FS_CUDA(cudaEventSynchronize(stop_));
    float ms = 0;
    FS_CUDA(cudaEventElapsedTime(&ms, start_, stop_));
    return static_cast<double>(ms) * 1e-3;
  }

 private:
  cudaEvent_t start_ = nullptr;
  cudaEvent_t stop_ = nullptr;
};

// Times each call of `action` alone, as triton.testing.do_bench does (and with it every
// measurement the engine was fitted on, validation/h100): the L2 is overwritten before each
// call, each call sits between its own pair of CUDA events, and the calls are queued without
// waiting, so the device is never idle between them and no host latency is counted. Returns
// the median seconds per call over `reps` calls after `warmup` untimed ones. Back-to-back
// batches between one pair of events hide the per-call fixed cost that a single kernel pays
// (on the H200 a 4096 x 4096 GEMM at M = 1 took 14.1 us per call in a batch, 18.8 us alone;
// validation/h200/README.md), which the engine models as seconds_launch.
template <typename Action>
Result<double> time_each(Action&& action, void* flush, size_t bytes_flush, int warmup, int reps) {
  for (int w = 0; w < warmup; ++w) {
    Status s = action(w);
    if (!s) return s.error();
  }
  std::vector<Events> ev(static_cast<size_t>(reps));
  for (int i = 0; i < reps; ++i) {
    FS_CUDA(cudaMemsetAsync(flush, 0, bytes_flush, nullptr));
    FS_CUDA(ev[static_cast<size_t>(i)].begin());
    Status s = action(i);
    if (!s) return s.error();
    FS_CUDA(ev[static_cast<size_t>(i)].mark());
  }
  FS_CUDA(cudaDeviceSynchronize());
  std::vector<double> per_call;
  for (Events& e : ev) {
    auto seconds = e.elapsed();
    if (!seconds) return seconds.error();
    per_call.push_back(*seconds);
  }
  return median(per_call);
}

class CudaProbe {
 public:
  CudaProbe(const CudaProbeOptions& o, const GemmShapes& shapes, CudaProbeResult& r)
      : o_(o), shapes_(shapes), r_(r) {}
  ~CudaProbe() {
    if (lt_) cublasLtDestroy(lt_);
  }
  CudaProbe(const CudaProbe&) = delete;
  CudaProbe& operator=(const CudaProbe&) = delete;

  Status run() {
    cudaDeviceProp prop{};
    FS_CUDA(cudaGetDeviceProperties(&prop, o_.device));
    r_.compute_capability = prop.major * 10 + prop.minor;
    sms_ = prop.multiProcessorCount;
    bytes_l2_ = static_cast<double>(prop.l2CacheSize);
    CalibrationProfile& p = r_.profile;
    p.device_name = prop.name;  // date and tool: the loader (cuda_probe.cc) fills them in
    p.compute_units = prop.multiProcessorCount;
    p.bytes_l2 = bytes_l2_;

    FS_LT(cublasLtCreate(&lt_));
    FS_CUDA(workspace_.allocate(kBytesWorkspace));
    bytes_flush_ = std::max(kBytesFlushMin, 2 * static_cast<size_t>(prop.l2CacheSize));
    FS_CUDA(flush_.allocate(bytes_flush_));

    if (Status s = measure_bandwidth(); !s) return s;
    for (DType t : o_.dtypes) {
      if (o_.quick && t != DType::kBF16 && t != DType::kFP8) continue;
      if (t == DType::kFP8 && r_.compute_capability < 89) {
        r_.notes.push_back(fmt::format("fp8: needs compute capability 8.9+, device is sm_{}", r_.compute_capability));
        continue;
      }
      for (const auto& [m, n, k] : shapes_) {
        if (Status s = measure_gemm(t, m, n, k); !s) return s;
      }
    }
    return {};
  }

 private:
  void say(const std::string& line) const {
    if (o_.progress) o_.progress(line);
  }

  // Copies of 1 MiB up to the largest buffer, each timed alone: the loader fits the line
  // t = fixed + bytes / bandwidth through them (fit_copy_line), which gives the profile's
  // per-kernel fixed cost and copy bandwidth as the engine's constants mean them. Read and
  // write rates come from the largest buffer.
  Status measure_bandwidth() {
    size_t free_bytes = 0, total_bytes = 0;
    FS_CUDA(cudaMemGetInfo(&free_bytes, &total_bytes));
    // Buffers of 1 GiB (at least 8 x L2), two of them, within a quarter of free memory.
    double want = std::max(1024.0 * 1024 * 1024, 8 * bytes_l2_);
    double bytes = std::min(want, static_cast<double>(free_bytes) / 4);
    size_t count = static_cast<size_t>(bytes / sizeof(float)) / 1024 * 1024;
    if (count < (size_t{1} << 18)) return failure("cuda probe: not enough free device memory for the bandwidth test");
    double buf = static_cast<double>(count * sizeof(float));
    say(fmt::format("device memory bandwidth and per-kernel cost, copies of 1 MiB to {:.0f} MiB", buf / (1024 * 1024)));
    DeviceBuffer a, b, sink;
    FS_CUDA(a.allocate(count * sizeof(float)));
    FS_CUDA(b.allocate(count * sizeof(float)));
    FS_CUDA(sink.allocate(sizeof(float)));
    FS_CUDA(cuda::fill_random(a.get(), count, cuda::FillType::kF32, 7));
    FS_CUDA(cuda::fill_random(b.get(), count, cuda::FillType::kF32, 8));
    float* pa = static_cast<float*>(a.get());
    float* pb = static_cast<float*>(b.get());
    // Enough resident blocks to keep HBM3e busy: with 8 per SM the H200's copy reached 3.88
    // TB/s where PyTorch's copy reaches 4.30 (validation/h200/README.md); 32 per SM gives
    // each SM the loads in flight that bandwidth x latency asks for.
    int blocks = sms_ * 32;
    int reps = o_.quick ? 5 : 20;

    for (size_t n = size_t{1} << 18;; n *= 4) {
      size_t elems = std::min(n, count);
      auto copy = time_each([&](int) -> Status {
        FS_CUDA(cuda::launch_copy(pa, pb, elems, blocks));
        return {};
      }, flush_.get(), bytes_flush_, 3, reps);
      if (!copy) return copy.error();
      r_.copy_sweep.push_back({2.0 * static_cast<double>(elems * sizeof(float)), *copy});
      if (elems == count) break;
    }

    auto read = time_each([&](int) -> Status {
      FS_CUDA(cuda::launch_read(pa, count, static_cast<float*>(sink.get()), blocks));
      return {};
    }, flush_.get(), bytes_flush_, 3, reps);
    if (!read) return read.error();
    r_.profile.bytes_per_second_read = buf / *read;

    auto write = time_each([&](int i) -> Status {
      FS_CUDA(cuda::launch_write(pb, count, static_cast<float>(i), blocks));
      return {};
    }, flush_.get(), bytes_flush_, 3, reps);
    if (!write) return write.error();
    r_.profile.bytes_per_second_write = buf / *write;
    return {};
  }

  Status measure_gemm(DType t, int64_t m, int64_t n, int64_t k) {
    LtTypes ty = lt_types(t);
    size_t free_bytes = 0, total_bytes = 0;
    FS_CUDA(cudaMemGetInfo(&free_bytes, &total_bytes));
    double bytes_w = static_cast<double>(n) * static_cast<double>(k) * static_cast<double>(ty.bytes_ab);
    double bytes_x = static_cast<double>(m) * static_cast<double>(k) * static_cast<double>(ty.bytes_ab);
    double bytes_y = static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(ty.bytes_cd);
    // Enough weight copies that together they exceed twice the L2 (at least 2, at most 64).
    int copies = static_cast<int>(std::clamp(std::ceil(2 * bytes_l2_ / bytes_w), 2.0, 64.0));
    double budget = 0.8 * static_cast<double>(free_bytes);
    while (copies > 1 && copies * bytes_w + bytes_x + bytes_y > budget) --copies;
    if (copies * bytes_w + bytes_x + bytes_y > budget) {
      r_.notes.push_back(fmt::format("{} {}x{}x{}: does not fit in free device memory, skipped", dtype_name(t), m, n, k));
      return {};
    }
    say(fmt::format("GEMM {} M={} N={} K={}", dtype_name(t), m, n, k));

    std::vector<DeviceBuffer> weights(static_cast<size_t>(copies));
    for (size_t c = 0; c < weights.size(); ++c) {
      FS_CUDA(weights[c].allocate(static_cast<size_t>(bytes_w)));
      FS_CUDA(cuda::fill_random(weights[c].get(), static_cast<size_t>(n * k), ty.fill, 100 + c));
    }
    DeviceBuffer x, y;
    FS_CUDA(x.allocate(static_cast<size_t>(bytes_x)));
    FS_CUDA(y.allocate(static_cast<size_t>(bytes_y)));
    FS_CUDA(cuda::fill_random(x.get(), static_cast<size_t>(m * k), ty.fill, 1));

    // Column-major view of Y[M,N] = X[M,K] W[N,K]^T: Y^T (N x M) = W (stored K x N, op T) * X^T (K x M).
    cublasLtMatmulDesc_t desc = nullptr;
    cublasLtMatrixLayout_t la = nullptr, lb = nullptr, lc = nullptr;
    cublasLtMatmulPreference_t pref = nullptr;
    struct Cleanup {
      cublasLtMatmulDesc_t& d;
      cublasLtMatrixLayout_t &a, &b, &c;
      cublasLtMatmulPreference_t& p;
      ~Cleanup() {
        if (p) cublasLtMatmulPreferenceDestroy(p);
        if (c) cublasLtMatrixLayoutDestroy(c);
        if (b) cublasLtMatrixLayoutDestroy(b);
        if (a) cublasLtMatrixLayoutDestroy(a);
        if (d) cublasLtMatmulDescDestroy(d);
      }
    } cleanup{desc, la, lb, lc, pref};
    FS_LT(cublasLtMatmulDescCreate(&desc, ty.compute, CUDA_R_32F));
    cublasOperation_t op_t = CUBLAS_OP_T, op_n = CUBLAS_OP_N;
    FS_LT(cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_TRANSA, &op_t, sizeof op_t));
    FS_LT(cublasLtMatmulDescSetAttribute(desc, CUBLASLT_MATMUL_DESC_TRANSB, &op_n, sizeof op_n));
    auto u = [](int64_t v) { return static_cast<uint64_t>(v); };
    FS_LT(cublasLtMatrixLayoutCreate(&la, ty.ab, u(k), u(n), k));
    FS_LT(cublasLtMatrixLayoutCreate(&lb, ty.ab, u(k), u(m), k));
    FS_LT(cublasLtMatrixLayoutCreate(&lc, ty.cd, u(n), u(m), n));
    FS_LT(cublasLtMatmulPreferenceCreate(&pref));
    size_t ws = kBytesWorkspace;
    FS_LT(cublasLtMatmulPreferenceSetAttribute(pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof ws));
    cublasLtMatmulHeuristicResult_t heuristic{};
    int found = 0;
    cublasStatus_t hs = cublasLtMatmulAlgoGetHeuristic(lt_, desc, la, lb, lc, lc, pref, 1, &heuristic, &found);
    if (hs != CUBLAS_STATUS_SUCCESS || found == 0) {
      r_.notes.push_back(fmt::format("{} {}x{}x{}: cuBLASLt has no algorithm on this device, skipped", dtype_name(t),
                                     m, n, k));
      return {};
    }
    const float alpha = 1.0f, beta = 0.0f;
    auto gemm = [&](int i) -> Status {
      const void* w = weights[static_cast<size_t>(i) % weights.size()].get();
      FS_LT(cublasLtMatmul(lt_, desc, &alpha, w, la, x.get(), lb, &beta, y.get(), lc, y.get(), lc, &heuristic.algo,
                           workspace_.get(), kBytesWorkspace, nullptr));
      return {};
    };
    // A first estimate sizes the timed calls to about kSecondsPerShape in all (5 to 100).
    auto single = time_each(gemm, flush_.get(), bytes_flush_, 2, 3);
    if (!single) return single.error();
    int reps = static_cast<int>(std::clamp(std::ceil(kSecondsPerShape / std::max(*single, 1e-9)), 5.0, 100.0));
    if (o_.quick) reps = std::min(reps, 10);
    auto seconds = time_each(gemm, flush_.get(), bytes_flush_, 1, reps);
    if (!seconds) return seconds.error();
    GemmSample s;
    s.dtype = t;
    s.m = m;
    s.n = n;
    s.k = k;
    s.seconds = *seconds;
    s.flops_per_second = 2.0 * static_cast<double>(m) * static_cast<double>(n) * static_cast<double>(k) / *seconds;
    r_.profile.gemm.push_back(s);
    return {};
  }

  const CudaProbeOptions& o_;
  const GemmShapes& shapes_;
  CudaProbeResult& r_;
  cublasLtHandle_t lt_ = nullptr;
  DeviceBuffer workspace_;
  DeviceBuffer flush_;  // overwritten before each timed call, so no call finds the L2 warm
  size_t bytes_flush_ = 0;
  int sms_ = 1;
  double bytes_l2_ = 0;
};

Result<CudaProbeResult> run(const CudaProbeOptions& options, const GemmShapes& shapes) {
  int count = 0;
  cudaError_t e = cudaGetDeviceCount(&count);
  if (e != cudaSuccess) return not_found(fmt::format("no CUDA device found ({})", cudaGetErrorString(e)));
  if (count == 0) return not_found("no CUDA device found");
  if (options.device < 0 || options.device >= count) {
    return bad_input(fmt::format("--device: expected 0..{}, got {}", count - 1, options.device));
  }
  e = cudaSetDevice(options.device);
  if (e != cudaSuccess) return not_found(fmt::format("no CUDA device found ({})", cudaGetErrorString(e)));
  CudaProbeResult result;
  {
    CudaProbe probe(options, shapes, result);
    Status s = probe.run();
    if (!s) return s.error();
  }
  return result;
}

}  // namespace

}  // namespace flopscope::probe

extern "C" __attribute__((visibility("default"))) uint64_t flopscope_cuda_probe_abi() {
  return flopscope::probe::kCudaProbeModuleAbi;
}

extern "C" __attribute__((visibility("default"))) void flopscope_cuda_probe_run(
    const flopscope::probe::CudaProbeOptions* options, const flopscope::probe::GemmShapes* shapes,
    flopscope::Result<flopscope::probe::CudaProbeResult>* out) {
  // An exception must not unwind into the loader through a C boundary.
  try {
    *out = flopscope::probe::run(*options, *shapes);
  } catch (const std::exception& e) {
    *out = flopscope::failure(fmt::format("cuda probe: {}", e.what()));
  }
}
