// GGUF header reading on files written here byte by byte from the format (ggml
// include/gguf.h), and the corruption matrix (llama.cpp tests/test-gguf.cpp style): each
// defect must fail with its own message.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <string>
#include <vector>

#include "flopscope/model/gguf_loader.h"
#include "flopscope/model/gguf_reader.h"

namespace flopscope {
namespace {

// Writes a GGUF file little-endian, field by field.
class GgufWriter {
 public:
  GgufWriter& raw(const void* p, size_t n) {
    b_.append(static_cast<const char*>(p), n);
    return *this;
  }
  GgufWriter& u8(uint8_t v) { return raw(&v, 1); }
  GgufWriter& u32(uint32_t v) { return raw(&v, 4); }
  GgufWriter& u64(uint64_t v) { return raw(&v, 8); }
  GgufWriter& f32(float v) { return raw(&v, 4); }
  GgufWriter& str(const std::string& s) {
    u64(s.size());
    return raw(s.data(), s.size());
  }
  GgufWriter& header(uint32_t version, uint64_t tensors, uint64_t kvs) {
    raw("GGUF", 4);
    u32(version);
    u64(tensors);
    return u64(kvs);
  }
  GgufWriter& kv_u32(const std::string& k, uint32_t v) { return str(k).u32(4).u32(v); }
  GgufWriter& kv_f32(const std::string& k, float v) { return str(k).u32(6).f32(v); }
  GgufWriter& kv_str(const std::string& k, const std::string& v) { return str(k).u32(8).str(v); }
  GgufWriter& kv_tokens(const std::string& k, size_t n) {
    str(k).u32(9).u32(8).u64(n);
    for (size_t i = 0; i < n; ++i) str("t" + std::to_string(i));
    return *this;
  }
  GgufWriter& tensor(const std::string& name, const std::vector<uint64_t>& ne, uint32_t type, uint64_t offset) {
    str(name).u32(static_cast<uint32_t>(ne.size()));
    for (auto d : ne) u64(d);
    return u32(type).u64(offset);
  }
  GgufWriter& align(size_t a = 32) {
    while (b_.size() % a) b_.push_back('\0');
    return *this;
  }
  GgufWriter& zeros(size_t n) {
    b_.append(n, '\0');
    return *this;
  }
  const std::string& bytes() const { return b_; }
  size_t size() const { return b_.size(); }

