// The formats `ledger import` reads, one parser per file (focus_importer.cc, ...), each
// specified at the top of its .cc. A parser reads the whole text and hands each row to a
// RowSink; the first malformed row ends it with "FILE: line L, column C (NAME): expected
// ..., got '...'", and import_text() then rolls the file's transaction back.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "flopscope/ledger/ledger_store.h"
#include "flopscope/util/result.h"

namespace flopscope {

enum class LedgerFormat { kFocus, kNvidiaSmi, kDcgm, kProgressJsonl, kTrainerState, kCount };

/// "focus", "nvidia-smi", "dcgm", "jsonl", "trainer-state".
std::string_view ledger_format_name(LedgerFormat f);
/// The inverse of ledger_format_name(); "--format: unknown format 'fokus', did you mean 'focus'?".
Result<LedgerFormat> parse_ledger_format(std::string_view name);
/// Tells the format from the first bytes of the file.
/// Error: "FILE: cannot tell the format (expected a FOCUS CSV, an nvidia-smi CSV, a DCGM
/// scrape, a progress JSONL or a trainer_state.json); pass --format".
Result<LedgerFormat> detect_ledger_format(std::string_view text, std::string_view origin);

struct ImportOptions {
  std::optional<LedgerFormat> format;        ///< none: detect_ledger_format()
  std::string job;                           ///< job of telemetry rows, and of progress rows that name none
  std::string host;                          ///< host of nvidia-smi rows (DCGM carries its Hostname label)
  std::string job_tag = "job";               ///< FOCUS: the Tags key that names the job
  std::optional<double> unix_seconds_scrape; ///< DCGM: time of samples without a timestamp
};

/// Where parsers put rows: forwards to the store and counts what was read (the store counts
/// what it added: LedgerStore::commit_import()).
class RowSink {
 public:
  explicit RowSink(LedgerStore& store) : store_(store) {}
  Status cost(const CostRecord& r) { return count(store_.add_cost(r)); }
  Status gpu_sample(const GpuSample& s) { return count(store_.add_gpu_sample(s)); }
  Status progress(const ProgressRecord& p) { return count(store_.add_progress(p)); }
  Status job(const JobMeta& j) { return store_.put_job(j); }
  int64_t rows_read() const { return rows_read_; }

 private:
  Status count(Status added) {
    if (added) ++rows_read_;
    return added;
  }
  LedgerStore& store_;
  int64_t rows_read_ = 0;
};

Status import_focus(std::string_view text, const std::string& origin, const ImportOptions& o, RowSink& sink);
Status import_nvidia_smi(std::string_view text, const std::string& origin, const ImportOptions& o, RowSink& sink);
Status import_dcgm(std::string_view text, const std::string& origin, const ImportOptions& o, RowSink& sink);
Status import_progress_jsonl(std::string_view text, const std::string& origin, const ImportOptions& o, RowSink& sink);
Status import_trainer_state(std::string_view text, const std::string& origin, const ImportOptions& o, RowSink& sink);

}  // namespace flopscope
