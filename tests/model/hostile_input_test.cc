// Hostile config.json and safetensors headers (issue 11): each case is refused with its
// own one-line message naming the file, the field and the limit (docs/limits.md), never a
// crash, a wrapped number or a silently wrong count.
#include "flopscope/model/onnx/proto.h"

#include <gtest/gtest.h>

#include "common/onnx_model_builder.h"

#include <cstdint>
#include <string>
#include <vector>

#include "flopscope/model/gguf_loader.h"
#include "flopscope/model/gguf_reader.h"
#include "flopscope/model/load.h"
#include "flopscope/model/onnx_loader.h"
#include "flopscope/model/safetensors_reader.h"

namespace flopscope {
namespace {

const std::string kLlama =
    R"("model_type": "llama", "vocab_size": 32000, "hidden_size": 4096, "num_hidden_layers": 32,
       "num_attention_heads": 32, "num_key_value_heads": 8, "intermediate_size": 14336)";

// A llama config with `extra` keys appended: of duplicate keys the parser keeps the last, so
// each case overrides one key.
std::string config_with(const std::string& extra) { return "{" + kLlama + ", " + extra + "}"; }

std::string config_error(const std::string& text) {
  auto s = parse_hf_config(text, "c.json");
  return s ? std::string("(parsed)") : s.error().message;
}

struct Case {
  const char* name;
  std::string text;
  std::string error;
};

TEST(HostileConfig, EachCaseIsRefusedWithItsMessage) {
  const std::vector<Case> cases = {
      {"nested 100k brackets", "{\"model_type\": \"llama\", \"hidden_size\": " + std::string(100000, '[') + "}",
       "c.json: expected JSON nested at most 128 levels deep (docs/limits.md), got deeper at byte 166"},
      {"400-digit integer", config_with("\"hidden_size\": " + std::string(400, '9')),
       "c.json: expected numbers within a double's range, got [json.exception.out_of_range.406] number overflow "
       "parsing '" + std::string(120 - 59, '9') + "..."},
      {"layers 2^31", config_with(R"("num_hidden_layers": 2147483648)"),
       "c.json: num_hidden_layers: expected at most 65536 (docs/limits.md), got 2147483648"},
      {"layers 2^63-1", config_with(R"("num_hidden_layers": 9223372036854775807)"),
       "c.json: num_hidden_layers: expected at most 65536 (docs/limits.md), got 9223372036854775807"},
      {"layers 2^64-1", config_with(R"("num_hidden_layers": 18446744073709551615)"),
       "c.json: num_hidden_layers: expected at most 65536 (docs/limits.md), got 18446744073709551615"},
      {"layers as a huge float", config_with(R"("num_hidden_layers": 1e300)"),
       "c.json: num_hidden_layers: expected at most 65536 (docs/limits.md), got 1e+300"},
      {"layers fractional", config_with(R"("num_hidden_layers": 2.5)"),
       "c.json: num_hidden_layers: expected a positive integer, got 2.5"},
      {"layers negative", config_with(R"("num_hidden_layers": -4)"),
       "c.json: num_hidden_layers: expected a positive integer, got -4"},
      {"head_dim 2^40", config_with(R"("head_dim": 1099511627776)"),
       "c.json: head_dim: expected at most 65536 (docs/limits.md), got 1099511627776"},
      {"hidden 2^40", config_with(R"("hidden_size": 1099511627776)"),
       "c.json: hidden_size: expected at most 1048576 (docs/limits.md), got 1099511627776"},
      {"intermediate 2^63-1", config_with(R"("intermediate_size": 9223372036854775807)"),
       "c.json: intermediate_size: expected at most 1048576 (docs/limits.md), got 9223372036854775807"},
      {"heads 2^40", config_with(R"("num_attention_heads": 1099511627776)"),
       "c.json: num_attention_heads: expected at most 65536 (docs/limits.md), got 1099511627776"},
      {"vocab 2^40", config_with(R"("vocab_size": 1099511627776)"),
       "c.json: vocab_size: expected at most 16777216 (docs/limits.md), got 1099511627776"},
      {"positions 2^62", config_with(R"("max_position_embeddings": 4611686018427387904)"),
       "c.json: max_position_embeddings: expected at most 1073741824 (docs/limits.md), got 4611686018427387904"},
      {"experts 2^40",
       R"({"model_type": "mixtral", "vocab_size": 32000, "hidden_size": 4096, "num_hidden_layers": 32,
           "num_attention_heads": 32, "num_key_value_heads": 8, "intermediate_size": 14336,
           "num_local_experts": 1099511627776, "num_experts_per_tok": 2})",
       "c.json: num_local_experts: expected at most 65536 (docs/limits.md), got 1099511627776"},
      {"shared experts 2^62 (multiplied by the expert width in the loader)",
       R"({"model_type": "deepseek_v3", "vocab_size": 32000, "hidden_size": 4096, "num_hidden_layers": 4,
           "num_attention_heads": 32, "intermediate_size": 14336, "kv_lora_rank": 512, "qk_nope_head_dim": 128,
           "qk_rope_head_dim": 64, "v_head_dim": 128, "n_routed_experts": 8, "num_experts_per_tok": 2,
           "moe_intermediate_size": 1024, "n_shared_experts": 4611686018427387904})",
       "c.json: n_shared_experts: expected at most 65536 (docs/limits.md), got 4611686018427387904"},
      {"every size at its limit: the product is refused",
       R"({"model_type": "llama", "vocab_size": 16777216, "hidden_size": 1048576, "num_hidden_layers": 65536,
           "num_attention_heads": 65536, "num_key_value_heads": 65536, "head_dim": 65536, "intermediate_size": 1048576})",
       "c.json: parameters: expected at most 1e+15 (docs/limits.md), got about 1.8e+21"},
      {"not an object", "[1, 2]", "c.json: expected a JSON object at the top level"},
      {"invalid UTF-8", "{\"model_type\": \"ll\xff\"}", "c.json: expected valid JSON, parse error at byte 19"},
  };
  for (const auto& c : cases) EXPECT_EQ(config_error(c.text), c.error) << c.name;
}