 private:
  std::string b_;
};

std::string parse_error(const std::string& bytes) {
  auto f = parse_gguf(bytes, "t.gguf");
  return f ? std::string("(parsed)") : f.error().message;
}

TEST(GgmlTypes, BlockLayoutsGiveExactBitsPerWeight) {
  struct Row {
    GgmlType type;
    int64_t block, bytes;
    double bpw;
  };
  for (const auto& r : std::vector<Row>{{GgmlType::kF32, 1, 4, 32},        {GgmlType::kF16, 1, 2, 16},
                                        {GgmlType::kBF16, 1, 2, 16},       {GgmlType::kQ4_0, 32, 18, 4.5},
                                        {GgmlType::kQ4_1, 32, 20, 5},      {GgmlType::kQ5_0, 32, 22, 5.5},
                                        {GgmlType::kQ5_1, 32, 24, 6},      {GgmlType::kQ8_0, 32, 34, 8.5},
                                        {GgmlType::kQ2_K, 256, 84, 2.625}, {GgmlType::kQ3_K, 256, 110, 3.4375},
                                        {GgmlType::kQ4_K, 256, 144, 4.5},  {GgmlType::kQ5_K, 256, 176, 5.5},
                                        {GgmlType::kQ6_K, 256, 210, 6.5625}, {GgmlType::kQ8_K, 256, 292, 9.125},
                                        {GgmlType::kIQ2_XXS, 256, 66, 2.0625}, {GgmlType::kIQ2_XS, 256, 74, 2.3125},
                                        {GgmlType::kIQ2_S, 256, 82, 2.5625}, {GgmlType::kIQ3_XXS, 256, 98, 3.0625},
                                        {GgmlType::kIQ3_S, 256, 110, 3.4375}, {GgmlType::kIQ1_S, 256, 50, 1.5625},
                                        {GgmlType::kIQ1_M, 256, 56, 1.75}, {GgmlType::kIQ4_NL, 32, 18, 4.5},
                                        {GgmlType::kIQ4_XS, 256, 136, 4.25}, {GgmlType::kTQ1_0, 256, 54, 1.6875},
                                        {GgmlType::kTQ2_0, 256, 66, 2.0625}, {GgmlType::kMXFP4, 32, 17, 4.25}}) {
    const auto* info = ggml_type_info(static_cast<uint32_t>(r.type));
    ASSERT_NE(info, nullptr);
    EXPECT_EQ(info->block_size, r.block) << info->name;
    EXPECT_EQ(info->block_bytes, r.bytes) << info->name;
    EXPECT_DOUBLE_EQ(info->bits_per_weight(), r.bpw) << info->name;
  }
  EXPECT_EQ(ggml_type_info(4), nullptr);   // Q4_2, removed
  EXPECT_EQ(ggml_type_info(31), nullptr);  // Q4_0_4_4, removed
  EXPECT_EQ(ggml_type_info(40), nullptr);
}

// A two-tensor v3 file: a Q4_K [256, 4] matrix and an F32 [256] vector.
GgufWriter small_file(uint32_t version = 3) {
  GgufWriter w;
  w.header(version, 2, 2).kv_str("general.architecture", "llama").kv_u32("general.alignment", 32);
  w.tensor("a", {256, 4}, 12, 0).tensor("b", {256}, 0, 576);
  w.align().zeros(576 + 1024);
  return w;
}

TEST(GgufReader, ReadsHeaderMetadataAndTensorInfos) {
  for (uint32_t version : {2u, 3u}) {
    auto w = small_file(version);
    auto f = parse_gguf(w.bytes(), "t.gguf");
    ASSERT_TRUE(f) << f.error().message;
    EXPECT_EQ(f->version, version);
    EXPECT_EQ(f->get_string("general.architecture"), "llama");
    ASSERT_EQ(f->tensors.size(), 2u);
    EXPECT_EQ(f->tensors[0].elements, 1024);
    EXPECT_EQ(f->tensors[0].bytes, 4u * 144);
    EXPECT_EQ(f->tensors[1].bytes, 1024u);
    EXPECT_EQ(f->parameter_count(), 1280);
    EXPECT_EQ(f->data_offset % 32, 0u);
    auto s = gguf_storage(*f);
    EXPECT_EQ(s.bytes, 576u + 1024);
    ASSERT_EQ(s.by_type.size(), 2u);
    EXPECT_EQ(s.by_type[0].type, "F32");
    EXPECT_DOUBLE_EQ(s.bits_per_weight, 8.0 * 1600 / 1280);
  }
}

TEST(GgufReader, HeaderOnlyPrefixIsEnoughWhenTheFileSizeIsKnown) {
  auto w = small_file();
  auto f = parse_gguf(std::string_view(w.bytes()).substr(0, 200), w.size(), "t.gguf");
  ASSERT_TRUE(f) << f.error().message;
}

TEST(GgufReader, SkipsTokenizerArraysWithoutStoringThem) {
  GgufWriter w;
  w.header(3, 0, 1).kv_tokens("tokenizer.ggml.tokens", 1000);
  auto f = parse_gguf(w.bytes(), "t.gguf");
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(f->find("tokenizer.ggml.tokens")->array_length, 1000u);
}

// The corruption matrix.
TEST(GgufCorrupt, BadMagic) {
  EXPECT_EQ(parse_error("GGML\x03\0\0\0"), "t.gguf: header: expected the magic \"GGUF\", got bytes that are not a GGUF file");
  EXPECT_EQ(parse_error("GG"), "t.gguf: header: expected the magic \"GGUF\", got a file of 2 bytes");
}

TEST(GgufCorrupt, VersionTooOldTooNewOrByteSwapped) {
  GgufWriter v1, v4, swapped, v0;
  v1.header(1, 0, 0);
  v4.header(4, 0, 0);
  swapped.header(0x03000000, 0, 0);
  v0.header(0, 0, 0);
  EXPECT_EQ(parse_error(v1.bytes()), "t.gguf: header: version 1 is too old (expected 2 or 3): convert the file with a newer llama.cpp");
  EXPECT_EQ(parse_error(v4.bytes()), "t.gguf: header: version 4 is too new (expected 2 or 3)");
  EXPECT_EQ(parse_error(swapped.bytes()), "t.gguf: header: version 50331648 looks byte-swapped: expected a little-endian file");
  EXPECT_EQ(parse_error(v0.bytes()), "t.gguf: header: expected version 2 or 3, got 0");
}

TEST(GgufCorrupt, TruncatedHeader) {
  EXPECT_EQ(parse_error(std::string("GGUF\x03\0\0\0\x01\0", 10)),
            "t.gguf: header: expected 8 more bytes, got the end of the file at byte 8");
}

TEST(GgufCorrupt, TensorCountBeyondTheFile) {
  GgufWriter w;
  w.header(3, uint64_t{1} << 32, 0);
  EXPECT_EQ(parse_error(w.bytes()), "t.gguf: header: tensor count 4294967296 exceeds the file size (24 bytes)");
}

TEST(GgufCorrupt, MetadataCountBeyondTheFile) {
  GgufWriter w;
  w.header(3, 0, ~uint64_t{0});
  EXPECT_EQ(parse_error(w.bytes()), "t.gguf: header: metadata count 18446744073709551615 exceeds the file size (24 bytes)");
}

TEST(GgufCorrupt, TenGigabyteStringLength) {
  GgufWriter w;
  w.header(3, 0, 1).u64(10'000'000'000ull).raw("abc", 3).zeros(16);
  EXPECT_EQ(parse_error(w.bytes()), "t.gguf: metadata[0] key: string length 10000000000 exceeds the 19 bytes left");
}

TEST(GgufCorrupt, DuplicateKey) {
  GgufWriter w;
  w.header(3, 0, 2).kv_u32("a.b", 1).kv_u32("a.b", 2);
  EXPECT_EQ(parse_error(w.bytes()), "t.gguf: metadata: duplicate key 'a.b'");
}

TEST(GgufCorrupt, UnknownValueType) {
  GgufWriter w;
  w.header(3, 0, 1).str("k").u32(13).u32(0);
  EXPECT_EQ(parse_error(w.bytes()), "t.gguf: k: expected a value type 0..12, got 13");
}

TEST(GgufCorrupt, ArrayLengthBeyondTheFile) {
  GgufWriter w;
  w.header(3, 0, 1).str("k").u32(9).u32(5).u64(uint64_t{1} << 62);
  EXPECT_EQ(parse_error(w.bytes()), "t.gguf: k: array length 4611686018427387904 exceeds the 0 bytes left");
}

TEST(GgufCorrupt, NestedArray) {
  GgufWriter w;
  w.header(3, 0, 1).str("k").u32(9).u32(9).u64(1);
  EXPECT_EQ(parse_error(w.bytes()), "t.gguf: k: expected an array element type 0..12 other than array, got 9");
}

TEST(GgufCorrupt, BadBool) {
  GgufWriter w;
  w.header(3, 0, 1).str("k").u32(7).u8(2);
  EXPECT_EQ(parse_error(w.bytes()), "t.gguf: k: expected a bool (0 or 1), got 2");
}

TEST(GgufCorrupt, AlignmentNotAPowerOfTwo) {
  GgufWriter w;
  w.header(3, 0, 1).kv_u32("general.alignment", 24);
  EXPECT_EQ(parse_error(w.bytes()), "t.gguf: general.alignment: expected a uint32 power of two, got 24");
}

TEST(GgufCorrupt, TooManyDims) {
  GgufWriter w;
  w.header(3, 1, 0).tensor("w", {1, 1, 1, 1, 1}, 0, 0).zeros(64);
  EXPECT_EQ(parse_error(w.bytes()), "t.gguf: tensor 'w': expected at most 4 dims, got 5");
}

TEST(GgufCorrupt, AbsurdDim) {
  GgufWriter w;
  w.header(3, 1, 0).tensor("w", {uint64_t{1} << 41}, 0, 0).zeros(64);
  EXPECT_EQ(parse_error(w.bytes()), "t.gguf: tensor 'w': expected dims up to 2^40, got 2199023255552");
}

TEST(GgufCorrupt, ElementCountOverflow) {
  GgufWriter w;
  w.header(3, 1, 0).tensor("w", {uint64_t{1} << 40, uint64_t{1} << 40}, 0, 0).zeros(64);
  EXPECT_EQ(parse_error(w.bytes()), "t.gguf: tensor 'w': element count overflows");
}

// Found by fuzz_gguf (tests/fuzz/corpus/gguf/crash-28784ee1...): the partial product of
// the dims overflowed int64 before a later zero dim made the count 0.
TEST(GgufCorrupt, HugeDimsBeforeAZeroDimDoNotOverflow) {
  GgufWriter w;
  w.header(3, 1, 0).tensor("w", {uint64_t{1} << 36, uint64_t{1} << 35, 0}, 0, 0).align().zeros(32);
  auto f = parse_gguf(w.bytes(), "t.gguf");
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(f->tensors[0].elements, 0);
  EXPECT_EQ(f->tensors[0].bytes, 0u);
}

TEST(GgufCorrupt, RemovedGgmlType) {
  GgufWriter w;
  w.header(3, 1, 0).tensor("w", {32}, 4, 0).zeros(64);
  EXPECT_EQ(parse_error(w.bytes()), "t.gguf: tensor 'w': expected a ggml type, got unknown or removed type 4");
}

TEST(GgufCorrupt, RowNotAMultipleOfTheBlock) {
  GgufWriter w;
  w.header(3, 1, 0).tensor("w", {100, 2}, 12, 0).zeros(64);
  EXPECT_EQ(parse_error(w.bytes()), "t.gguf: tensor 'w': row of 100 elements is not a multiple of the Q4_K block size 256");
}

TEST(GgufCorrupt, TensorLargerThanTheFile) {
  GgufWriter w;
  w.header(3, 1, 0).tensor("w", {1024, 1024}, 0, 0).zeros(64);
  EXPECT_EQ(parse_error(w.bytes()), "t.gguf: tensor 'w': size 4194304 bytes exceeds the file size (129 bytes)");
}

TEST(GgufCorrupt, MisalignedOffset) {
  GgufWriter w;
  w.header(3, 1, 0).tensor("w", {4}, 0, 3).zeros(64);
  EXPECT_EQ(parse_error(w.bytes()), "t.gguf: tensor 'w': offset 3 is not a multiple of the alignment 32");
}

TEST(GgufCorrupt, OffsetBeyondTheFile) {
  GgufWriter w;
  w.header(3, 1, 0).tensor("w", {4}, 0, 1u << 20).align().zeros(32);
  EXPECT_EQ(parse_error(w.bytes()),
            "t.gguf: tensor 'w': data at offset 1048576 (+16 bytes) lies beyond the end of the file (data section of 32 bytes)");
}

TEST(GgufCorrupt, DuplicateTensorName) {
  GgufWriter w;
  w.header(3, 2, 0).tensor("w", {4}, 0, 0).tensor("w", {4}, 0, 32).align().zeros(64);
  EXPECT_EQ(parse_error(w.bytes()), "t.gguf: tensor 'w': duplicate tensor name");
}

// A truncated file never reads as a smaller valid one: every strict prefix fails, with a
// message that names the file, and the whole file reads.
TEST(GgufCorrupt, EveryPrefixFailsCleanly) {
  auto w = small_file();
  const std::string& bytes = w.bytes();
  ASSERT_TRUE(parse_gguf(bytes, "t.gguf").ok());
  for (size_t cut = 0; cut < bytes.size(); ++cut) {
    auto f = parse_gguf(std::string_view(bytes).substr(0, cut), "t.gguf");
    ASSERT_FALSE(f.ok()) << "a prefix of " << cut << " of " << bytes.size() << " bytes parsed";
    EXPECT_EQ(f.error().kind, ErrorKind::kBadInput) << cut;
    EXPECT_EQ(f.error().message.rfind("t.gguf: ", 0), 0u) << f.error().message;
    EXPECT_GT(f.error().message.size(), std::string("t.gguf: ").size()) << cut;
  }
}

// A llama-style model: hidden 64, 2 blocks, 4 heads, 2 KV heads, FFN 128, vocab 96;
// Q8_0 matrices, F32 norms, an untied Q4_0 output.
GgufWriter llama_file(bool tied = false, bool moe = false) {
  struct T {
    std::string name;
    std::vector<uint64_t> ne;
    uint32_t type;
  };
  std::vector<T> ts = {{"token_embd.weight", {64, 96}, 8}, {"output_norm.weight", {64}, 0}};
  if (!tied) ts.push_back({"output.weight", {64, 96}, 2});
  for (int i = 0; i < 2; ++i) {
    std::string b = "blk." + std::to_string(i) + ".";
    for (const T& t : std::vector<T>{{b + "attn_norm.weight", {64}, 0},   {b + "attn_q.weight", {64, 64}, 8},
                                     {b + "attn_k.weight", {64, 32}, 8},   {b + "attn_v.weight", {64, 32}, 8},
                                     {b + "attn_output.weight", {64, 64}, 8}, {b + "ffn_norm.weight", {64}, 0}})
      ts.push_back(t);
    if (moe) {
      ts.push_back({b + "ffn_gate_inp.weight", {64, 4}, 0});
      ts.push_back({b + "ffn_gate_exps.weight", {64, 32, 4}, 8});
      ts.push_back({b + "ffn_up_exps.weight", {64, 32, 4}, 8});
      ts.push_back({b + "ffn_down_exps.weight", {32, 64, 4}, 8});
    } else {
      ts.push_back({b + "ffn_gate.weight", {64, 128}, 8});
      ts.push_back({b + "ffn_up.weight", {64, 128}, 8});
      ts.push_back({b + "ffn_down.weight", {128, 64}, 8});
    }
  }
  GgufWriter w;
  w.header(3, ts.size(), moe ? 10 : 8).kv_str("general.architecture", "llama").kv_str("general.name", "tiny");
  w.kv_u32("llama.embedding_length", 64).kv_u32("llama.block_count", 2).kv_u32("llama.attention.head_count", 4);
  w.kv_u32("llama.attention.head_count_kv", 2).kv_u32("llama.feed_forward_length", 128);
  w.kv_f32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
  if (moe) w.kv_u32("llama.expert_count", 4).kv_u32("llama.expert_used_count", 2);
  uint64_t offset = 0;
  for (const auto& t : ts) {
    w.tensor(t.name, t.ne, t.type, offset);
    uint64_t n = 1;
    for (auto d : t.ne) n *= d;
    const auto* info = ggml_type_info(t.type);
    offset += (n / static_cast<uint64_t>(info->block_size) * static_cast<uint64_t>(info->block_bytes) + 31) / 32 * 32;
  }
  w.align().zeros(offset);
  return w;
}

TEST(GgufLoader, MapsLlamaMetadataAndTensorsToTheSpec) {
  auto w = llama_file();
  auto f = parse_gguf(w.bytes(), "t.gguf");
  ASSERT_TRUE(f) << f.error().message;
  auto s = gguf_to_transformer(*f, "t.gguf");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->name, "tiny");
  EXPECT_EQ(s->model_type, "llama");
  EXPECT_EQ(s->hidden_size, 64);
  EXPECT_EQ(s->num_layers, 2);
  EXPECT_EQ(s->num_heads, 4);
  EXPECT_EQ(s->num_kv_heads, 2);
  EXPECT_EQ(s->head_dim, 16);
  EXPECT_EQ(s->intermediate_size, 128);
  EXPECT_EQ(s->vocab_size, 96);
  EXPECT_EQ(s->mlp, MlpKind::kGated);
  EXPECT_EQ(s->norm, NormKind::kRmsNorm);
  EXPECT_EQ(s->norms_per_layer, 2);
  EXPECT_FALSE(s->tie_word_embeddings);
  EXPECT_FALSE(s->qkv_bias);
  EXPECT_FALSE(s->moe.active());
  EXPECT_EQ(f->parameter_count(), 96 * 64 * 2 + 64 + 2 * (64 * 64 * 2 + 64 * 32 * 2 + 3 * 64 * 128 + 2 * 64));
}

TEST(GgufLoader, TiedEmbeddingsWhenThereIsNoOutputTensor) {
  auto w = llama_file(true);
  auto f = parse_gguf(w.bytes(), "t.gguf");
  ASSERT_TRUE(f) << f.error().message;
  auto s = gguf_to_transformer(*f, "t.gguf");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_TRUE(s->tie_word_embeddings);
}

TEST(GgufLoader, MixtureOfExperts) {
  auto w = llama_file(false, true);
  auto f = parse_gguf(w.bytes(), "t.gguf");
  ASSERT_TRUE(f) << f.error().message;
  auto s = gguf_to_transformer(*f, "t.gguf");
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->moe.num_experts, 4);
  EXPECT_EQ(s->moe.experts_per_token, 2);
  EXPECT_EQ(s->moe.expert_intermediate_size, 32);
  EXPECT_EQ(s->num_moe_layers(), 2);
}

TEST(GgufLoader, MissingKeyNamesIt) {
  GgufWriter w;
  w.header(3, 0, 2).kv_str("general.architecture", "llama").kv_u32("llama.block_count", 2);
  auto f = parse_gguf(w.bytes(), "t.gguf");
  ASSERT_TRUE(f) << f.error().message;
  auto s = gguf_to_transformer(*f, "t.gguf");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message, "t.gguf: llama.embedding_length: expected a positive integer, got none");
}

