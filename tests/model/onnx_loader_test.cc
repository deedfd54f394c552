// ONNX loading: shapes, symbolic dims, weights skipped, and the corruption matrix, on
// graphs built here with the onnx.proto messages.
#include "flopscope/model/onnx/proto.h"

#include <gtest/gtest.h>

#include "common/onnx_model_builder.h"

#include <filesystem>
#include <set>
#include <string>
#include <vector>

#include "flopscope/model/onnx/internal.h"
#include "flopscope/model/onnx/module.h"
#include "flopscope/util/module.h"
#include "flopscope/model/onnx_loader.h"

namespace flopscope {
namespace {


using testing::ModelBuilder;

TEST(OnnxShapes, OwnPropagationCoversWhatOnnxLeavesUnshaped) {
  ModelBuilder b;
  b.input("x", {"2", "3"}).output("y");
  b.node("Relu", {"x"}, {"r"});
  b.node("Tanh", {"r"}, {"y"});
  OnnxLoadOptions o;
  o.infer_shapes = false;
  auto g = parse_onnx(b.bytes(), "t.onnx", o);
  ASSERT_TRUE(g) << g.error().message;
  EXPECT_EQ(g->tensors[static_cast<size_t>(g->find("y"))].dims, (std::vector<int64_t>{2, 3}));
}

TEST(OnnxDims, UnboundDimensionIsAnErrorThatNamesIt) {
  ModelBuilder b;
  b.input("x", {"batch", "seq", "64"}).init("w", {64, 32}).output("y");
  b.node("MatMul", {"x", "w"}, {"y"});
  auto g = b.load({{"batch", 2}});
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().message, "t.onnx: input 'x': dimension 'seq' of [batch,seq,64] is symbolic: bind it with --dim seq=VALUE");
}

TEST(OnnxDims, BindingAnUnknownNameIsAnError) {
  ModelBuilder b;
  b.input("x", {"batch", "4"}).output("y");
  b.node("Relu", {"x"}, {"y"});
  auto g = b.load({{"batch", 2}, {"sequence", 8}});
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().message, "t.onnx: --dim sequence: no input has a dimension named 'sequence' (symbolic: batch)");
}

TEST(OnnxDims, ParsesBindings) {
  auto d = parse_dim_bindings({"batch=8", "sequence=4096"});
  ASSERT_TRUE(d);
  EXPECT_EQ((*d)[1].name, "sequence");
  EXPECT_EQ((*d)[1].value, 4096);
  auto bad = parse_dim_bindings({"batch"});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().message, "--dim batch: expected NAME=VALUE with VALUE an integer in 1..2^40, got 'batch'");
  EXPECT_FALSE(parse_dim_bindings({"batch=0"}));
  EXPECT_FALSE(parse_dim_bindings({"batch=-3"}));
  EXPECT_FALSE(parse_dim_bindings({"batch=99999999999999999999"}));
}

TEST(OnnxGraph, CycleIsAnError) {
  ModelBuilder b;
  b.input("x", {"2"}).output("b");
  b.node("Add", {"x", "b"}, {"a"}, "first");
  b.node("Relu", {"a"}, {"b"}, "second");
  auto g = b.load();
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().message, "t.onnx: graph: expected an acyclic graph, got a cycle through node 'first'");
}

TEST(OnnxGraph, DanglingInputIsAnError) {
  ModelBuilder b;
  b.input("x", {"2"}).output("y");
  b.node("Add", {"x", "nope"}, {"y"}, "add");
  auto g = b.load();
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().message, "t.onnx: graph: node 'add': input 'nope' is not produced by any node, graph input or initializer");
}

TEST(OnnxGraph, TwoProducersOfOneTensorIsAnError) {
  ModelBuilder b;
  b.input("x", {"2"}).output("y");
  b.node("Relu", {"x"}, {"y"}, "one");
  b.node("Tanh", {"x"}, {"y"}, "two");
  auto g = b.load();
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().message, "t.onnx: graph: node 'two': output 'y' is already produced by another node or initializer");
}

TEST(OnnxCorrupt, EmptyFile) {
  auto g = parse_onnx("", "t.onnx");
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().message, "t.onnx: model: expected an ONNX ModelProto, got an empty file");
}

TEST(OnnxCorrupt, ClaimedLengthBeyondTheFile) {
  // Field 7 (graph), wire type 2, length 2^32 - 1 with nothing after it.
  auto g = parse_onnx(std::string("\x3a\xff\xff\xff\xff\x0f", 6), "t.onnx");
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().message, "t.onnx: model: expected a protobuf message, got length 4294967295 exceeds the 0 bytes left at byte 6");
}

