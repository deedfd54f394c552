// LedgerStore: the narrow interface between the ledger's logic (imports, reports, checks)
// and the database that keeps it. Two back ends implement it with one schema and one list of
// migrations (ledger_schema.h) and pass the same tests: SqliteLedger (sqlite_ledger.h, one
// file) and PostgresLedger (postgres_ledger.h, `--db postgresql://...`); open_ledger()
// (open_ledger.h) picks one from the --db string.
//
// Imports are transactions: begin_import() takes the write lock and records the file's
// hash, the add_*() calls hand over rows (a back end may buffer them and insert in batches;
// a row whose key is already there is skipped), and commit_import() or rollback_import()
// ends it. Nothing is visible before the commit.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "flopscope/ledger/records.h"
#include "flopscope/util/result.h"

namespace flopscope {

/// The file an import reads, as recorded in the `imports` table.
struct ImportHeader {
  std::string sha256;  ///< of the file's bytes (and the options that change its rows)
  std::string path;
  std::string format;  ///< ledger_format_name()
};

/// How open_ledger() and the back ends open a ledger.
struct LedgerOpenOptions {
  bool create = true;   ///< false: a ledger that does not exist yet is an error (reports must not create one)
  int migrate_to = -1;  ///< migrate only this far (tests build old versions); -1 = kLedgerSchemaVersion
};

/// Rows of each table, for reports and tests.
struct LedgerCounts {
  int64_t imports = 0;
  int64_t costs = 0;
  int64_t gpu_samples = 0;
  int64_t progress = 0;
  int64_t jobs = 0;
};

/// Spend of one job on one UTC day.
struct DailySpend {
  std::string day;  ///< "2024-09-01" (of ChargePeriodStart)
  std::string job;  ///< "" when untagged
  double usd_effective = 0;
  double usd_billed = 0;
};

/// Spend of the rows carrying one tag key=value.
struct TagSpend {
  std::string key;
  std::string value;
  double usd_effective = 0;
  double usd_billed = 0;
};

/// Progress rows of one job, summed.
struct ProgressTotal {
  std::string job;
  int64_t intervals = 0;
  double tokens = 0;
  double seconds = 0;
  double flops_model = 0;      ///< sum over the rows that carry it
  double seconds_with_flops = 0;  ///< seconds of the rows that carry flops_model
};

class LedgerStore {
 public:
  virtual ~LedgerStore() = default;

  /// Starts the transaction of one file (taking the write lock, waiting for another
  /// importer). Returns false, with no transaction open, when a file with this hash was
  /// imported before.
  virtual Result<bool> begin_import(const ImportHeader& header) = 0;
  /// Each adds a row unless one with its key is already there (in the ledger, or earlier in
  /// this import). A back end may hold rows back and insert them in batches.
  virtual Status add_cost(const CostRecord& r) = 0;
  virtual Status add_gpu_sample(const GpuSample& s) = 0;
  virtual Status add_progress(const ProgressRecord& p) = 0;
  /// Inserts or replaces the job's facts.
  virtual Status put_job(const JobMeta& j) = 0;
  /// Inserts what is held back, records the number of rows the import added, commits, and
  /// returns that number.
  virtual Result<int64_t> commit_import() = 0;
  /// Undoes everything since begin_import(); a no-op when none is open.
  virtual void rollback_import() = 0;

  /// The schema version of the open ledger (kLedgerSchemaVersion once migrated).
  virtual Result<int> schema_version() = 0;
  virtual Result<LedgerCounts> counts() = 0;
  virtual Result<std::vector<DailySpend>> daily_spend() = 0;
  virtual Result<std::vector<TagSpend>> tag_spend() = 0;
  /// Every sample, ordered by host, gpu, time.
  virtual Result<std::vector<GpuSample>> gpu_samples() = 0;
  virtual Result<std::vector<ProgressTotal>> progress_totals() = 0;
  virtual Result<std::vector<JobMeta>> jobs() = 0;
};

}  // namespace flopscope
