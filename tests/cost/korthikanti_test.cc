// Activation memory held against Korthikanti et al. 2022, "Reducing Activation Recomputation
// in Large Transformer Models" (arXiv 2205.05198): Table 2 per layer, and the per-GPU figures
// of the 22B GPT (48 layers, h 6144, 64 heads, s 2048, vocab 51200, tp 8, micro-batch 4,
// A100) that issue 10 quotes: 59.25 GiB without recomputation; sequence parallelism 66.8% of
// that, selective recomputation 49.4%, full recomputation 7.6%, selective + sequence
// parallelism 9.56 GiB. Each of those is the paper's Table 2 formula times 48 layers
// (59.25 GiB = s*b*h*(10 + 24/8 + 5*a*s/(8h)) * 48 bytes / 2^30 to four digits), so the
// whole-model checks below compare against the formulas plus what sec. 4.3 leaves out.
// Also: the dropout settings of HF configs, which decide whether the masks are kept.
#include <gtest/gtest.h>

#include <string>

#include "flopscope/cost/memory.h"
#include "flopscope/model/load.h"

namespace flopscope {
namespace {

constexpr double kGiB = 1024.0 * 1024 * 1024;
constexpr int64_t kBatch = 4, kSeq = 2048, kTp = 8, kLayers = 48;
constexpr double kSbh = 2048.0 * 4 * 6144;     // s*b*h
constexpr double kAsOverH = 64.0 * 2048 / 6144;  // a*s/h

// The paper's 22B GPT, read as a GPT-2 style config: GPT2Config's dropout default (0.1)
// applies, so the loader has to produce the masks without being told.
TransformerSpec megatron_22b() {
  TransformerSpec out;
  [&] {
    auto s = parse_hf_config(R"({"model_type": "gpt2", "vocab_size": 51200, "n_embd": 6144, "n_layer": 48,
                                "n_head": 64, "n_positions": 2048})",
                             "megatron-22b");
    ASSERT_TRUE(s.ok()) << s.error().message;
    out = std::move(*s);
  }();
  return out;
}

// Megatron of 2022: unfused attention (the softmax output, its dropout mask and output are
// kept), dropout masks from the config, tensor parallel 8.
MemoryOptions megatron_options(const TransformerSpec& s, Recompute r, bool sp) {
  MemoryOptions o;
  o.flash_attention = false;
  o.dropout = s.trains_with_dropout();
  o.tensor_parallel = kTp;
  o.sequence_parallel = sp;
  o.recompute = r;
  return o;
}

double per_layer(Recompute r, bool sp) {
  TransformerSpec s = megatron_22b();
  return activation_bytes_per_layer(s, kBatch, kSeq, false, megatron_options(s, r, sp));
}

TEST(Korthikanti, Table2PerLayerFormulasHoldExactly) {
  const double t = kTp;
  // No parallelism: sbh(34 + 5as/h).
  {
    TransformerSpec s = megatron_22b();
    MemoryOptions o = megatron_options(s, Recompute::kNone, false);
    o.tensor_parallel = 1;
    EXPECT_DOUBLE_EQ(activation_bytes_per_layer(s, kBatch, kSeq, false, o), kSbh * (34 + 5 * kAsOverH));
  }
  // Tensor parallel: sbh(10 + 24/t + 5as/(ht)).
  EXPECT_DOUBLE_EQ(per_layer(Recompute::kNone, false), kSbh * (10 + 24 / t + 5 * kAsOverH / t));
  // Tensor + sequence parallel: sbh/t (34 + 5as/h).
  EXPECT_DOUBLE_EQ(per_layer(Recompute::kNone, true), kSbh / t * (34 + 5 * kAsOverH));
  // Tensor parallel + selective recomputation: sbh(10 + 24/t).
  EXPECT_DOUBLE_EQ(per_layer(Recompute::kSelective, false), kSbh * (10 + 24 / t));
  // Tensor + sequence parallel + selective recomputation: 34 sbh/t.
  EXPECT_DOUBLE_EQ(per_layer(Recompute::kSelective, true), kSbh * 34 / t);
  // Full recomputation: the layer input, 2sbh; with sequence parallelism its 1/t shard.
  EXPECT_DOUBLE_EQ(per_layer(Recompute::kFull, false), 2 * kSbh);
  EXPECT_DOUBLE_EQ(per_layer(Recompute::kFull, true), 2 * kSbh / t);
}

TEST(Korthikanti, MasksComeFromTheConfigNotFromAnAssumption) {
  // Without dropout the 1-byte masks (a*s^2*b after softmax, two sbh) go: sbh(32 + 4as/h)
  // with unfused attention (the softmax output feeds attention over V directly).
  TransformerSpec s = megatron_22b();
  s.attention_dropout = s.hidden_dropout = 0;
  MemoryOptions o = megatron_options(s, Recompute::kNone, false);
  o.tensor_parallel = 1;
  EXPECT_FALSE(o.dropout);
  EXPECT_DOUBLE_EQ(activation_bytes_per_layer(s, kBatch, kSeq, false, o), kSbh * (32 + 2 * kAsOverH));
}

