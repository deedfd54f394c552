// Training progress as JSON Lines, one object per line, written by the training loop:
//   {"job": "llama-8b-pt", "model": "llama-3.1-8b", "hardware": "h100-sxm", "gpus": 8,
//    "micro_batch": 2, "seq": 4096}                       <- optional header (no "step")
//   {"step": 100, "tokens": 6553600, "seconds": 41.8}     <- one interval
//   {"step": 200, "tokens": 6553600, "seconds": 41.5, "time": "2024-09-01T12:03:00Z"}
// A step line covers the interval since the previous one: `tokens` processed (all GPUs
// together) in `seconds` of wall clock. Fields:
//   step     integer in [0, 2^53], unique per job (a repeated step is skipped on re-import)
//   tokens   number in [0, 1e16]
//   seconds  number in (0, 1e9]
//   job      string; else the header's job; else `--job`
//   time     optional, ISO 8601 or seconds since 1970
// The header's fields (job, model, hardware, gpus, micro_batch, seq, dtype) give the job's
// predicted MFU (docs/ledger.md); it must come before the first step. Unknown keys are
// ignored. Errors name the line and the key ("column").
#include <fmt/format.h>

#include <cmath>
#include <nlohmann/json.hpp>

#include "flopscope/ledger/fields.h"
#include "flopscope/ledger/importers.h"
#include "flopscope/util/limits.h"
#include "flopscope/util/text.h"

namespace flopscope {

Status import_progress_jsonl(std::string_view text, const std::string& origin, const ImportOptions& o, RowSink& sink) {
  size_t pos = 0;
  int64_t line_no = 0;
  std::string header_job;
  bool seen_step = false;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    if (trim(line).empty() || trim(line) == "\r") continue;
    auto at = [&](std::string_view key) { return fmt::format("{}: line {}, column '{}': ", origin, line_no, key); };
    nlohmann::json j;
    try {
      j = nlohmann::json::parse(line);
    } catch (const nlohmann::json::parse_error& e) {
      return bad_input(fmt::format("{}: line {}, column {}: expected a JSON object, parse error", origin, line_no,
                                   e.byte));
    } catch (const nlohmann::json::out_of_range&) {  // 406: a number like 1e999
      return bad_input(fmt::format("{}: line {}: expected a JSON object, got a number beyond a double", origin, line_no));
    }
    if (!j.is_object()) return bad_input(fmt::format("{}: line {}: expected a JSON object", origin, line_no));
    auto text_field = [&](const char* key, std::string& out) -> Status {
      auto it = j.find(key);
      if (it == j.end()) return {};
      if (!it->is_string() || it->get<std::string>().empty()) {
        return bad_input(at(key) + "expected a non-empty string, got " + printable(it->dump()));
      }
      if (it->get_ref<const std::string&>().find('\0') != std::string::npos) {  // \u0000: no back end holds it
        return bad_input(at(key) + "expected a string without NUL characters, got " + printable(it->dump()));
      }
      out = it->get<std::string>();
      return {};
    };
    auto number = [&](const char* key, double lo, double hi, bool open_lo, std::optional<double>& out) -> Status {
      auto it = j.find(key);
      if (it == j.end()) return {};
      double v = it->is_number() ? it->get<double>() : NAN;
      if (!std::isfinite(v) || v < lo || v > hi || (open_lo && v <= lo)) {
        return bad_input(at(key) + fmt::format("expected a number in {}{:g}, {:g}], got ", open_lo ? "(" : "[", lo, hi) +
                         printable(it->dump()));
      }
      out = v;
      return {};
    };
    if (!j.contains("step")) {
      if (seen_step) return bad_input(at("step") + "expected a step (a header line must come before the first step)");
      JobMeta m;
      if (auto st = text_field("job", m.job); !st) return st;
      if (auto st = text_field("model", m.model); !st) return st;
      if (auto st = text_field("hardware", m.hardware); !st) return st;
      if (auto st = text_field("dtype", m.dtype); !st) return st;
      std::optional<double> gpus, mb, seq;
      if (auto st = number("gpus", 0, static_cast<double>(limits::kDevices), true, gpus); !st) return st;
      if (auto st = number("micro_batch", 0, static_cast<double>(limits::kBatch), true, mb); !st) return st;
      if (auto st = number("seq", 0, static_cast<double>(limits::kPositions), true, seq); !st) return st;
      for (auto [v, key] : {std::pair{gpus, "gpus"}, {mb, "micro_batch"}, {seq, "seq"}}) {
        if (v && std::floor(*v) != *v) return bad_input(at(key) + fmt::format("expected an integer, got {}", *v));
      }
      if (m.job.empty()) m.job = o.job;
      if (m.job.empty()) return bad_input(at("job") + "expected the job's name in the header (or pass --job)");
      m.gpus = gpus ? static_cast<int64_t>(*gpus) : 0;
      m.micro_batch = mb ? static_cast<int64_t>(*mb) : 0;
      m.seq = seq ? static_cast<int64_t>(*seq) : 0;
      header_job = m.job;
      if (!m.model.empty() || !m.hardware.empty()) {
        if (auto st = sink.job(m); !st) return st;
      }
      continue;
    }
    seen_step = true;
    ProgressRecord p;
    std::optional<double> step, tokens, seconds, time;
    if (auto st = number("step", 0, 9007199254740992.0, false, step); !st) return st;
    if (std::floor(*step) != *step) return bad_input(at("step") + fmt::format("expected an integer, got {}", *step));
    if (auto st = number("tokens", 0, kLedgerMaxTokens, false, tokens); !st) return st;
    if (auto st = number("seconds", 0, kLedgerMaxSeconds, true, seconds); !st) return st;
    if (!tokens) return bad_input(at("tokens") + "expected the tokens of the interval, key is missing");
    if (!seconds) return bad_input(at("seconds") + "expected the seconds of the interval, key is missing");
    if (auto it = j.find("time"); it != j.end()) {
      if (it->is_string()) {
        auto t = parse_utc_time(it->get<std::string>());
        if (!t) return bad_input(at("time") + t.error().message);
        time = *t;
      } else if (auto st = number("time", kLedgerMinUnixSeconds, kLedgerMaxUnixSeconds, false, time); !st) {
        return st;
      }
    }
    if (auto st = text_field("job", p.job); !st) return st;
    if (p.job.empty()) p.job = header_job.empty() ? o.job : header_job;
    if (p.job.empty()) return bad_input(at("job") + "expected the job's name (on the line, in a header, or --job)");
    p.step = static_cast<int64_t>(*step);
    p.tokens = *tokens;
    p.seconds = *seconds;
    p.unix_seconds = time;
    if (auto st = sink.progress(p); !st) return st;
  }
  if (!seen_step) return bad_input(origin + ": no step lines (expected {\"step\": N, \"tokens\": T, \"seconds\": S})");
  return {};
}

}  // namespace flopscope
