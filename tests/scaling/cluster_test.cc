// The layouts the analyses use on many devices (scaling/cluster.h).
#include "flopscope/scaling/cluster.h"

#include <gtest/gtest.h>

#include "flopscope/hw/hardware.h"

namespace flopscope {
namespace {

const Hardware& h100() { return **HardwareCatalog::builtin().find("h100-sxm"); }

TEST(Cluster, A70BOn64H100TrainsAtPublishedMfuWithASplitLayout) {
  auto c = cluster_mfu(h100(), 70e9, 64);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_TRUE(c->fits);
  EXPECT_EQ(c->gpus, 64);
  EXPECT_EQ(c->system, "dgx-h100");
  // 70B does not fit replicated (16 B/param > 80 GB): the layout splits it.
  EXPECT_EQ(c->layout.find("tp 1 pp 1"), std::string::npos) << c->layout;
  // Published large dense runs on H100 report 38-56% MFU (docs/parallelism.md).
  EXPECT_GT(c->mfu, 0.3);
  EXPECT_LT(c->mfu, 0.65);
}

TEST(Cluster, DefaultClusterGrowsWithTheBudgetAndHoldsTheModel) {
  auto small = default_cluster(h100(), 8e9, 1e22, 90 * 86400.0);
  auto large = default_cluster(h100(), 8e9, 1e24, 90 * 86400.0);
  ASSERT_TRUE(small.ok() && large.ok());
  EXPECT_TRUE(small->fits);
  EXPECT_GE(small->gpus, 8);
  EXPECT_GT(large->gpus, small->gpus);
  // The cluster trains the budget within the limit at its predicted MFU.
  EXPECT_LE(1e24 / (static_cast<double>(large->gpus) * h100().peak(DType::kBF16) * large->mfu), 90 * 86400.0);
}

TEST(Cluster, LlamaShapedLargeModelsSplitOverEightTensorRanks) {
  for (double n : {7e9, 70e9, 400e9}) {
    TransformerSpec s = llama_shaped(n);
    EXPECT_EQ(s.num_heads % 8, 0) << n;
    EXPECT_NEAR(12.0 * static_cast<double>(s.num_layers) * static_cast<double>(s.hidden_size * s.hidden_size) / n, 1.0,
                0.35)
        << n;
  }
}

TEST(Cluster, BadDeviceCountIsAnError) {
  EXPECT_FALSE(cluster_mfu(h100(), 7e9, 0).ok());
}

}  // namespace
}  // namespace flopscope
