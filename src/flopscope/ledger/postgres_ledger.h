// PostgresLedger: the ledger in a PostgreSQL database, for a team (`--db postgresql://...`).
//
// Same schema and migrations as SqliteLedger (ledger_schema.h); the table ledger_schema holds
// the version (SQLite keeps it in PRAGMA user_version). A migration runs in one transaction
// under an advisory lock, so two clients opening a new database at once migrate it once.
//
// Imports: each file is one transaction. begin_import() locks the imports table in
// EXCLUSIVE mode (readers go on; a second importer waits for the first to commit), so two
// importers never interleave and the second sees the first's file hash. Rows are buffered and
// sent in batches with COPY into a temporary staging table, then moved with INSERT ... SELECT
// ... ON CONFLICT DO NOTHING (a row whose key is there is skipped). A client killed mid-import
// leaves nothing: the server rolls back a transaction whose connection drops. No SQL is ever
// built from file content: values travel as COPY data or as query parameters.
//
// The URL is libpq's (https://www.postgresql.org/docs/current/libpq-connect.html):
// postgresql://[user[:password]@][host][:port][/dbname][?param=value&...]; the environment
// (PGPASSWORD, PGHOST, ~/.pgpass, ...) fills in what it leaves out. Error messages name the
// URL without its password (redact_postgres_url()).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "flopscope/ledger/ledger_store.h"

namespace flopscope {

/// True for "postgresql://..." and "postgres://..." (libpq's two URI prefixes).
bool is_postgres_url(std::string_view db);

/// The URL with its password taken out ("postgresql://ann:secret@db/x" -> "postgresql://ann@db/x",
/// and a password=... parameter dropped), for messages.
std::string redact_postgres_url(std::string_view url);

class PostgresLedger final : public LedgerStore {
 public:
  /// Connects to the database at `url` and migrates it.
  /// Errors: "URL: not a PostgreSQL URL: <libpq message>" (bad input), "URL: cannot connect:
  /// <libpq message>" (failure), "URL: schema version 9 is newer than this flopscope (2);
  /// upgrade flopscope", "URL: no ledger in this database (create it with flopscope ledger
  /// import --db URL)" (not found, when options.create is false).
  static Result<std::unique_ptr<PostgresLedger>> open(const std::string& url, const LedgerOpenOptions& options = {});
  ~PostgresLedger() override;
  PostgresLedger(const PostgresLedger&) = delete;
  PostgresLedger& operator=(const PostgresLedger&) = delete;

  Result<bool> begin_import(const ImportHeader& header) override;
  Status add_cost(const CostRecord& r) override;
  Status add_gpu_sample(const GpuSample& s) override;
  Status add_progress(const ProgressRecord& p) override;
  Status put_job(const JobMeta& j) override;
  Result<int64_t> commit_import() override;
  void rollback_import() override;

  Result<int> schema_version() override;
  Result<LedgerCounts> counts() override;
  Result<std::vector<DailySpend>> daily_spend() override;
  Result<std::vector<TagSpend>> tag_spend() override;
  Result<std::vector<GpuSample>> gpu_samples() override;
  Result<std::vector<ProgressTotal>> progress_totals() override;
  Result<std::vector<JobMeta>> jobs() override;

 private:
  struct Impl;
  explicit PostgresLedger(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace flopscope