TEST(HostileConfig, DeepButLegalNestingStillParses) {
  std::string nested = std::string(100, '[') + std::string(100, ']');
  auto s = parse_hf_config(config_with("\"unused\": " + nested), "c.json");
  EXPECT_TRUE(s) << s.error().message;
}

TEST(HostileConfig, BracketsInsideStringsDoNotCountAsNesting) {
  auto s = parse_hf_config(config_with("\"note\": \"" + std::string(1000, '[') + "\\\"[\""), "c.json");
  EXPECT_TRUE(s) << s.error().message;
}

TEST(HostileConfig, LargestRealSizesPass) {
  // Llama-3.1-405B-like widths with a 256k vocabulary and 128k context are far inside the limits.
  auto s = parse_hf_config(
      R"({"model_type": "llama", "vocab_size": 262144, "hidden_size": 16384, "num_hidden_layers": 126,
          "num_attention_heads": 128, "num_key_value_heads": 8, "intermediate_size": 53248,
          "max_position_embeddings": 131072})",
      "c.json");
  EXPECT_TRUE(s) << s.error().message;
}

// Safetensors: the 8-byte little-endian header length, then the JSON header.
std::string safetensors(const std::string& header, size_t data_bytes = 0) {
  std::string b(8, '\0');
  uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) b[static_cast<size_t>(i)] = static_cast<char>((n >> (8 * i)) & 0xFF);
  return b + header + std::string(data_bytes, '\0');
}

std::string safetensors_error(const std::string& bytes) {
  auto t = parse_safetensors_header(bytes, bytes.size(), "m.safetensors");
  return t ? std::string("(parsed)") : t.error().message;
}

TEST(HostileSafetensors, NestedShapeAndOffsetsAreRefusedBeforeParsing) {
  const std::string deep(100000, '[');
  EXPECT_EQ(safetensors_error(safetensors(R"({"w": {"dtype": "F32", "shape": )" + deep + "}}")),
            "m.safetensors: header: expected JSON nested at most 128 levels deep (docs/limits.md), got deeper at byte 158");
  EXPECT_EQ(safetensors_error(safetensors(R"({"w": {"dtype": "F32", "shape": [1], "data_offsets": )" + deep + "}}")),
            "m.safetensors: header: expected JSON nested at most 128 levels deep (docs/limits.md), got deeper at byte 179");
}

TEST(HostileSafetensors, NumberBeyondDoubleIsRefused) {
  EXPECT_EQ(safetensors_error(safetensors(R"({"w": {"dtype": "F32", "shape": [1e999], "data_offsets": [0, 4]}})", 4)),
            "m.safetensors: header: expected numbers within a double's range, got [json.exception.out_of_range.406] "
            "number overflow parsing '1e999'");
}

