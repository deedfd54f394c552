#include "flopscope/probe/cpu_probe.h"

#include <fmt/format.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <memory>
#include <thread>

#include "flopscope/probe/stats.h"

#ifdef FLOPSCOPE_HAVE_CBLAS
#include <cblas.h>  // declarations only: the library is opened at run time (Cblas below)
#include <dlfcn.h>
#endif

namespace flopscope::probe {

namespace {

constexpr double kBufferOverLlc = 4;  // bandwidth buffers are at least this many LLCs
constexpr double kBytesBufferMin = 1024.0 * 1024;

// splitmix64: fast, good enough to make inputs non-trivial (not zeros, not constant).
uint64_t splitmix(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Uniform in [-1, 1).
double random_unit(uint64_t& state) { return static_cast<double>(splitmix(state) >> 11) * 0x1.0p-52 - 1.0; }

template <typename T>
void fill_random(T* p, size_t n, uint64_t seed) {
  for (size_t i = 0; i < n; ++i) p[i] = static_cast<T>(random_unit(seed));
}

// Runs body(begin, end, thread_index) over [0, n) split into `threads` contiguous slices.
template <typename Body>
void parallel_slices(size_t n, int threads, const Body& body) {
  std::vector<std::thread> pool;
  pool.reserve(static_cast<size_t>(threads));
  for (int t = 0; t < threads; ++t) {
    size_t begin = n * static_cast<size_t>(t) / static_cast<size_t>(threads);
    size_t end = n * static_cast<size_t>(t + 1) / static_cast<size_t>(threads);
    pool.emplace_back([&body, begin, end, t] { body(begin, end, t); });
  }
  for (auto& th : pool) th.join();
}

// Eight independent sums in named locals (an array would live on the stack), so the loop is
// bound by loads rather than by the latency of one add chain.
double sum_slice(const double* p, size_t begin, size_t end) {
  double s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0, s5 = 0, s6 = 0, s7 = 0;
  size_t i = begin;
  for (; i + 8 <= end; i += 8) {
    s0 += p[i];
    s1 += p[i + 1];
    s2 += p[i + 2];
    s3 += p[i + 3];
    s4 += p[i + 4];
    s5 += p[i + 5];
    s6 += p[i + 6];
    s7 += p[i + 7];
  }
  for (; i < end; ++i) s0 += p[i];
  return ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7));
}

// A large buffer on 2 MiB boundaries with transparent huge pages requested, so that
// first-touch costs fewer page faults and the stream sees fewer TLB misses.
struct FreeDeleter {
  void operator()(double* p) const { std::free(p); }
};
using Buffer = std::unique_ptr<double[], FreeDeleter>;

Buffer allocate_buffer(size_t count) {
  constexpr size_t kAlign = size_t{2} << 20;
  size_t bytes = (count * sizeof(double) + kAlign - 1) / kAlign * kAlign;
  auto* p = static_cast<double*>(std::aligned_alloc(kAlign, bytes));
#ifdef MADV_HUGEPAGE
  if (p) madvise(p, bytes, MADV_HUGEPAGE);
#endif
  return Buffer(p);
}

#ifdef FLOPSCOPE_HAVE_CBLAS
// OpenBLAS is opened when the CPU probe runs rather than linked: loading it starts its
// thread pool, which cost every command tens of milliseconds and a few MB (issue 12).
struct Cblas {
  decltype(&cblas_sgemm) sgemm = nullptr;
  decltype(&cblas_dgemm) dgemm = nullptr;
  decltype(&openblas_set_num_threads) set_num_threads = nullptr;
  std::string error;  // why it could not be loaded
};

// The runtime soname first (what an installed libopenblas0 provides), then the library
// this build was configured with. Opened once, never closed.
const Cblas& cblas() {
  static const Cblas api = [] {
    Cblas c;
    void* handle = nullptr;
    for (const char* name : {"libopenblas.so.0", FLOPSCOPE_OPENBLAS_LIBRARY}) {
      handle = dlopen(name, RTLD_NOW | RTLD_LOCAL);
      if (handle) break;
      const char* why = dlerror();
      c.error = why ? why : name;
    }
    if (!handle) return c;
    auto sgemm = reinterpret_cast<decltype(&cblas_sgemm)>(dlsym(handle, "cblas_sgemm"));
    auto dgemm = reinterpret_cast<decltype(&cblas_dgemm)>(dlsym(handle, "cblas_dgemm"));
    auto threads = reinterpret_cast<decltype(&openblas_set_num_threads)>(dlsym(handle, "openblas_set_num_threads"));
    if (!sgemm || !dgemm || !threads) {
      c.error = "the library lacks cblas_sgemm, cblas_dgemm or openblas_set_num_threads";
      return c;
    }
    c.sgemm = sgemm;
    c.dgemm = dgemm;
    c.set_num_threads = threads;
    c.error.clear();
    return c;
  }();
  return api;
}

template <typename T>
GemmSample time_gemm(int64_t n, const CpuProbeOptions& o) {
  size_t count = static_cast<size_t>(n) * static_cast<size_t>(n);
  std::vector<T> a(count), b(count), c(count);
  fill_random(a.data(), count, 1);
  fill_random(b.data(), count, 2);
  int ni = static_cast<int>(n);
  auto run = [&] {
    if constexpr (std::is_same_v<T, float>) {
      cblas().sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, ni, ni, ni, 1.0f, a.data(), ni, b.data(), ni, 0.0f,
                  c.data(), ni);
    } else {
      cblas().dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, ni, ni, ni, 1.0, a.data(), ni, b.data(), ni, 0.0,
                  c.data(), ni);
    }
  };
  RepeatPolicy policy{o.warmup > 0 ? 1 : 0, std::min(3, std::max(1, o.repetitions)), std::max(1, o.repetitions),
                      o.seconds_per_gemm};
  GemmSample s;
  s.dtype = std::is_same_v<T, float> ? DType::kFP32 : DType::kFP64;
  s.m = s.n = s.k = n;
  s.seconds = median(time_repeated(run, policy));
  s.flops_per_second = 2.0 * static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(n) / s.seconds;
  return s;
}
#endif

