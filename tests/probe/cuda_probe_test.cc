// What the CUDA probe's loader does with the module's raw timings; runs without a GPU.
#include "flopscope/probe/cuda_probe.h"

#include <gtest/gtest.h>

namespace flopscope::probe {
namespace {

TEST(ApplyCopySweep, SetsLaunchCostAndBandwidthFromTheLine) {
  CudaProbeResult r;
  r.profile.seconds_launch_overhead = 1;  // stale values must not survive
  for (double mib : {1.0, 4.0, 16.0, 64.0, 256.0, 1024.0}) {
    double bytes = 2 * mib * (1 << 20);
    r.copy_sweep.push_back({bytes, 5.5e-6 + bytes / 4.3e12});
  }
  apply_copy_sweep(r);
  EXPECT_NEAR(r.profile.seconds_launch_overhead, 5.5e-6, 1e-11);
  EXPECT_NEAR(r.profile.bytes_per_second_copy / 4.3e12, 1.0, 1e-9);
  EXPECT_TRUE(r.notes.empty());
}

TEST(ApplyCopySweep, LeavesBothUnmeasuredWithANoteWhenNoLineFits) {
  CudaProbeResult r;
  r.profile.bytes_per_second_copy = 3e12;
  r.copy_sweep = {{2e6, 1e-3}, {2e9, 1e-5}};  // bigger and faster: no positive bandwidth
  apply_copy_sweep(r);
  EXPECT_EQ(r.profile.seconds_launch_overhead, 0);
  EXPECT_EQ(r.profile.bytes_per_second_copy, 0);
  ASSERT_EQ(r.notes.size(), 1u);
  EXPECT_NE(r.notes[0].find("fit no line"), std::string::npos);
}

}  // namespace
}  // namespace flopscope::probe
