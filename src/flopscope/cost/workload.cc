#include "flopscope/cost/workload.h"

#include <fmt/format.h>

#include <string>

#include "flopscope/util/text.h"

namespace flopscope {

const char* phase_name(Phase p) {
  switch (p) {
    case Phase::kForward: return "forward";
    case Phase::kPrefill: return "prefill";
    case Phase::kDecode: return "decode";
    case Phase::kTrainStep: return "train";
  }
  return "?";
}

Result<Recompute> parse_recompute(std::string_view text) {
  if (text == "none") return Recompute::kNone;
  if (text == "selective") return Recompute::kSelective;
  if (text == "full") return Recompute::kFull;
  return bad_input("--recompute: expected none, selective or full, got '" + std::string(text) + "'");
}

const char* recompute_name(Recompute r) {
  switch (r) {
    case Recompute::kNone: return "none";
    case Recompute::kSelective: return "selective";
    case Recompute::kFull: return "full";
  }
  return "?";
}

Result<Modules> parse_modules(std::string_view text, std::string_view field) {
  if (text == "fused") return Modules::kFused;
  if (text == "pytorch") return Modules::kPyTorch;
  if (text == "transformers" || text == "hf") return Modules::kTransformers;
  return bad_input(fmt::format("{}: expected fused, pytorch or transformers, got '{}'", field, text));
}

Result<DecodeAttention> parse_decode_attention(std::string_view text, std::string_view field) {
  if (text == "grouped") return DecodeAttention::kGrouped;
  if (text == "per-head") return DecodeAttention::kPerHead;
  if (text == "trtllm-0.9") return DecodeAttention::kTensorRtLlm09;
  return bad_input(fmt::format("{}: expected grouped, per-head or trtllm-0.9, got '{}'", field, printable(text)));
}

const char* decode_attention_name(DecodeAttention d) {
  switch (d) {
    case DecodeAttention::kGrouped: return "grouped";
    case DecodeAttention::kPerHead: return "per-head";
    case DecodeAttention::kTensorRtLlm09: return "trtllm-0.9";
  }
  return "?";
}

const char* modules_name(Modules m) {
  switch (m) {
    case Modules::kFused: return "fused";
    case Modules::kPyTorch: return "pytorch";
    case Modules::kTransformers: return "transformers";
  }
  return "?";
}

Modules default_modules(Phase phase) { return phase == Phase::kTrainStep ? Modules::kTransformers : Modules::kPyTorch; }

Status validate(const Workload& w) {
  if (w.batch <= 0) return bad_input("--batch: expected a positive integer, got " + std::to_string(w.batch));
  if (w.phase != Phase::kDecode && w.seq <= 0) {
    return bad_input("--seq: expected a positive integer, got " + std::to_string(w.seq));
  }
  // Products of sizes (tokens x widths x layers) stay far inside int64 and double precision
  // below this; nothing real comes near it (a 16M-token global batch is 1.6e7).
  constexpr double kMaxTokensPerStep = 1e12;
  double tokens = static_cast<double>(w.batch) * static_cast<double>(w.phase == Phase::kDecode ? 1 : w.seq);
  if (tokens > kMaxTokensPerStep) {
    return bad_input(fmt::format("--batch x --seq: expected at most 1e12 tokens per step, got {:.3g}", tokens));
  }
  if (w.context < 0) {
    return bad_input("--context: expected a non-negative integer, got " + std::to_string(w.context));
  }
  // Cached tokens a decode step reads (batch x context) fall under the same limit.
  double cached = static_cast<double>(w.batch) * static_cast<double>(w.context);
  if (cached > kMaxTokensPerStep) {
    return bad_input(fmt::format("--batch x --context: expected at most 1e12 cached tokens, got {:.3g}", cached));
  }
  return {};
}

}  // namespace flopscope