TEST(OnnxCorrupt, UnterminatedVarint) {
  auto g = parse_onnx(std::string("\x08\xff\xff", 3), "t.onnx");
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().message, "t.onnx: model: expected a protobuf message, got truncated varint at byte 3");
}

TEST(OnnxCorrupt, TruncatedModel) {
  ModelBuilder b;
  b.input("x", {"2", "3"}).output("y");
  b.node("Relu", {"x"}, {"y"});
  std::string bytes = b.bytes();
  for (size_t cut = 1; cut < bytes.size(); ++cut) {
    auto g = parse_onnx(std::string_view(bytes).substr(0, cut), "t.onnx");
    if (g) continue;  // a prefix can be a valid smaller message
    EXPECT_EQ(g.error().message.rfind("t.onnx: ", 0), 0u) << g.error().message;
  }
}

TEST(OnnxCorrupt, AbsurdInitializerDims) {
  ModelBuilder b;
  b.input("x", {"2"}).init("w", {int64_t{1} << 50}).output("y");
  b.node("Add", {"x", "w"}, {"y"});
  auto g = b.load();
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().message, "t.onnx: initializer 'w': expected dims in 0..2^40, got 1125899906842624");
}

TEST(OnnxCorrupt, ElementCountOverflow) {
  ModelBuilder b;
  b.input("x", {"2"}).init("w", {int64_t{1} << 30, int64_t{1} << 30, 4}).output("y");
  b.node("Add", {"x", "w"}, {"y"});
  auto g = b.load();
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().message, "t.onnx: initializer 'w': expected at most 2^50 elements");
}

TEST(OnnxCorrupt, AbsurdInputDims) {
  ModelBuilder b;
  b.input("x", {"2000000000000", "2000000000000"}).output("y");
  b.node("Relu", {"x"}, {"y"});
  auto g = b.load();
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().message, "t.onnx: tensor 'x': expected dims in 0..2^40, got [2000000000000,2000000000000]");
}

// Found by fuzz_onnx (tests/fuzz/corpus/onnx/crash-8f03d02a...): libonnx's shape inference
// divides by the strides and took SIGFPE on a zero.
TEST(OnnxCorrupt, ZeroStrideIsAnErrorBeforeShapeInference) {
  ModelBuilder b;
  b.input("x", {"1", "8", "16", "16"}).init("w", {16, 8, 3, 3}).output("y");
  ModelBuilder::ints(b.node("Conv", {"x", "w"}, {"y"}, "conv"), "strides", {2, 0});
  auto g = b.load();
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().message, "t.onnx: node 'conv': strides: expected integers in 1..2^40, got [2,0]");
}

// Found by fuzz_onnx (tests/fuzz/corpus/onnx/crash-525ba4b1...): a rank-5 weight on a
// rank-4 input made libonnx's Conv shape inference read out of bounds.
TEST(OnnxCorrupt, ConvWeightRankMismatchIsAnError) {
  ModelBuilder b;
  b.input("x", {"1", "8", "16", "16"}).init("w", {16, 4, 3, 3, 1}).output("y");
  b.node("Conv", {"x", "w"}, {"y"}, "conv");
  auto g = b.load();
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().message, "t.onnx: node 'conv': expected a weight of rank 4 like the input, got rank 5");
}

// Found by fuzz_onnx (tests/fuzz/corpus/onnx/crash-conv-after-less): a Conv fed by a
// broadcast of rank-2 tensors, unshaped until ONNX's inference ran, made libonnx's Conv
// inference read through a null pointer. Ranks known before inference are now checked.
TEST(OnnxCorrupt, ConvOnARank2ResultIsAnErrorBeforeInference) {
  ModelBuilder b;
  b.input("x", {"1", "8", "4", "2"}).init("g", {38, 64}).init("w", {1, 16, 2}).output("y");
  b.node("Flatten", {"x"}, {"f"});
  b.node("Less", {"f", "g"}, {"l"});
  b.node("Conv", {"l", "w"}, {"y"}, "conv");
  auto g = b.load();
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().message, "t.onnx: node 'conv': expected an input of rank >= 3, got rank 2");
}

