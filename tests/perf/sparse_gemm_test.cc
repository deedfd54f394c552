// 2:4 structured sparsity in the timing engine (issue 13, item 1; docs/compression.md): sparse
// GEMMs run at the hardware's sparse peak where it has one, dense otherwise.
#include <gtest/gtest.h>

#include "flopscope/cost/op.h"
#include "flopscope/perf/timing_engine.h"
#include "perf_test_hardware.h"

namespace flopscope {
namespace {

Op sparse(Op op) {
  op.sparse_24 = true;
  return op;
}

TEST(SparseGemm, ComputeBoundGemmHalvesAtTheSparsePeak) {
  Hardware hw = testing::h100_sxm();
  hw.flops_peak_sparse[static_cast<size_t>(DType::kBF16)] = 2 * hw.peak(DType::kBF16);
  TimingEngine e(hw, nullptr, Software::kGraphs, default_efficiency("h100-sxm"));
  Op dense = make_gemm("big", 8192, 8192, 8192, DType::kBF16);
  OpTiming d = e.time(dense), s = e.time(sparse(dense));
  EXPECT_DOUBLE_EQ(s.seconds_compute, d.seconds_compute / 2);
  EXPECT_DOUBLE_EQ(s.seconds_memory, d.seconds_memory);  // the op's bytes are the lowering's business
}

TEST(SparseGemm, HardwareWithoutASparsePeakRunsItDense) {
  Hardware hw = testing::h100_sxm();  // flops_peak_sparse left at 0
  TimingEngine e(hw, nullptr, Software::kGraphs, default_efficiency("h100-sxm"));
  Op dense = make_gemm("big", 8192, 8192, 8192, DType::kBF16);
  EXPECT_DOUBLE_EQ(e.time(sparse(dense)).seconds, e.time(dense).seconds);
}

}  // namespace
}  // namespace flopscope