TEST(HostileSafetensors, ControlCharactersInTensorNamesAreEscaped) {
  EXPECT_EQ(safetensors_error(safetensors(R"({"a\u001b[2Jb": {"dtype": "F99", "shape": [1], "data_offsets": [0, 4]}})", 4)),
            "m.safetensors: tensor 'a\\x1b[2Jb': dtype: expected a safetensors dtype (F32, BF16, ...), got 'F99'");
}


// GGUF metadata, written little-endian key by key (ggml include/gguf.h): only what the
// loader reads, no tensors.
class GgufMeta {
 public:
  GgufMeta& u32(uint32_t v) { return raw(&v, 4); }
  GgufMeta& u64(uint64_t v) { return raw(&v, 8); }
  GgufMeta& str(const std::string& s) {
    u64(s.size());
    return raw(s.data(), s.size());
  }
  GgufMeta& kv_u32(const std::string& k, uint32_t v) {
    ++kvs_;
    return str(k).u32(4).u32(v);
  }
  GgufMeta& kv_str(const std::string& k, const std::string& v) {
    ++kvs_;
    return str(k).u32(8).str(v);
  }
  std::string bytes() const {
    GgufMeta h;
    h.raw("GGUF", 4).u32(3).u64(0).u64(kvs_);
    return h.b_ + b_;
  }

 private:
  GgufMeta& raw(const void* p, size_t n) {
    b_.append(static_cast<const char*>(p), n);
    return *this;
  }
  std::string b_;
  uint64_t kvs_ = 0;
};

// A tiny llama: 64 wide, 2 blocks, 4 heads, vocabulary 96.
GgufMeta tiny_llama(const std::string& name = "tiny") {
  GgufMeta m;
  m.kv_str("general.architecture", "llama").kv_str("general.name", name).kv_u32("llama.embedding_length", 64);
  m.kv_u32("llama.block_count", 2).kv_u32("llama.attention.head_count", 4).kv_u32("llama.vocab_size", 96);
  m.kv_u32("llama.feed_forward_length", 128);
  return m;
}

Result<TransformerSpec> load_gguf_meta(const GgufMeta& m) {
  auto f = parse_gguf(m.bytes(), "t.gguf");
  if (!f) return f.error();
  return gguf_to_transformer(*f, "t.gguf");
}

TEST(HostileGguf, TinyLlamaLoads) {
  auto s = load_gguf_meta(tiny_llama());
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->head_dim, 16);
}

// A key_length of 0 divided by zero later (-nan FLOP): present means 1..limit.
TEST(HostileGguf, ZeroKeyLengthIsRefused) {
  auto s = load_gguf_meta(tiny_llama().kv_u32("llama.attention.key_length", 0));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message, "t.gguf: llama.attention.key_length: expected an integer in 1..65536, got 0");
}

TEST(HostileGguf, MoreHeadsThanWidthIsRefused) {
  GgufMeta m;
  m.kv_str("general.architecture", "llama").kv_u32("llama.embedding_length", 8).kv_u32("llama.block_count", 2);
  m.kv_u32("llama.attention.head_count", 64).kv_u32("llama.vocab_size", 96).kv_u32("llama.feed_forward_length", 8);
  auto s = load_gguf_meta(m);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message,
            "t.gguf: llama.attention.head_count: expected at most llama.embedding_length (8) heads, got 64");
}

TEST(HostileGguf, WidthsBeyondTheirLimitsAreRefused) {
  auto s = load_gguf_meta(tiny_llama().kv_u32("llama.attention.head_count_kv", 100000));
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().message, "t.gguf: llama.attention.head_count_kv: expected an integer in 0..65536, got 100000");
}

// ESC in general.name cleared the user's screen; a newline split a refusal over lines;
// invalid UTF-8 aborted --json.
TEST(HostileGguf, NamesAreMadePrintable) {
  auto s = load_gguf_meta(tiny_llama("a\x1b[2J\nb\xff"));
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->name, "a\\x1b[2J\\nb\xEF\xBF\xBD");
}

// ONNX node names with ESC, newlines or invalid UTF-8 (the 10 fuzz crashes under --json).
TEST(HostileOnnx, NodeNamesAreMadePrintable) {
  testing::ModelBuilder b;
  b.input("x", {"2", "3"}).output("y");
  b.node("Relu", {"x"}, {"y"})->set_name("r\x1b[2J\n\xff");
  auto g = b.load();
  ASSERT_TRUE(g) << g.error().message;
  ASSERT_EQ(g->nodes.size(), 1u);
  EXPECT_EQ(g->nodes[0].name, "r\\x1b[2J\\n\xEF\xBF\xBD");
}

}  // namespace
}  // namespace flopscope