// Found by fuzz_onnx (tests/fuzz/corpus/onnx/crash-conv-without-x): a Conv whose X is the
// empty name made libonnx's Conv inference read through a null pointer.
TEST(OnnxCorrupt, ConvWithoutItsInputIsAnError) {
  ModelBuilder b;
  b.input("x", {"1", "8", "16", "16"}).init("w", {16, 8, 3, 3}).output("y");
  b.node("Relu", {"x"}, {"r"});
  b.node("Conv", {"", "w"}, {"y"}, "conv");
  auto g = b.load();
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().message, "t.onnx: node 'conv': expected an input X, got none");
}

// Found by fuzz_onnx (tests/fuzz/corpus/onnx/crash-lstm-rank4): libonnx's LSTM inference
// read a rank-4 X out of bounds.
TEST(OnnxCorrupt, RecurrentInputOfRank4IsAnError) {
  ModelBuilder b;
  b.input("x", {"1", "8", "16", "16"}).init("w", {1, 16, 16}).init("r", {1, 16, 4}).output("y");
  ModelBuilder::i(b.node("LSTM", {"x", "w", "r"}, {"y"}, "lstm"), "hidden_size", 4);
  auto g = b.load();
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().message, "t.onnx: node 'lstm': X: expected rank 3, got rank 4");
}

TEST(OnnxCorrupt, PoolWithoutKernelIsAnError) {
  ModelBuilder b;
  b.input("x", {"1", "8", "16", "16"}).output("y");
  ModelBuilder::ints(b.node("MaxPool", {"x"}, {"y"}, "pool"), "strides", {2, 2});
  auto g = b.load();
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().message, "t.onnx: node 'pool': kernel_shape: expected the attribute, got none");
}

TEST(OnnxCorrupt, ZeroGroupIsAnError) {
  ModelBuilder b;
  b.input("x", {"1", "8", "16", "16"}).init("w", {16, 8, 3, 3}).output("y");
  ModelBuilder::i(b.node("Conv", {"x", "w"}, {"y"}, "conv"), "group", 0);
  auto g = b.load();
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().message, "t.onnx: node 'conv': group: expected integers in 1..2^40, got 0");
}

TEST(OnnxCorrupt, NoGraph) {
  onnx::ModelProto m;
  m.set_ir_version(8);
  auto g = parse_onnx(m.SerializeAsString(), "t.onnx");
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().message, "t.onnx: model: expected a graph, got none");
}

TEST(OnnxWeights, ConstantNodeWeightsAreSkippedToo) {
  ModelBuilder b;
  b.input("x", {"1", "256"}).output("y");
  auto* c = b.node("Constant", {}, {"w"});
  auto* a = c->add_attribute();
  a->set_name("value");
  a->set_type(onnx::AttributeProto::TENSOR);
  a->mutable_t()->set_data_type(1);
  a->mutable_t()->add_dims(256);
  a->mutable_t()->add_dims(256);
  a->mutable_t()->set_raw_data(std::string(256 * 256 * 4, '\x02'));
  b.node("MatMul", {"x", "w"}, {"y"});
  auto stripped = strip_onnx_weights(b.bytes(), "t.onnx");
  ASSERT_TRUE(stripped) << stripped.error().message;
  EXPECT_LT(stripped->size(), 1024u);
  auto g = b.load();
  ASSERT_TRUE(g) << g.error().message;
  EXPECT_EQ(g->tensors[static_cast<size_t>(g->find("y"))].dims, (std::vector<int64_t>{1, 256}));
}

TEST(OnnxWeights, ShapeVectorsAndScalarsAreNotParameters) {
  ModelBuilder b;
  b.input("x", {"2", "6"}).init("shape", {2}, 7).init("scale", {}, 1).init("bias", {3}, 1).output("y");
  auto* t = b.model().mutable_graph()->mutable_initializer(0);
  t->add_int64_data(4);
  t->add_int64_data(3);
  b.node("Reshape", {"x", "shape"}, {"r"});
  b.node("Mul", {"r", "scale"}, {"m"});
  b.node("Add", {"m", "bias"}, {"y"});
  auto g = b.load();
  ASSERT_TRUE(g) << g.error().message;
  EXPECT_EQ(g->parameter_count(), 3);
  EXPECT_EQ(g->tensors[static_cast<size_t>(g->find("y"))].dims, (std::vector<int64_t>{4, 3}));
}

