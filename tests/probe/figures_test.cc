#include "flopscope/probe/figures.h"

#include <gtest/gtest.h>

#include <cstdlib>

#include "flopscope/probe/cuda_probe.h"

namespace flopscope::probe {
namespace {

CalibrationProfile sample_profile() {
  CalibrationProfile p;
  p.gemm.push_back({DType::kBF16, 4096, 4096, 4096, 0, 700e12});
  p.gemm.push_back({DType::kBF16, 512, 512, 512, 0, 40e12});
  p.gemm.push_back({DType::kFP8, 4096, 4096, 4096, 0, 1200e12});
  p.bytes_per_second_copy = 3.0e12;
  p.bytes_per_second_read = 3.1e12;
  p.seconds_launch_overhead = 2e-6;
  return p;
}

TEST(ProbeFigures, SetsBestGemmAndBandwidthAgainstPeaks) {
  Hardware hw;
  hw.id = "h100-sxm";
  hw.flops_peak[static_cast<size_t>(DType::kBF16)] = 989.4e12;
  hw.flops_peak[static_cast<size_t>(DType::kFP8)] = 1978.9e12;
  hw.bytes_per_second_memory = 3.35e12;
  auto f = probe_figures(sample_profile(), &hw);
  ASSERT_EQ(f.size(), 5u);
  EXPECT_EQ(f[0].name, "gemm_bf16");
  EXPECT_EQ(f[0].measured, 700e12);
  EXPECT_NEAR(f[0].fraction(), 700 / 989.4, 1e-12);
  EXPECT_EQ(f[1].name, "gemm_fp8");
  EXPECT_EQ(f[2].name, "memory_copy");
  EXPECT_NEAR(f[2].fraction(), 3.0 / 3.35, 1e-12);
  EXPECT_EQ(f[3].name, "memory_read");
  EXPECT_EQ(f[4].name, "launch_overhead");
  EXPECT_EQ(f[4].peak, 0);
  EXPECT_EQ(f[4].fraction(), 0);
}

TEST(ProbeFigures, WithoutCatalogEntryPeaksAreUnknown) {
  auto f = probe_figures(sample_profile(), nullptr);
  ASSERT_EQ(f.size(), 5u);
  for (const auto& x : f) {
    EXPECT_EQ(x.peak, 0) << x.name;
    EXPECT_EQ(x.fraction(), 0) << x.name;
  }
}

TEST(CudaProbe, SweepsSquareAndLlmShapes) {
  auto quick = cuda_gemm_shapes(true);
  ASSERT_EQ(quick.size(), 5u);
  EXPECT_EQ(quick.front(), (std::array<int64_t, 3>{512, 512, 512}));
  EXPECT_EQ(quick.back(), (std::array<int64_t, 3>{8192, 8192, 8192}));
  auto full = cuda_gemm_shapes(false);
  ASSERT_EQ(full.size(), 5u + 24u);
  EXPECT_EQ(full[5], (std::array<int64_t, 3>{1, 4096, 4096}));
  EXPECT_EQ(full.back(), (std::array<int64_t, 3>{8192, 128256, 4096}));
}

// The module is looked up once per process: this is the only test here that runs the CUDA
// probe, and it points the lookup at a file that does not exist, so no GPU is measured.
TEST(CudaProbe, MissingModuleSaysNoDeviceAndWhere) {
  if (!cuda_probe_built()) GTEST_SKIP() << "built without CUDA: there is no module to look for";
  ASSERT_EQ(setenv("FLOPSCOPE_CUDA_PROBE_MODULE", "/nonexistent/libflopscope_cuda_probe.so", 1), 0);
  auto r = run_cuda_probe({});
  unsetenv("FLOPSCOPE_CUDA_PROBE_MODULE");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(r.error().message,
            "no CUDA device found (the CUDA probe module libflopscope_cuda_probe.so is missing; "
            "looked in /nonexistent/libflopscope_cuda_probe.so)");
}

TEST(CudaProbe, WithoutCudaBuildSaysNoDevice) {
  if (cuda_probe_built()) GTEST_SKIP() << "built with CUDA: running it would measure the GPU";
  auto r = run_cuda_probe({});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(r.error().message,
            "no CUDA device found (this flopscope was built without CUDA: FLOPSCOPE_CUDA=OFF or nvcc missing)");
}

}  // namespace
}  // namespace flopscope::probe

namespace flopscope::probe {
namespace {

TEST(GuessHardwareId, MatchesDriverAndCpuNamesToCatalogIds) {
  const HardwareCatalog& catalog = HardwareCatalog::builtin();
  EXPECT_EQ(guess_hardware_id("NVIDIA H100 80GB HBM3", catalog), "h100-sxm");
  EXPECT_EQ(guess_hardware_id("NVIDIA H100 PCIe", catalog), "h100-pcie");
  EXPECT_EQ(guess_hardware_id("NVIDIA A100-SXM4-80GB", catalog), "a100-sxm-80gb");
  EXPECT_EQ(guess_hardware_id("NVIDIA L40S", catalog), "l40s");
  EXPECT_EQ(guess_hardware_id("AMD EPYC 9654 96-Core Processor", catalog), "epyc-9654");
  EXPECT_EQ(guess_hardware_id("Intel(R) Xeon(R) Platinum 8480+", catalog), "xeon-8480");
}

TEST(GuessHardwareId, UnknownDeviceGivesEmptyId) {
  const HardwareCatalog& catalog = HardwareCatalog::builtin();
  EXPECT_EQ(guess_hardware_id("AMD EPYC", catalog), "");
  EXPECT_EQ(guess_hardware_id("", catalog), "");
  EXPECT_EQ(guess_hardware_id("unknown CPU", catalog), "");
}

}  // namespace
}  // namespace flopscope::probe
