// Per-node FLOP and byte rules on ONNX graphs built here with the onnx.proto messages, and
// whole-graph counts of the fixtures in tests/data/onnx (derived in docs/model-files.md).
#include "flopscope/model/onnx/proto.h"

#include <gtest/gtest.h>

#include "common/onnx_model_builder.h"

#include <string>
#include <vector>

#include "flopscope/cost/graph_cost.h"
#include "flopscope/cost/params.h"
#include "flopscope/model/gguf_loader.h"
#include "flopscope/model/onnx_loader.h"

namespace flopscope {
namespace {

const std::string kData = FLOPSCOPE_TEST_DATA;

using testing::ModelBuilder;

// Cost of the graph's only node of `op_type`.
NodeCost cost_of(const Graph& g, const std::string& op_type) {
  for (const auto& n : g.nodes)
    if (n.op_type == op_type) return cost_node(g, n);
  ADD_FAILURE() << "no " << op_type << " node";
  return {};
}

TEST(OnnxConv, CountsGroupsStridesDilationsPads) {
  // x [1,8,32,32], w [16,4,3,3], group 2, stride 2, pad 1, dilation 2:
  // out = floor((32 + 2 - 2*(3-1) - 1) / 2) + 1 = 15 -> [1,16,15,15];
  // MACs = 16*15*15 outputs * (8/2)*3*3 taps = 129,600; bias adds 3,600.
  ModelBuilder b;
  b.input("x", {"1", "8", "32", "32"}).init("w", {16, 4, 3, 3}).init("b", {16}).output("y");
  auto* n = b.node("Conv", {"x", "w", "b"}, {"y"});
  ModelBuilder::i(n, "group", 2);
  ModelBuilder::ints(n, "strides", {2, 2});
  ModelBuilder::ints(n, "pads", {1, 1, 1, 1});
  ModelBuilder::ints(n, "dilations", {2, 2});
  auto g = b.load();
  ASSERT_TRUE(g) << g.error().message;
  EXPECT_EQ(g->tensors[static_cast<size_t>(g->find("y"))].dims, (std::vector<int64_t>{1, 16, 15, 15}));
  auto c = cost_of(*g, "Conv");
  EXPECT_EQ(c.flops_mac, 2.0 * 129600);
  EXPECT_EQ(c.flops, 2.0 * 129600 + 3600);
  EXPECT_EQ(g->parameter_count(), 16 * 4 * 9 + 16);
}

TEST(OnnxConvTranspose, CountsEveryInputTimesKernelAndOutputChannels) {
  // x [1,4,8,8], w [4,2,3,3], stride 2 -> y [1,2,17,17]; MACs = 256 inputs * 2*3*3 = 4,608.
  ModelBuilder b;
  b.input("x", {"1", "4", "8", "8"}).init("w", {4, 2, 3, 3}).output("y");
  ModelBuilder::ints(b.node("ConvTranspose", {"x", "w"}, {"y"}), "strides", {2, 2});
  auto g = b.load();
  ASSERT_TRUE(g) << g.error().message;
  EXPECT_EQ(g->tensors[static_cast<size_t>(g->find("y"))].dims, (std::vector<int64_t>{1, 2, 17, 17}));
  EXPECT_EQ(cost_of(*g, "ConvTranspose").flops_mac, 2.0 * 4608);
}

TEST(OnnxMatMul, CountsBatchedAndBroadcastProducts) {
  // [3,1,4,5] @ [2,5,6] -> [3,2,4,6]: 144 outputs * K 5 = 720 MACs.
  ModelBuilder b;
  b.input("a", {"3", "1", "4", "5"}).input("b", {"2", "5", "6"}).output("y");
  b.node("MatMul", {"a", "b"}, {"y"});
  auto g = b.load();
  ASSERT_TRUE(g) << g.error().message;
  auto c = cost_of(*g, "MatMul");
  EXPECT_EQ(c.flops_mac, 2.0 * 720);
  EXPECT_EQ(c.gemm.m, 4);
  EXPECT_EQ(c.gemm.n, 6);
  EXPECT_EQ(c.gemm.k, 5);
  EXPECT_EQ(c.gemm.batch, 6);
  EXPECT_EQ(c.bytes_read, (60 + 60) * 4.0);
  EXPECT_EQ(c.bytes_written, 144 * 4.0);
}

// Issue 11: a MatMul whose inputs disagree on K was counted without a word.
TEST(OnnxMatMul, MismatchedKIsNotCountedAndSaysSo) {
  ModelBuilder b;
  b.input("a", {"4", "5"}).input("b", {"6", "7"}).output("y");
  b.node("MatMul", {"a", "b"}, {"y"});
  auto g = b.load();
  ASSERT_TRUE(g) << g.error().message;
  auto c = cost_of(*g, "MatMul");
  EXPECT_EQ(c.flops_mac, 0);
  EXPECT_EQ(c.problem, "inputs disagree on K (A has 5, B has 6): not counted");
  auto gc = cost_graph(*g);
  ASSERT_FALSE(gc.warnings.empty());
  EXPECT_EQ(gc.warnings.back(), "MatMul 'MatMul1': inputs disagree on K (A has 5, B has 6): not counted");
}

TEST(OnnxGemm, HonoursTransposeAndCountsBiasOutsideMacs) {
  // A [4,8], B [16,8] with transB: M 4, N 16, K 8 -> 512 MACs; bias adds 64.
  ModelBuilder b;
  b.input("a", {"4", "8"}).init("w", {16, 8}).init("c", {16}).output("y");
  ModelBuilder::i(b.node("Gemm", {"a", "w", "c"}, {"y"}), "transB", 1);
  auto g = b.load();
  ASSERT_TRUE(g) << g.error().message;
  auto c = cost_of(*g, "Gemm");
  EXPECT_EQ(c.flops_mac, 1024);
  EXPECT_EQ(c.flops, 1024 + 64);
}

TEST(OnnxEinsum, CountsProductOfAllIndexExtents) {
  // bij,bjk->bik with b2 i3 j4 k5: 120 MACs.
  ModelBuilder b;
  b.input("a", {"2", "3", "4"}).input("b", {"2", "4", "5"}).output("y");
  ModelBuilder::s(b.node("Einsum", {"a", "b"}, {"y"}), "equation", "bij,bjk->bik");
  auto g = b.load();
  ASSERT_TRUE(g) << g.error().message;
  EXPECT_EQ(cost_of(*g, "Einsum").flops_mac, 240);
}

TEST(OnnxLstm, CountsGateMatmulsPerStepAndDirection) {
  // X [7,2,10], W [1,80,10], R [1,80,20]: 7*2 steps * 80*(10+20) = 33,600 MACs;
  // gate arithmetic 23 per hidden unit per step: 14*20*23 = 6,440.
  ModelBuilder b;
  b.input("x", {"7", "2", "10"}).init("w", {1, 80, 10}).init("r", {1, 80, 20}).output("y");
  ModelBuilder::i(b.node("LSTM", {"x", "w", "r"}, {"y"}), "hidden_size", 20);
  auto g = b.load();
  ASSERT_TRUE(g) << g.error().message;
  auto c = cost_of(*g, "LSTM");
  EXPECT_EQ(c.flops_mac, 2.0 * 33600);
  EXPECT_EQ(c.flops, 2.0 * 33600 + 6440);
}

TEST(OnnxGru, CountsBothDirections) {
  // X [5,1,8], W [2,48,8], R [2,48,16], bidirectional: 10 steps * 48*24 = 11,520 MACs;
  // 18 per hidden unit per step: 10*16*18 = 2,880.
  ModelBuilder b;
  b.input("x", {"5", "1", "8"}).init("w", {2, 48, 8}).init("r", {2, 48, 16}).output("y");
  auto* n = b.node("GRU", {"x", "w", "r"}, {"y"});
  ModelBuilder::i(n, "hidden_size", 16);
  ModelBuilder::s(n, "direction", "bidirectional");
  auto g = b.load();
  ASSERT_TRUE(g) << g.error().message;
  auto c = cost_of(*g, "GRU");
  EXPECT_EQ(c.flops_mac, 2.0 * 11520);
  EXPECT_EQ(c.flops, 2.0 * 11520 + 2880);
}

TEST(OnnxShapes, PropagatesThroughActivationsAndSoftmax) {
  ModelBuilder b;
  b.input("x", {"2", "3"}).output("z");
  b.node("Relu", {"x"}, {"r"});
  b.node("Sigmoid", {"r"}, {"s"});
  b.node("Softmax", {"s"}, {"z"});
  auto g = b.load();
  ASSERT_TRUE(g) << g.error().message;
  auto cost = cost_graph(*g);
  EXPECT_EQ(cost.flops_total, 6 * 1 + 6 * 3 + 6 * 5);
  EXPECT_EQ(cost.flops_mac, 0);
  EXPECT_TRUE(cost.unsupported.empty());
}

TEST(OnnxUnknownOp, IsReportedByNameAndCountedAsBytes) {
  ModelBuilder b;
  auto* op = b.model().add_opset_import();
  op->set_domain("custom");
  op->set_version(1);
  b.input("x", {"4"}).output("y");
  b.node("Frobnicate", {"x"}, {"y"})->set_domain("custom");
  auto g = b.load();
  ASSERT_TRUE(g) << g.error().message;
  auto cost = cost_graph(*g);
  EXPECT_EQ(cost.unsupported, (std::vector<std::string>{"custom.Frobnicate"}));
  EXPECT_FALSE(cost.nodes[0].has_rule);
  EXPECT_EQ(cost.nodes[0].bytes_read, 16);
}

TEST(OnnxDims, BindsSymbolicDimensions) {
  // x [batch, seq, 64] @ w [64, 32] with batch 2, seq 10: 2*10*32 outputs * 64 = 40,960 MACs.
  ModelBuilder b;
  b.input("x", {"batch", "seq", "64"}).init("w", {64, 32}).output("y");
  b.node("MatMul", {"x", "w"}, {"y"});
  auto g = b.load({{"batch", 2}, {"seq", 10}});
  ASSERT_TRUE(g) << g.error().message;
  EXPECT_EQ(cost_graph(*g).flops_mac, 2.0 * 40960);
}

TEST(OnnxWeights, InlineDataIsSkippedNotRead) {
  // A 1 MiB inline initializer: the stripped model keeps its dims and drops its bytes.
  ModelBuilder b;
  b.input("x", {"1", "512"}).init("w", {512, 512}).output("y");
  b.model().mutable_graph()->mutable_initializer(0)->set_raw_data(std::string(512 * 512 * 4, '\x01'));
  b.node("MatMul", {"x", "w"}, {"y"});
  std::string bytes = b.bytes();
  auto stripped = strip_onnx_weights(bytes, "t.onnx");
  ASSERT_TRUE(stripped) << stripped.error().message;
  EXPECT_LT(stripped->size(), 1024u);
  onnx::ModelProto back;
  ASSERT_TRUE(back.ParseFromString(*stripped));
  EXPECT_EQ(back.graph().initializer(0).dims_size(), 2);
  EXPECT_TRUE(back.graph().initializer(0).raw_data().empty());
  auto g = parse_onnx(bytes, "t.onnx");
  ASSERT_TRUE(g) << g.error().message;
  EXPECT_EQ(g->parameter_count(), 512 * 512);
  EXPECT_EQ(cost_graph(*g).flops_mac, 2.0 * 512 * 512);
}

TEST(OnnxGather, ReadsTheGatheredRowsNotTheTable) {
  // An embedding lookup: table [50000, 64] float, 8 int64 ids -> [8, 64].
  ModelBuilder b;
  b.input("ids", {"8"}, 7).init("table", {50000, 64}).output("y");
  b.node("Gather", {"table", "ids"}, {"y"});
  auto g = b.load();
  ASSERT_TRUE(g) << g.error().message;
  auto c = cost_of(*g, "Gather");
  EXPECT_EQ(c.kind, OpKind::kEmbedding);
  EXPECT_EQ(c.flops, 0);
  EXPECT_EQ(c.bytes_read, 8 * 8 + 8 * 64 * 4);
  EXPECT_EQ(c.bytes_written, 8 * 64 * 4);
}

TEST(OnnxPooling, CountsKernelTapsPerOutput) {
  // MaxPool 3x3 stride 2 pad 1 on [1,4,8,8] -> [1,4,4,4]: 64 outputs * 9 taps.
  ModelBuilder b;
  b.input("x", {"1", "4", "8", "8"}).output("y").output("z");
  auto* n = b.node("MaxPool", {"x"}, {"y"});
  ModelBuilder::ints(n, "kernel_shape", {3, 3});
  ModelBuilder::ints(n, "strides", {2, 2});
  ModelBuilder::ints(n, "pads", {1, 1, 1, 1});
  b.node("GlobalAveragePool", {"x"}, {"z"});
  auto g = b.load();
  ASSERT_TRUE(g) << g.error().message;
  EXPECT_EQ(cost_of(*g, "MaxPool").flops, 64 * 9);
  EXPECT_EQ(cost_of(*g, "GlobalAveragePool").flops, 256 + 4);
}

TEST(OnnxNorms, LayerNormBatchNormAndInstanceNorm) {
  ModelBuilder b;
  b.input("x", {"2", "3", "4", "4"}).init("s", {3}).init("bb", {3}).init("m", {3}).init("v", {3}).init("ls", {4});
  b.output("bn").output("ln").output("in");
  b.node("BatchNormalization", {"x", "s", "bb", "m", "v"}, {"bn"});
  b.node("LayerNormalization", {"x", "ls"}, {"ln"});
  b.node("InstanceNormalization", {"x", "s", "bb"}, {"in"});
  auto g = b.load();
  ASSERT_TRUE(g) << g.error().message;
  EXPECT_EQ(cost_of(*g, "BatchNormalization").flops, 96 * 2);
  EXPECT_EQ(cost_of(*g, "LayerNormalization").flops, 96 * 5);
  EXPECT_EQ(cost_of(*g, "InstanceNormalization").flops, 96 * 5);
}

TEST(OnnxResize, LinearInterpolationPerResizedAxis) {
  // [1,2,4,4] -> [1,2,8,8] linear: 128 outputs * 2 axes * 3.
  ModelBuilder b;
  b.input("x", {"1", "2", "4", "4"}).init("scales", {4}).output("y");
  auto* t = b.model().mutable_graph()->mutable_initializer(0);
  for (float v : {1.f, 1.f, 2.f, 2.f}) t->add_float_data(v);
  ModelBuilder::s(b.node("Resize", {"x", "", "scales"}, {"y"}), "mode", "linear");
  auto g = b.load();
  ASSERT_TRUE(g) << g.error().message;
  EXPECT_EQ(g->tensors[static_cast<size_t>(g->find("y"))].dims, (std::vector<int64_t>{1, 2, 8, 8}));
  EXPECT_EQ(cost_of(*g, "Resize").flops, 128 * 2 * 3);
}

TEST(OnnxAttention, FusedMultiHeadAttentionCountsBothMatmulsAndSoftmax) {
  // com.microsoft MultiHeadAttention: Q, K, V [2, 16, 64] with 4 heads (d 16), kv 16:
  // pairs 2*4*16*16 = 2048; MACs 2048 * (16 + 16).
  ModelBuilder b;
  auto* op = b.model().add_opset_import();
  op->set_domain("com.microsoft");
  op->set_version(1);
  b.input("q", {"2", "16", "64"}).input("k", {"2", "16", "64"}).input("v", {"2", "16", "64"}).output("y");
  auto* n = b.node("MultiHeadAttention", {"q", "k", "v"}, {"y"});
  n->set_domain("com.microsoft");
  ModelBuilder::i(n, "num_heads", 4);
  auto g = b.load();
  ASSERT_TRUE(g) << g.error().message;
  // ONNX 1.12 has no schema for the contrib op: give y its shape as value_info would.
  auto& y = g->tensors[static_cast<size_t>(g->find("y"))];
  y.has_shape = true;
  y.dims = {2, 16, 64};
  y.type = ElemType::kFloat;
  auto c = cost_of(*g, "MultiHeadAttention");
  EXPECT_EQ(c.kind, OpKind::kAttention);
  EXPECT_EQ(c.flops_mac, 2.0 * 2048 * 32);
  EXPECT_EQ(c.flops, 2.0 * 2048 * 32 + 5 * 2048);
  EXPECT_EQ(c.attention.heads, 4);
  EXPECT_EQ(c.attention.head_dim_qk, 16);
}

TEST(OnnxLowering, OneOpPerNodeWithGemmShapes) {
  ModelBuilder b;
  b.input("a", {"4", "8"}).init("w", {8, 16}).output("y");
  b.node("MatMul", {"a", "w"}, {"m"});
  b.node("Relu", {"m"}, {"y"});
  auto g = b.load();
  ASSERT_TRUE(g) << g.error().message;
  auto ops = lower_graph(cost_graph(*g));
  ASSERT_EQ(ops.size(), 2u);
  EXPECT_EQ(ops[0].kind, OpKind::kGemm);
  EXPECT_EQ(ops[0].gemm.m, 4);
  EXPECT_EQ(ops[0].gemm.n, 16);
  EXPECT_EQ(ops[0].gemm.k, 8);
  EXPECT_EQ(ops[0].dtype, DType::kFP32);
  EXPECT_EQ(ops[1].kind, OpKind::kElementwise);
  EXPECT_EQ(totals(ops).flops, 2.0 * 4 * 16 * 8 + 64);
}

// A GGUF file's spec must count exactly the parameters its tensors hold (count_params is
// the lead's reference count). File written byte by byte as in gguf_reader_test.cc.
std::string gguf_llama(bool tied) {
  std::string b;
  auto u32 = [&](uint32_t v) { b.append(reinterpret_cast<const char*>(&v), 4); };
  auto u64 = [&](uint64_t v) { b.append(reinterpret_cast<const char*>(&v), 8); };
  auto str = [&](const std::string& s) {
    u64(s.size());
    b += s;
  };
  struct T {
    std::string name;
    std::vector<uint64_t> ne;
  };
  std::vector<T> ts = {{"token_embd.weight", {64, 96}}, {"output_norm.weight", {64}}};
  if (!tied) ts.push_back({"output.weight", {64, 96}});
  for (int i = 0; i < 2; ++i) {
    std::string p = "blk." + std::to_string(i) + ".";
    for (const T& t : std::vector<T>{{p + "attn_norm.weight", {64}},   {p + "attn_q.weight", {64, 64}},
                                     {p + "attn_k.weight", {64, 32}},   {p + "attn_v.weight", {64, 32}},
                                     {p + "attn_output.weight", {64, 64}}, {p + "ffn_norm.weight", {64}},
                                     {p + "ffn_gate.weight", {64, 128}}, {p + "ffn_up.weight", {64, 128}},
                                     {p + "ffn_down.weight", {128, 64}}})
      ts.push_back(t);
  }
  b += "GGUF";
  u32(3);
  u64(ts.size());
  u64(7);
  str("general.architecture");
  u32(8);
  str("llama");
  for (auto [k, v] : std::vector<std::pair<std::string, uint32_t>>{{"llama.embedding_length", 64},
                                                                     {"llama.block_count", 2},
                                                                     {"llama.attention.head_count", 4},
                                                                     {"llama.attention.head_count_kv", 2},
                                                                     {"llama.feed_forward_length", 128}}) {
    str(k);
    u32(4);
    u32(v);
  }
  str("llama.attention.layer_norm_rms_epsilon");
  u32(6);
  float eps = 1e-5f;
  b.append(reinterpret_cast<const char*>(&eps), 4);
  uint64_t offset = 0;
  for (const auto& t : ts) {
    str(t.name);
    u32(static_cast<uint32_t>(t.ne.size()));
    for (auto d : t.ne) u64(d);
    u32(0);  // F32
    u64(offset);
    uint64_t n = 1;
    for (auto d : t.ne) n *= d;
    offset += (n * 4 + 31) / 32 * 32;
  }
  while (b.size() % 32) b.push_back('\0');
  b.append(offset, '\0');
  return b;
}

TEST(GgufSpec, CountParamsMatchesTheTensors) {
  for (bool tied : {false, true}) {
    auto f = parse_gguf(gguf_llama(tied), "t.gguf");
    ASSERT_TRUE(f) << f.error().message;
    auto spec = gguf_to_transformer(*f, "t.gguf");
    ASSERT_TRUE(spec) << spec.error().message;
    EXPECT_EQ(count_params(*spec).total, f->parameter_count()) << (tied ? "tied" : "untied");
  }
}

// The fixtures, at their exported shapes. params: the exact element count of the weight
// initializers (python3-onnx agrees; docs/model-files.md explains the difference from
// PyTorch's module counts: folded BatchNorm, deduplicated identical initializers).
// flops_mac: derived by hand for the transformers (docs/model-files.md) and equal to the
// published torchvision MACs (resnet50 4.09 G, ...) times 2 for the CNNs.
struct FixtureCount {
  const char* file;
  int64_t params;
  double flops_mac;
  size_t nodes;
};

class OnnxFixture : public ::testing::TestWithParam<FixtureCount> {};

TEST_P(OnnxFixture, LoadsWithoutWeightsAndCountsExactly) {
  const auto& f = GetParam();
  auto g = load_onnx(kData + "/onnx/" + f.file);
  ASSERT_TRUE(g) << g.error().message;
  auto cost = cost_graph(*g);
  EXPECT_EQ(cost.params, f.params);
  EXPECT_EQ(cost.flops_mac, f.flops_mac);
  EXPECT_EQ(cost.nodes.size(), f.nodes);
  EXPECT_TRUE(cost.unsupported.empty()) << cost.unsupported.front();
  for (const auto& n : cost.nodes) EXPECT_TRUE(n.shape_known) << n.name;
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, OnnxFixture,
    ::testing::Values(
        // 12 layers * 128*768*(4*768 + 2*3072) + 12 * 2*128^2*768 + pooler 768^2 MACs.
        FixtureCount{"bert-base.onnx", 109'398'528, 2.0 * 11'174'215'680, 491},
        FixtureCount{"convnext_tiny.onnx", 28'533'928, 8'911'062'528, 454},
        FixtureCount{"efficientnet_b0.onnx", 5'242'196, 771'629'504, 298},
        // 12 layers as bert (no pooler) + LM head 128*768*50257 MACs.
        FixtureCount{"gpt2.onnx", 124'320'000, 2.0 * 16'114'089'984, 527},
        // 4 layers * (4*128*512^2 + 3*128*512*1376 + 2*128^2*512) + 128*512*32000 MACs.
        FixtureCount{"llama-tiny.onnx", 45'482'496, 2.0 * 3'783'262'208, 248},
        FixtureCount{"mobilenet_v3_large.onnx", 5'457'176, 433'179'520, 185},
        // conv weights 23,454,912 + fc 2,049,000 + unique folded conv biases 4,032.
        FixtureCount{"resnet50.onnx", 25'507'944, 2.0 * 4'089'184'256, 169},
        // 12 layers * (197*768*9216 + 2*197^2*768) + patch conv 196*768*768 + head 768*1000.
        FixtureCount{"vit_b_16.onnx", 86'519'809, 2.0 * 17'563'828'224, 524}),
    [](const auto& param_info) {
      std::string n = param_info.param.file;
      n = n.substr(0, n.find('.'));
      for (auto& ch : n)
        if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
      return n;
    });

}  // namespace
}  // namespace flopscope