// A model with 10 weights of 16 KiB (initializers and a Constant) between small fields.
ModelBuilder weighty_model() {
  ModelBuilder b;
  b.input("x", {"1", "64"}).output("y");
  std::string prev = "x";
  for (int i = 0; i < 10; ++i) {
    const std::string w = "w" + std::to_string(i), out = i == 9 ? "y" : "h" + std::to_string(i);
    b.init(w, {64, 64});
    b.model().mutable_graph()->mutable_initializer(i)->set_raw_data(std::string(64 * 64 * 4, '\x01'));
    b.node("MatMul", {prev, w}, {out});
    prev = out;
  }
  return b;
}

TEST(OnnxWeights, StrippedModelIsTheModelWithoutItsDataFields) {
  ModelBuilder b = weighty_model();
  auto stripped = strip_onnx_weights(b.bytes(), "t.onnx");
  ASSERT_TRUE(stripped) << stripped.error().message;
  onnx::ModelProto want = b.model();
  for (auto& t : *want.mutable_graph()->mutable_initializer()) t.clear_raw_data();
  onnx::ModelProto got;
  ASSERT_TRUE(got.ParseFromString(*stripped));
  EXPECT_EQ(got.SerializeAsString(), want.SerializeAsString());
}

// A message over 2 GiB is read by one CodedInputStream after another (onnx_wire.cc): the
// same walk with 64-byte streams gives the same bytes, and the same errors.
TEST(OnnxWeights, MessagesLargerThanOneStreamStripAlike) {
  const std::string bytes = weighty_model().bytes();
  auto whole = strip_onnx_weights(bytes, "t.onnx");
  ASSERT_TRUE(whole) << whole.error().message;
  for (size_t window : {64, 100, 4097, 5000}) {
    auto windowed = onnx_detail::strip_weights(bytes, "t.onnx", window);
    ASSERT_TRUE(windowed) << window << ": " << windowed.error().message;
    EXPECT_EQ(*windowed, *whole) << window;
  }
  const std::string cut = bytes.substr(0, bytes.size() - 3);
  auto a = strip_onnx_weights(cut, "t.onnx");
  auto c = onnx_detail::strip_weights(cut, "t.onnx", 64);
  ASSERT_FALSE(a);
  ASSERT_FALSE(c);
  EXPECT_EQ(a.error().message, c.error().message);
}

TEST(OnnxCorrupt, GroupWireTypeIsAnError) {
  // Field 1 with wire type 3 (start group): not in onnx.proto.
  auto g = parse_onnx(std::string("\x0b", 1), "t.onnx");
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().message, "t.onnx: model: expected a protobuf message, got unsupported wire type 3 at byte 1");
}

TEST(OnnxCorrupt, NestedLengthBeyondItsMessage) {
  // graph (7) of 3 bytes holding node (1) that claims 5 bytes: offsets count within the graph.
  auto g = parse_onnx(std::string("\x3a\x03\x0a\x05\x00", 5), "t.onnx");
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().message, "t.onnx: graph: expected a protobuf message, got length 5 exceeds the 1 bytes left at byte 2");
}

// tests/data/corrupt: one file per defect, each with its message.
TEST(OnnxCorruptFiles, EachFailsWithItsMessage) {
  const std::string dir = std::string(FLOPSCOPE_TEST_DATA) + "/corrupt/";
  struct Case {
    const char* file;
    const char* message;
  };
  for (const auto& c : std::vector<Case>{
           {"claimed_length_4gb.onnx", "model: expected a protobuf message, got length 4294967295 exceeds the 0 bytes left at byte 6"},
           {"cycle.onnx", "graph: expected an acyclic graph, got a cycle through node 'first'"},
           {"absurd_dims.onnx", "initializer 'w': expected dims in 0..2^40, got 1125899906842624"},
           {"unbound_dim.onnx", "input 'x': dimension 'batch' of [batch,4] is symbolic: bind it with --dim batch=VALUE"},
       }) {
    auto g = load_onnx(dir + c.file);
    ASSERT_FALSE(g) << c.file;
    EXPECT_EQ(g.error().message, dir + c.file + ": " + c.message);
  }
  auto truncated = load_onnx(dir + "truncated_resnet50.onnx");
  ASSERT_FALSE(truncated);
  EXPECT_EQ(truncated.error().message.rfind(dir + "truncated_resnet50.onnx: ", 0), 0u) << truncated.error().message;
}

