// Hugging Face Trainer state (`trainer_state.json`, transformers >= 4.x), written in each
// checkpoint folder and at the end of training:
//   {"global_step": 500, "total_flos": 1.2e17, "log_history": [
//      {"step": 10, "loss": 2.31, "num_input_tokens_seen": 81920, ...}, ...,
//      {"step": 500, "train_runtime": 3601.5, "total_flos": 1.2e17, ...}]}
// The run becomes one progress row: step = the summary entry's step (else global_step),
// seconds = train_runtime, tokens = the largest num_input_tokens_seen (present when the
// run set include_num_input_tokens_seen; else 0), flops_model = total_flos (the Trainer's
// 6 x params x tokens, summed over processes). Without train_runtime (a run still going)
// the file is refused: there is no time to divide by. The job is `--job`, else the folder
// holding the file (the one above checkpoint-N).
#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "flopscope/ledger/fields.h"
#include "flopscope/ledger/importers.h"
#include "flopscope/util/text.h"

namespace flopscope {

Status import_trainer_state(std::string_view text, const std::string& origin, const ImportOptions& o, RowSink& sink) {
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::parse_error& e) {
    return bad_input(fmt::format("{}: expected valid JSON, parse error at byte {}", origin, e.byte));
  } catch (const nlohmann::json::out_of_range&) {  // 406: a number like 1e999
    return bad_input(origin + ": expected valid JSON, got a number beyond a double");
  }
  if (!j.is_object() || !j.contains("log_history") || !j["log_history"].is_array()) {
    return bad_input(origin + ": log_history: expected an array (a Trainer trainer_state.json)");
  }
  const auto& history = j["log_history"];
  std::optional<double> runtime, flos, step, tokens;
  auto number = [&](const nlohmann::json& v, const std::string& where, double lo, double hi) -> Result<double> {
    double x = v.is_number() ? v.get<double>() : NAN;
    if (!std::isfinite(x) || x < lo || x > hi) {
      return bad_input(fmt::format("{}: {}: expected a number in [{}, {}], got {}", origin, where, lo, hi,
                                   printable(v.dump())));
    }
    return x;
  };
  for (size_t i = 0; i < history.size(); ++i) {
    const auto& e = history[i];
    std::string at = fmt::format("log_history[{}]", i);
    if (!e.is_object()) return bad_input(origin + ": " + at + ": expected an object");
    if (auto it = e.find("num_input_tokens_seen"); it != e.end()) {
      auto v = number(*it, at + ".num_input_tokens_seen", 0, kLedgerMaxTokens);
      if (!v) return v.error();
      tokens = std::max(tokens.value_or(0), *v);
    }
    if (auto it = e.find("train_runtime"); it != e.end()) {
      auto v = number(*it, at + ".train_runtime", 0, kLedgerMaxSeconds);
      if (!v) return v.error();
      runtime = *v;
      if (auto s = e.find("step"); s != e.end()) {
        auto sv = number(*s, at + ".step", 0, 9007199254740992.0);
        if (!sv) return sv.error();
        step = *sv;
      }
      if (auto f = e.find("total_flos"); f != e.end()) {
        auto fv = number(*f, at + ".total_flos", 0, 1e30);
        if (!fv) return fv.error();
        flos = *fv;
      }
    }
  }
  if (!runtime || *runtime <= 0) {
    return bad_input(origin + ": log_history: expected a final entry with train_runtime > 0 (the run's summary; "
                              "a run still going has none)");
  }
  if (!step) {
    if (auto it = j.find("global_step"); it != j.end()) {
      auto v = number(*it, "global_step", 0, 9007199254740992.0);
      if (!v) return v.error();
      step = *v;
    }
  }
  if (!flos) {
    if (auto it = j.find("total_flos"); it != j.end()) {
      auto v = number(*it, "total_flos", 0, 1e30);
      if (!v) return v.error();
      flos = *v;
    }
  }
  ProgressRecord p;
  p.job = o.job;
  if (p.job.empty()) {
    std::filesystem::path dir = std::filesystem::path(origin).parent_path();
    if (dir.filename().string().rfind("checkpoint-", 0) == 0) dir = dir.parent_path();
    p.job = std::filesystem::absolute(dir).lexically_normal().filename().string();
    if (p.job.empty()) p.job = std::filesystem::absolute(dir).lexically_normal().parent_path().filename().string();
    p.job = valid_utf8(p.job);  // a folder name may be any bytes; the ledger holds UTF-8
  }
  if (p.job.empty()) return bad_input(origin + ": cannot name the job from the path; pass --job");
  p.step = static_cast<int64_t>(step.value_or(0));
  p.seconds = *runtime;
  p.tokens = tokens.value_or(0);
  if (flos && *flos > 0) p.flops_model = flos;
  return sink.progress(p);
}

}  // namespace flopscope