// Found by fuzz_gguf (tests/fuzz/corpus/gguf/timeout-83b29f0d...): a block count of 2^40
// made the per-layer loop run for hours.
TEST(GgufLoader, AbsurdBlockCountIsAnError) {
  GgufWriter w;
  w.header(3, 0, 3).kv_str("general.architecture", "llama").kv_u32("llama.embedding_length", 64);
  w.str("llama.block_count").u32(10).u64(uint64_t{1} << 40);
  auto f = parse_gguf(w.bytes(), "t.gguf");
  ASSERT_TRUE(f) << f.error().message;
  auto s = gguf_to_transformer(*f, "t.gguf");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message, "t.gguf: llama.block_count: expected an integer in 1..65536, got 1099511627776");
}

TEST(GgufLoader, MissingArchitecture) {
  GgufWriter w;
  w.header(3, 0, 0);
  auto f = parse_gguf(w.bytes(), "t.gguf");
  ASSERT_TRUE(f) << f.error().message;
  auto s = gguf_to_transformer(*f, "t.gguf");
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message, "t.gguf: general.architecture: expected a string, got none");
}

// tests/data/corrupt: one file per defect, each with its message; and the inputs that
// once broke fuzz_gguf (tests/fuzz/corpus/gguf) must still read or fail cleanly.
TEST(GgufCorruptFiles, EachFailsWithItsMessage) {
  const std::string dir = std::string(FLOPSCOPE_TEST_DATA) + "/corrupt/";
  struct Case {
    const char* file;
    const char* message;
  };
  for (const auto& c : std::vector<Case>{
           {"bad_magic.gguf", "header: expected the magic \"GGUF\", got bytes that are not a GGUF file"},
           {"version1.gguf", "header: version 1 is too old (expected 2 or 3): convert the file with a newer llama.cpp"},
           {"tensor_count_overflow.gguf", "header: tensor count 4294967296 exceeds the file size (1024 bytes)"},
           {"string_10gb.gguf", "metadata[0] key: string length 10000000000 exceeds the 19 bytes left"},
           {"offset_beyond_file.gguf",
            "tensor 'w': data at offset 1048576 (+16 bytes) lies beyond the end of the file (data section of 32 bytes)"},
       }) {
    auto f = read_gguf(dir + c.file);
    ASSERT_FALSE(f) << c.file;
    EXPECT_EQ(f.error().message, dir + c.file + ": " + c.message);
  }
}