// The seeds and the inputs that once broke fuzz_onnx (tests/fuzz/corpus/onnx) must load
// or fail cleanly, with the file named in the message.
// The seeds with a defect (the tests/data/corrupt cases) fail, the valid seed loads into a
// graph with nodes once its batch is bound, and the fuzzer's finds (crash-*) load or fail
// naming the file.
TEST(OnnxCorruptFiles, FuzzCorpusLoadsOrFailsCleanly) {
  const std::string dir = std::string(FLOPSCOPE_TEST_DATA) + "/../fuzz/corpus/onnx";
  const std::set<std::string> must_fail = {"absurd_dims.onnx", "claimed_length_4gb.onnx", "cycle.onnx",
                                           "unbound_dim.onnx"};
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    ++files;
    const std::string name = e.path().filename().string();
    auto g = load_onnx(e.path().string());
    if (name == "small_mixed.onnx") {
      // Its batch is symbolic: it asks for a binding, and loads with one.
      ASSERT_FALSE(g.ok());
      EXPECT_NE(g.error().message.find("dimension 'batch' of [batch,3,5] is symbolic"), std::string::npos)
          << g.error().message;
      auto dims = parse_dim_bindings({"batch=2"});
      ASSERT_TRUE(dims.ok()) << dims.error().message;
      auto bound = load_onnx(e.path().string(), OnnxLoadOptions{*dims});
      ASSERT_TRUE(bound.ok()) << bound.error().message;
      EXPECT_FALSE(bound->nodes.empty());
      continue;
    }
    if (must_fail.count(name)) {
      EXPECT_FALSE(g.ok()) << name << " loaded";
    }
    if (!g) {
      EXPECT_EQ(g.error().message.rfind(e.path().string() + ": ", 0), 0u) << g.error().message;
    }
  }
  EXPECT_GE(files, 7u);
}

TEST(OnnxFile, MissingFileIsNotFound) {
  auto g = load_onnx("/nonexistent/m.onnx");
  ASSERT_FALSE(g);
  EXPECT_EQ(g.error().kind, ErrorKind::kNotFound);
  EXPECT_EQ(g.error().message, "/nonexistent/m.onnx: cannot open: no such file");
}

}  // namespace
}  // namespace flopscope

// The ONNX reader is a module opened with dlopen (model/onnx/module.h): found where this
// build wrote it, refused when built from another version, and a missing one names where
// it was looked for.
namespace flopscope {
namespace {

ModuleSpec onnx_spec(const char* env, uint64_t abi) {
  return {"the ONNX reader", "libflopscope_onnx.so", env, FLOPSCOPE_ONNX_MODULE_PATH,
          onnx_detail::kOnnxModuleAbiSymbol, abi};
}

TEST(OnnxModule, OpensWithItsEntryPoints) {
  auto spec = onnx_spec("FLOPSCOPE_TEST_UNSET_MODULE_VARIABLE", onnx_detail::kOnnxModuleAbi);
  auto handle = open_module(spec);
  ASSERT_TRUE(handle) << handle.error().message;
  EXPECT_TRUE(module_symbol(*handle, spec, onnx_detail::kOnnxModuleParseSymbol));
  EXPECT_TRUE(module_symbol(*handle, spec, onnx_detail::kOnnxModuleStripSymbol));
  auto none = module_symbol(*handle, spec, "flopscope_onnx_nonexistent");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().message,
            "the ONNX reader module libflopscope_onnx.so: not a flopscope module (no flopscope_onnx_nonexistent)");
}

TEST(OnnxModule, AnotherVersionIsRefused) {
  auto handle = open_module(onnx_spec("FLOPSCOPE_TEST_UNSET_MODULE_VARIABLE", onnx_detail::kOnnxModuleAbi + 1));
  ASSERT_FALSE(handle);
  EXPECT_NE(handle.error().message.find("built from another flopscope version"), std::string::npos)
      << handle.error().message;
}

TEST(OnnxModule, MissingSaysWhereItLooked) {
  ASSERT_EQ(setenv("FLOPSCOPE_TEST_MODULE_VARIABLE", "/nonexistent/libflopscope_onnx.so", 1), 0);
  auto handle = open_module(onnx_spec("FLOPSCOPE_TEST_MODULE_VARIABLE", onnx_detail::kOnnxModuleAbi));
  unsetenv("FLOPSCOPE_TEST_MODULE_VARIABLE");
  ASSERT_FALSE(handle);
  EXPECT_EQ(handle.error().kind, ErrorKind::kFailure);
  EXPECT_EQ(handle.error().message,
            "the ONNX reader module libflopscope_onnx.so is missing; looked in /nonexistent/libflopscope_onnx.so");
}

}  // namespace
}  // namespace flopscope