void say(const CpuProbeOptions& o, const std::string& line) {
  if (o.progress) o.progress(line);
}

double bytes_physical_memory() {
  long pages = sysconf(_SC_PHYS_PAGES);
  long page = sysconf(_SC_PAGE_SIZE);
  return pages > 0 && page > 0 ? static_cast<double>(pages) * static_cast<double>(page) : 0;
}

}  // namespace

CpuProbeOptions CpuProbeOptions::quick() {
  CpuProbeOptions o;
  o.gemm_sizes = {256, 1024};
  o.warmup = 1;
  o.repetitions = 5;
  o.seconds_per_gemm = 0.2;
  o.seconds_gemm_total = 1;
  return o;
}

std::string today_utc() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  return fmt::format("{:04}-{:02}-{:02}", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

Result<CpuProbeResult> run_cpu_probe(const CpuProbeOptions& o) {
  CpuProbeResult r;
  r.cpu = read_cpu_info();
  r.threads = o.threads > 0 ? o.threads : r.cpu.threads;
  int threads = static_cast<int>(r.threads);

  CalibrationProfile& p = r.profile;
  p.device_name = r.cpu.model_name.empty() ? "unknown CPU" : r.cpu.model_name;
  p.date = today_utc();
  p.tool = kProbeTool;
  p.compute_units = r.threads;
  p.bytes_l2 = r.cpu.bytes_llc;

#ifndef FLOPSCOPE_HAVE_CBLAS
  r.notes.push_back("built without OpenBLAS: no CPU GEMM figures");
#else
  if (!cblas().sgemm) r.notes.push_back(fmt::format("OpenBLAS could not be loaded ({}): no CPU GEMM figures", cblas().error));
  r.have_blas = cblas().sgemm != nullptr;
  if (r.have_blas) cblas().set_num_threads(threads);
  using Clock = std::chrono::steady_clock;
  auto gemm_start = Clock::now();
  double flops_last[2] = {0, 0};  // fp32, fp64: the previous size's throughput
  for (int64_t n : o.gemm_sizes) {
    if (n <= 0 || !r.have_blas) continue;
    for (int precision = 0; precision < (o.gemm_fp64 ? 2 : 1); ++precision) {
      const char* name = precision == 0 ? "sgemm" : "dgemm";
      double spent = std::chrono::duration<double>(Clock::now() - gemm_start).count();
      double flop = 2.0 * static_cast<double>(n) * static_cast<double>(n) * static_cast<double>(n);
      // Warm-up plus the minimum of three timed runs.
      double predicted = flops_last[precision] > 0 ? 4 * flop / flops_last[precision] : 0;
      if (spent + predicted > o.seconds_gemm_total) {
        r.notes.push_back(fmt::format("{} {}^3 skipped: about {:.1f} s would overrun the {:.0f} s GEMM budget", name,
                                      n, predicted, o.seconds_gemm_total));
        continue;
      }
      say(o, fmt::format("{} {}^3", name, n));
      GemmSample s = precision == 0 ? time_gemm<float>(n, o) : time_gemm<double>(n, o);
      flops_last[precision] = s.flops_per_second;
      p.gemm.push_back(s);
    }
  }
#endif

  // Bandwidth buffers: >= 4 x LLC, but never more than an eighth of RAM each (three exist).
  double bytes = o.bytes_buffer;
  if (bytes <= 0) {
    bytes = kBufferOverLlc * r.cpu.bytes_llc;
    double ram = bytes_physical_memory();
    if (ram > 0) bytes = std::min(bytes, ram / 8);
    bytes = std::max(bytes, kBytesBufferMin);
  }
  size_t n = std::max<size_t>(static_cast<size_t>(bytes / sizeof(double)), static_cast<size_t>(8 * threads));
  r.bytes_buffer = static_cast<double>(n * sizeof(double));

  Buffer a = allocate_buffer(n), b = allocate_buffer(n), c = allocate_buffer(n);
  if (!a || !b || !c) {
    return failure(fmt::format("cpu probe: cannot allocate 3 buffers of {} bytes for the bandwidth test",
                               r.bytes_buffer));
  }
  say(o, fmt::format("memory bandwidth, 3 buffers of {:.0f} MiB", r.bytes_buffer / (1024 * 1024)));
  // Each thread first-touches (and so places) the slice it later streams.
  parallel_slices(n, threads, [&](size_t begin, size_t end, int t) {
    uint64_t seed = 1000 + static_cast<uint64_t>(t);
    for (size_t i = begin; i < end; ++i) {
      a[i] = random_unit(seed);
      b[i] = random_unit(seed);
      c[i] = random_unit(seed);
    }
  });

  RepeatPolicy policy{o.warmup, std::max(1, o.repetitions), std::max(1, o.repetitions), 0};
  double buf = r.bytes_buffer;
  double* pa = a.get();
  double* pb = b.get();
  double* pc = c.get();

  double s_copy = median(time_repeated(
      [&] { parallel_slices(n, threads, [&](size_t i0, size_t i1, int) { std::copy(pb + i0, pb + i1, pa + i0); }); },
      policy));
  p.bytes_per_second_copy = 2 * buf / s_copy;

  const double scalar = 0.5;
  double s_triad = median(time_repeated(
      [&] {
        parallel_slices(n, threads, [&](size_t i0, size_t i1, int) {
          for (size_t i = i0; i < i1; ++i) pa[i] = pb[i] + scalar * pc[i];
        });
      },
      policy));
  p.bytes_per_second_triad = 3 * buf / s_triad;

  std::atomic<double> sink{0};
  double s_read = median(time_repeated(
      [&] {
        parallel_slices(n, threads, [&](size_t i0, size_t i1, int) {
          double s = sum_slice(pa, i0, i1);
          double old = sink.load();
          while (!sink.compare_exchange_weak(old, old + s)) {
          }
        });
      },
      policy));
  p.bytes_per_second_read = buf / s_read;

  double fill = 1.0;
  double s_write = median(time_repeated(
      [&] {
        fill += 1;
        parallel_slices(n, threads, [&](size_t i0, size_t i1, int) { std::fill(pc + i0, pc + i1, fill); });
      },
      policy));
  p.bytes_per_second_write = buf / s_write;
  // Keeps the sums observable so the read loop cannot be optimized away.
  if (std::isnan(sink.load())) p.bytes_per_second_read = 0;
  return r;
}

}  // namespace flopscope::probe