struct PaperRow {
  const char* name;
  Recompute recompute;
  bool sp;
  double paper_gib;  // Table 2 formula x 48 layers, the figures issue 10 quotes
};

// The paper's Table 2 counts the 48 layers only. Sec. 4.3 adds, and calls small, the
// embedding dropout mask (sbh, 1 B), the final LayerNorm input and the LM head input (2sbh
// each): 5sbh, replicated across the 8 devices without sequence parallelism and split with
// it. That is 0.23 GiB against 59.25 (0.4%) and at most 0.8% (selective, 29.25 GiB); the
// ratios the issue quotes are rounded to 0.1 point (0.15% of the figure). So 1% admits these
// terms and fails on one more s*b*h tensor per layer without sequence parallelism (3.8% of
// none, 7.7% of selective). Those extra terms are also checked exactly, and the per-layer
// test above pins every term inside the layers.
TEST(Korthikanti, PerGpuActivationsMatchThePaperWithinOnePercent) {
  const double none = 26.0 + 1.0 / 3.0;  // 10 + 24/8 + 5*64*2048/(8*6144), in sbh
  const PaperRow rows[] = {
      {"none", Recompute::kNone, false, 59.25},
      {"sequence parallel", Recompute::kNone, true, 0.668 * 59.25},
      {"selective", Recompute::kSelective, false, 0.494 * 59.25},
      {"selective + sequence parallel", Recompute::kSelective, true, 9.5625},
  };
  TransformerSpec s = megatron_22b();
  ASSERT_EQ(s.num_layers, kLayers);
  EXPECT_NEAR(kSbh * none * kLayers / kGiB, 59.25, 0.005);  // the issue's figure is the formula's
  for (const PaperRow& row : rows) {
    MemoryReport r = training_memory(s, kBatch, kSeq, megatron_options(s, row.recompute, row.sp));
    double gib = r.bytes_activations / kGiB;
    EXPECT_NEAR(gib, row.paper_gib, 0.01 * row.paper_gib) << row.name << ": " << gib << " GiB";
    EXPECT_GE(gib, row.paper_gib * 0.999) << row.name << ": below the paper's own layers";
    EXPECT_DOUBLE_EQ(r.bytes_activations_outside, 5 * kSbh / (row.sp ? kTp : 1)) << row.name;
  }
}

// Full recomputation: the paper's 2sbhL (4.5 GiB, 7.6% of none) leaves out the layer whose
// forward runs again during its backward; Megatron holds that layer's whole working set then
// (26.33 sbh at tp 8: 1.23 GiB), so the per-GPU peak is 5.97 GiB, 10.1% of none. No constant
// closes that gap: it is the mechanism, checked term by term.
TEST(Korthikanti, FullRecomputationKeepsLayerInputsPlusOneLayerWorkingSet) {
  TransformerSpec s = megatron_22b();
  const double none = kSbh * (10 + 24.0 / kTp + 5 * kAsOverH / kTp);
  MemoryReport r = training_memory(s, kBatch, kSeq, megatron_options(s, Recompute::kFull, false));
  EXPECT_DOUBLE_EQ(r.bytes_activations_layers, 2 * kSbh * kLayers);  // the paper's 4.5 GiB
  EXPECT_DOUBLE_EQ(r.bytes_activations_recompute, none);
  EXPECT_DOUBLE_EQ(r.bytes_activations, 2 * kSbh * kLayers + none + 5 * kSbh);
  EXPECT_NEAR(r.bytes_activations / kGiB, 5.97, 0.005);
  // With sequence parallelism both the inputs and the recomputed layer are 1/t.
  MemoryReport p = training_memory(s, kBatch, kSeq, megatron_options(s, Recompute::kFull, true));
  EXPECT_DOUBLE_EQ(p.bytes_activations,
                   2 * kSbh / kTp * kLayers + kSbh / kTp * (34 + 5 * kAsOverH) + 5 * kSbh / kTp);
}

// Flash attention under selective recomputation: the core is checkpointed, so its
// log-sum-exp is recomputed too; only Q, K, V and the output stay (34 sbh/t with SP).
TEST(Korthikanti, SelectiveWithFlashKeepsNothingInsideTheCore) {
  TransformerSpec s = megatron_22b();
  MemoryOptions o = megatron_options(s, Recompute::kSelective, true);
  o.flash_attention = true;
  EXPECT_DOUBLE_EQ(activation_bytes_per_layer(s, kBatch, kSeq, false, o), kSbh * 34 / kTp);
  o.recompute = Recompute::kNone;
  EXPECT_DOUBLE_EQ(activation_bytes_per_layer(s, kBatch, kSeq, false, o), kSbh * 34 / kTp + 4.0 * 2048 * 4 * 64 / kTp);
}