// The seed and the inputs that once crashed or hung fuzz_gguf (tests/fuzz/corpus/gguf):
// the seed reads into a transformer; every other file reads or fails with a message that
// names it, and whatever reads converts or fails naming its origin.
TEST(GgufCorruptFiles, FuzzRegressionsReadOrFailCleanly) {
  const std::string dir = std::string(FLOPSCOPE_TEST_DATA) + "/../fuzz/corpus/gguf";
  size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    ++files;
    const std::string path = e.path().string();
    const bool seed = e.path().filename() == "llama_tiny_v3.gguf";
    auto f = read_gguf(path);
    if (!f) {
      EXPECT_FALSE(seed) << f.error().message;
      EXPECT_EQ(f.error().kind, ErrorKind::kBadInput) << f.error().message;
      EXPECT_EQ(f.error().message.rfind(path + ": ", 0), 0u) << f.error().message;
      continue;
    }
    auto spec = gguf_to_transformer(*f, "x.gguf");
    if (seed) {
      ASSERT_TRUE(spec.ok()) << spec.error().message;
      EXPECT_GT(spec->num_layers, 0);
      EXPECT_GT(gguf_storage(*f).bytes, 0u);
    } else if (!spec) {
      EXPECT_EQ(spec.error().message.rfind("x.gguf: ", 0), 0u) << spec.error().message;
    }
  }
  EXPECT_GE(files, 3u);
}

TEST(GgufFile, MissingFileIsNotFound) {
  auto f = read_gguf("/nonexistent/m.gguf");
  ASSERT_FALSE(f);
  EXPECT_EQ(f.error().message, "/nonexistent/m.gguf: cannot open: no such file");
}

}  // namespace
}  // namespace flopscope
