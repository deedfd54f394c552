// SqliteLedger: the ledger in one SQLite file.
//
// Durability and concurrency: WAL journal, synchronous=FULL (a committed import survives a
// kill -9 and a power cut), a busy timeout so that a second importer waits for the first
// instead of failing, and BEGIN IMMEDIATE for each file so two importers never interleave.
//
// Schema versions: PRAGMA user_version holds the version; ledger_migration() (ledger_schema.h,
// shared with PostgresLedger) gives the SQL that takes version N-1 to N. Opening a file applies the missing ones in one
// transaction. Version 0 is an empty (new) file; a version above kLedgerSchemaVersion is
// refused ("too new"), as ninja's build log does.
#pragma once

#include <memory>
#include <string>

#include "flopscope/ledger/ledger_schema.h"
#include "flopscope/ledger/ledger_store.h"

struct sqlite3;

namespace flopscope {

struct SqliteOptions {
  int milliseconds_busy_timeout = 60'000;  ///< how long a writer waits for another one
  /// Migrate only this far (tests build old versions with it); -1 = kLedgerSchemaVersion.
  int migrate_to = -1;
};

class SqliteLedger final : public LedgerStore {
 public:
  /// Opens (creating when absent) and migrates the ledger at `path`.
  /// Errors: "PATH: cannot open ledger: <sqlite message>", "PATH: schema version 9 is newer
  /// than this flopscope (2); upgrade flopscope", "PATH: not a ledger database: ...".
  static Result<std::unique_ptr<SqliteLedger>> open(const std::string& path, const SqliteOptions& options = {});
  ~SqliteLedger() override;
  SqliteLedger(const SqliteLedger&) = delete;
  SqliteLedger& operator=(const SqliteLedger&) = delete;

  Result<int> schema_version() override;

  Result<bool> begin_import(const ImportHeader& header) override;
  Status add_cost(const CostRecord& r) override;
  Status add_gpu_sample(const GpuSample& s) override;
  Status add_progress(const ProgressRecord& p) override;
  Status put_job(const JobMeta& j) override;
  Result<int64_t> commit_import() override;
  void rollback_import() override;

  Result<LedgerCounts> counts() override;
  Result<std::vector<DailySpend>> daily_spend() override;
  Result<std::vector<TagSpend>> tag_spend() override;
  Result<std::vector<GpuSample>> gpu_samples() override;
  Result<std::vector<ProgressTotal>> progress_totals() override;
  Result<std::vector<JobMeta>> jobs() override;

 private:
  struct Impl;
  explicit SqliteLedger(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace flopscope
