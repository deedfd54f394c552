// Bad input to the config loader: one line naming the file, the key and what was expected.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "flopscope/model/load.h"

namespace flopscope {
namespace {

std::string error_of(const char* json) {
  auto r = parse_hf_config(json, "config.json");
  return r.ok() ? "" : r.error().message;
}

TEST(HfConfig, MalformedJsonNamesTheFileAndByte) {
  EXPECT_EQ(error_of("{\"model_type\": \"llama\",,}"), "config.json: expected valid JSON, parse error at byte 24");
}

TEST(HfConfig, UnknownFamilyListsSupportedAndSuggests) {
  std::string e = error_of(R"({"model_type": "lama"})");
  EXPECT_EQ(e.rfind("config.json: model_type: expected one of bert, deepseek_v2, deepseek_v3, gemma", 0), 0u) << e;
  EXPECT_NE(e.find("got 'lama', did you mean 'llama'?"), std::string::npos) << e;
}

TEST(HfConfig, MissingModelType) {
  EXPECT_EQ(error_of("{}"), "config.json: model_type: expected a string naming the architecture, key is missing");
}

TEST(HfConfig, MissingKey) {
  EXPECT_EQ(error_of(R"({"model_type": "llama", "vocab_size": 100, "hidden_size": 64, "num_attention_heads": 4, "intermediate_size": 128})"),
            "config.json: num_hidden_layers: expected a positive integer, key is missing");
}

TEST(HfConfig, WrongType) {
  EXPECT_EQ(error_of(R"({"model_type": "llama", "vocab_size": "many"})"),
            "config.json: vocab_size: expected a positive integer, got string \"many\"");
}

TEST(HfConfig, NegativeSize) {
  EXPECT_EQ(error_of(R"({"model_type": "gpt2", "vocab_size": 100, "n_embd": -64})"),
            "config.json: n_embd: expected a positive integer, got -64");
}

TEST(HfConfig, KvHeadsMustDivideHeads) {
  EXPECT_EQ(error_of(R"({"model_type": "llama", "vocab_size": 100, "hidden_size": 64, "num_hidden_layers": 2,
                       "num_attention_heads": 4, "num_key_value_heads": 3, "intermediate_size": 128})"),
            "config.json: num_key_value_heads: expected a divisor of num_attention_heads (4), got 3");
}

TEST(HfConfig, RopeScalingDoesNotChangeTheSpec) {
  const char* base = R"({"model_type": "llama", "vocab_size": 100, "hidden_size": 64, "num_hidden_layers": 2,
                        "num_attention_heads": 4, "intermediate_size": 128)";
  auto a = parse_hf_config(std::string(base) + "}", "a");
  auto b = parse_hf_config(std::string(base) + R"(, "rope_scaling": {"rope_type": "llama3", "factor": 8.0}})", "b");
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->hidden_size, b->hidden_size);
  EXPECT_EQ(a->layers.size(), b->layers.size());
}

TEST(HfConfig, Gemma2AlternatesSlidingAndGlobalLayers) {
  auto s = load_model("gemma-2-9b");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->layers[0].sliding_window, 4096);
  EXPECT_EQ(s->layers[1].sliding_window, 0);
  EXPECT_EQ(s->norms_per_layer, 4);
}

TEST(LoadModel, UnknownNameSuggestsCatalogEntry) {
  auto r = load_model("llama-3.1-8");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message,
            "unknown model 'llama-3.1-8', did you mean 'llama-3.1-8b'? (expected a catalog name from `flopscope models`, "
            "a config.json, a folder or a .gguf file)");
}

TEST(LoadModel, MissingFileIsNotFound) {
  auto r = load_model("/nonexistent/config.json");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message, "/nonexistent/config.json: cannot open: no such file");
}

TEST(LoadModel, FolderAndHfIdResolve) {
  auto by_id = load_model("meta-llama/Llama-3.1-8B");
  ASSERT_TRUE(by_id.ok());
  EXPECT_EQ(by_id->name, "Llama-3.1-8B");
  auto folder = load_model(std::string(FLOPSCOPE_TEST_DATA) + "/snapshot");
  ASSERT_TRUE(folder.ok()) << folder.error().message;
  EXPECT_EQ(folder->model_type, "llama");
}

// Every config in tests/data/configs (16 model families and sizes; FIXTURES.md), not a
// hand-kept subset of them (issue 12: the list had fallen to 10 of 16).
TEST(LoadModel, EveryFixtureLoads) {
  const std::filesystem::path dir = std::filesystem::path(FLOPSCOPE_TEST_DATA) / "configs";
  std::vector<std::string> files;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".json") files.push_back(e.path().filename().string());
  }
  std::sort(files.begin(), files.end());
  EXPECT_EQ(files.size(), 16u);
  for (const std::string& f : files) {
    auto r = load_model((dir / f).string());
    ASSERT_TRUE(r.ok()) << f << ": " << r.error().message;
    EXPECT_FALSE(r->model_type.empty()) << f;
    EXPECT_GT(r->vocab_size, 0) << f;
    EXPECT_GT(r->hidden_size, 0) << f;
    EXPECT_GT(r->num_layers, 0) << f;
    EXPECT_GT(r->num_heads, 0) << f;
  }
}

}  // namespace
}  // namespace flopscope