// --- dropout settings of HF configs ---

TransformerSpec load_config(const std::string& file) {
  TransformerSpec out;
  [&] {
    auto s = load_model(std::string(FLOPSCOPE_TEST_DATA) + "/configs/" + file);
    ASSERT_TRUE(s.ok()) << file << ": " << s.error().message;
    out = std::move(*s);
  }();
  return out;
}

TEST(Dropout, ReadFromEachFamilysKeys) {
  TransformerSpec gpt2 = load_config("openai-community__gpt2.json");  // attn_pdrop, resid_pdrop, embd_pdrop
  EXPECT_DOUBLE_EQ(gpt2.attention_dropout, 0.1);
  EXPECT_DOUBLE_EQ(gpt2.hidden_dropout, 0.1);
  EXPECT_TRUE(gpt2.trains_with_dropout());
  TransformerSpec bert = load_config("google-bert__bert-base-uncased.json");  // *_dropout_prob
  EXPECT_DOUBLE_EQ(bert.attention_dropout, 0.1);
  EXPECT_DOUBLE_EQ(bert.hidden_dropout, 0.1);
  for (const char* file : {"meta-llama__Llama-3.1-8B.json", "EleutherAI__gpt-neox-20b.json",
                           "microsoft__Phi-3-mini-4k-instruct.json", "mistralai__Mixtral-8x7B-v0.1.json"}) {
    TransformerSpec s = load_config(file);
    EXPECT_EQ(s.attention_dropout, 0.0) << file;
    EXPECT_EQ(s.hidden_dropout, 0.0) << file;
    EXPECT_FALSE(s.trains_with_dropout()) << file;
  }
}

Result<TransformerSpec> parse(const std::string& extra) {
  return parse_hf_config(R"({"model_type": "llama", "vocab_size": 100, "hidden_size": 64, "num_hidden_layers": 2,
                             "num_attention_heads": 4, "intermediate_size": 128)" +
                             extra + "}",
                         "config.json");
}

TEST(Dropout, OtherSpellingsAndDefaults) {
  auto neox = parse_hf_config(R"({"model_type": "gpt_neox", "vocab_size": 100, "hidden_size": 64,
                                 "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 256,
                                 "attention_dropout": 0.05, "hidden_dropout": 0.2})",
                              "neox.json");
  ASSERT_TRUE(neox.ok()) << neox.error().message;
  EXPECT_DOUBLE_EQ(neox->attention_dropout, 0.05);
  EXPECT_DOUBLE_EQ(neox->hidden_dropout, 0.2);
  auto opt_style = parse(R"(, "dropout": 0.1)");  // OPT's spelling of the hidden dropout
  ASSERT_TRUE(opt_style.ok());
  EXPECT_DOUBLE_EQ(opt_style->hidden_dropout, 0.1);
  EXPECT_EQ(opt_style->attention_dropout, 0.0);
  auto none = parse("");  // LlamaConfig: attention_dropout defaults to 0.0
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none->trains_with_dropout());
  // GPT2Config defaults to 0.1 when the keys are absent; explicit zeros switch it off.
  const char* gpt2 = R"({"model_type": "gpt2", "vocab_size": 100, "n_embd": 64, "n_layer": 2, "n_head": 4,
                        "n_positions": 64)";
  auto d = parse_hf_config(std::string(gpt2) + "}", "g.json");
  ASSERT_TRUE(d.ok());
  EXPECT_DOUBLE_EQ(d->attention_dropout, 0.1);
  auto z = parse_hf_config(std::string(gpt2) + R"(, "attn_pdrop": 0, "resid_pdrop": 0.0, "embd_pdrop": 0})", "g.json");
  ASSERT_TRUE(z.ok());
  EXPECT_FALSE(z->trains_with_dropout());
}

TEST(Dropout, OutOfRangeOrNotANumberNamesTheField) {
  auto e = [](const std::string& extra) {
    auto r = parse(extra);
    return r.ok() ? std::string() : r.error().message;
  };
  EXPECT_EQ(e(R"(, "attention_dropout": 1.5)"), "config.json: attention_dropout: expected a dropout probability in [0, 1), got 1.5");
  EXPECT_EQ(e(R"(, "attention_dropout": "high")"),
            "config.json: attention_dropout: expected a dropout probability in [0, 1), got string \"high\"");
  EXPECT_EQ(e(R"(, "resid_pdrop": -0.1)"), "config.json: resid_pdrop: expected a dropout probability in [0, 1), got -0.1");
  EXPECT_EQ(e(R"(, "hidden_dropout_prob": 1)"), "config.json: hidden_dropout_prob: expected a dropout probability in [0, 1), got 1");
  EXPECT_EQ(e(R"(, "dropout": 0.999)"), "");
}

}  // namespace
}  // namespace flopscope
