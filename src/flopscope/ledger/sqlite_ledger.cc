#include "flopscope/ledger/sqlite_ledger.h"

#include <sqlite3.h>

#include <ctime>

#include "flopscope/ledger/ledger_schema.h"

namespace flopscope {
namespace {

// Owns one prepared statement.
struct Stmt {
  sqlite3_stmt* s = nullptr;
  Stmt() = default;
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  ~Stmt() { reset(); }
  void reset() {
    sqlite3_finalize(s);
    s = nullptr;
  }
};

// Binds one value to parameter i (from 1): text, an integer, a real, or NULL for an
// absent optional. The text stays the caller's until the statement steps.
void bind_text(sqlite3_stmt* s, int i, const std::string& v) {
  sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_STATIC);
}
void bind(sqlite3_stmt* s, int i, const std::string& v) { bind_text(s, i, v); }
void bind(sqlite3_stmt* s, int i, int64_t v) { sqlite3_bind_int64(s, i, v); }
void bind(sqlite3_stmt* s, int i, double v) { sqlite3_bind_double(s, i, v); }
void bind(sqlite3_stmt* s, int i, const std::optional<double>& v) {
  if (v) sqlite3_bind_double(s, i, *v); else sqlite3_bind_null(s, i);
}

}  // namespace

struct SqliteLedger::Impl {
  sqlite3* db = nullptr;
  std::string path;
  bool in_import = false;
  int64_t import_id = 0;
  int64_t rows_added = 0;  // by the open import
  Stmt insert_cost, insert_sample, insert_progress, upsert_job;
  ~Impl() {
    // close_v2 waits for the statements, which the members' destructors finalize next.
    if (db) sqlite3_close_v2(db);
  }
  Error err(std::string_view what) const {
    return failure(path + ": " + std::string(what) + ": " + sqlite3_errmsg(db));
  }
  // Runs a read-only query and makes each row a T with `row`; `what` names it in errors.
  template <typename T, typename RowFn>
  Result<std::vector<T>> rows(const char* sql, const char* what, RowFn row) {
    Stmt st;
    if (sqlite3_prepare_v2(db, sql, -1, &st.s, nullptr) != SQLITE_OK) return err(what);
    std::vector<T> out;
    int rc;
    while ((rc = sqlite3_step(st.s)) == SQLITE_ROW) out.push_back(row(st.s));
    if (rc != SQLITE_DONE) return err(what);
    return out;
  }
  Status exec(const char* sql) {
    char* msg = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &msg) != SQLITE_OK) {
      std::string m = msg ? msg : "unknown error";
      sqlite3_free(msg);
      return failure(path + ": " + m);
    }
    return {};
  }
  Status prepare(Stmt& st, const char* sql) {
    if (st.s) return {};
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st.s, nullptr) != SQLITE_OK) return err("prepare");
    return {};
  }
  Result<int> user_version() {
    Stmt st;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st.s, nullptr) != SQLITE_OK) {
      return bad_input(path + ": not a ledger database: " + sqlite3_errmsg(db));
    }
    if (sqlite3_step(st.s) != SQLITE_ROW) return bad_input(path + ": not a ledger database: " + sqlite3_errmsg(db));
    return sqlite3_column_int(st.s, 0);
  }
  // Inserts one row with `sql` (prepared once into `st`), its parameters bound in order to
  // `values`; true when a row was added (OR IGNORE skipped none).
  template <typename... V>
  Result<bool> insert(Stmt& st, const char* sql, const V&... values) {
    if (auto p = prepare(st, sql); !p) return p.error();
    int i = 0;
    (bind(st.s, ++i, values), ...);
    return step_insert(st);
  }
  // Inserts one row of the open import (insert()), counting it when it was new.
  template <typename... V>
  Status add(Stmt& st, const char* sql, const V&... values) {
    auto added = insert(st, sql, values...);
    if (!added) return added.error();
    if (*added) ++rows_added;
    return {};
  }
  // Runs a statement that inserts one row; true when a row was added (OR IGNORE skipped none).
  Result<bool> step_insert(Stmt& st) {
    int rc = sqlite3_step(st.s);
    sqlite3_reset(st.s);
    sqlite3_clear_bindings(st.s);
    if (rc != SQLITE_DONE) return err("insert");
    return sqlite3_changes(db) > 0;
  }
};

namespace {
std::string column_text(sqlite3_stmt* s, int i) {
  const unsigned char* t = sqlite3_column_text(s, i);
  return t ? std::string(reinterpret_cast<const char*>(t), static_cast<size_t>(sqlite3_column_bytes(s, i))) : std::string();
}
// A row of spend grouped by two keys (day and job, or tag key and value): the keys, then
// effective and billed US dollars.
template <typename T>
T spend_row(sqlite3_stmt* s) {
  return T{column_text(s, 0), column_text(s, 1), sqlite3_column_double(s, 2), sqlite3_column_double(s, 3)};
}
std::optional<double> column_opt(sqlite3_stmt* s, int i) {
  if (sqlite3_column_type(s, i) == SQLITE_NULL) return std::nullopt;
  return sqlite3_column_double(s, i);
}
std::string utc_now() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}
}  // namespace

SqliteLedger::SqliteLedger(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SqliteLedger::~SqliteLedger() {
  if (impl_ && impl_->in_import) rollback_import();
}

Result<std::unique_ptr<SqliteLedger>> SqliteLedger::open(const std::string& path, const SqliteOptions& options) {
  auto impl = std::make_unique<Impl>();
  impl->path = path;
  int rc = sqlite3_open_v2(path.c_str(), &impl->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                           nullptr);
  if (rc != SQLITE_OK) {
    std::string m = impl->db ? sqlite3_errmsg(impl->db) : "out of memory";
    return bad_input(path + ": cannot open ledger: " + m);
  }
  sqlite3_busy_timeout(impl->db, options.milliseconds_busy_timeout);
  sqlite3_extended_result_codes(impl->db, 1);
  auto version = impl->user_version();
  if (!version) return version.error();
  if (*version > kLedgerSchemaVersion) {
    return bad_input(path + ": schema version " + std::to_string(*version) + " is newer than this flopscope (" +
                     std::to_string(kLedgerSchemaVersion) + "); upgrade flopscope");
  }
  if (*version < 0) return bad_input(path + ": not a ledger database: schema version " + std::to_string(*version));
  // WAL lets reports read while an import writes; FULL makes each commit durable.
  {
    Stmt st;
    if (sqlite3_prepare_v2(impl->db, "PRAGMA journal_mode=WAL", -1, &st.s, nullptr) != SQLITE_OK ||
        sqlite3_step(st.s) != SQLITE_ROW) {
      return bad_input(path + ": not a ledger database: " + sqlite3_errmsg(impl->db));
    }
  }
  if (auto st = impl->exec("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA cache_size=-65536"); !st) {
    return st.error();
  }
  const int target = options.migrate_to < 0 ? kLedgerSchemaVersion : std::min(options.migrate_to, kLedgerSchemaVersion);
  if (*version < target) {
    // Another process may migrate at the same time: take the write lock, then look again.
    if (auto st = impl->exec("BEGIN IMMEDIATE"); !st) return st.error();
    auto v = impl->user_version();
    if (!v) {
      (void)impl->exec("ROLLBACK");
      return v.error();
    }
    for (int n = *v + 1; n <= target; ++n) {
      if (auto st = impl->exec(ledger_migration(n, SqlDialect::kSqlite).c_str()); !st) {
        (void)impl->exec("ROLLBACK");
        return failure(path + ": migration to schema version " + std::to_string(n) + " failed: " + st.error().message);
      }
    }
    if (*v < target) {
      std::string set = "PRAGMA user_version=" + std::to_string(target);
      if (auto st = impl->exec(set.c_str()); !st) {
        (void)impl->exec("ROLLBACK");
        return st.error();
      }
    }
    if (auto st = impl->exec("COMMIT"); !st) {
      (void)impl->exec("ROLLBACK");
      return st.error();
    }
  }
  return std::unique_ptr<SqliteLedger>(new SqliteLedger(std::move(impl)));
}

Result<int> SqliteLedger::schema_version() { return impl_->user_version(); }

Result<bool> SqliteLedger::begin_import(const ImportHeader& header) {
  Impl& m = *impl_;
  if (m.in_import) return failure(m.path + ": an import is already open");
  if (auto st = m.exec("BEGIN IMMEDIATE"); !st) return st.error();
  m.in_import = true;
  {
    Stmt st;
    if (sqlite3_prepare_v2(m.db, "SELECT id FROM imports WHERE sha256 = ?", -1, &st.s, nullptr) != SQLITE_OK) {
      rollback_import();
      return m.err("prepare");
    }
    bind_text(st.s, 1, header.sha256);
    int rc = sqlite3_step(st.s);
    if (rc == SQLITE_ROW) {
      st.reset();
      rollback_import();
      return false;
    }
    if (rc != SQLITE_DONE) {
      st.reset();
      rollback_import();
      return m.err("read imports");
    }
  }
  Stmt ins;
  if (sqlite3_prepare_v2(m.db, "INSERT INTO imports(sha256, path, format, imported_at) VALUES(?,?,?,?)", -1, &ins.s,
                         nullptr) != SQLITE_OK) {
    rollback_import();
    return m.err("prepare");
  }
  bind_text(ins.s, 1, header.sha256);
  bind_text(ins.s, 2, header.path);
  bind_text(ins.s, 3, header.format);
  std::string now = utc_now();
  bind_text(ins.s, 4, now);
  if (sqlite3_step(ins.s) != SQLITE_DONE) {
    ins.reset();
    rollback_import();
    return m.err("insert import");
  }
  m.import_id = sqlite3_last_insert_rowid(m.db);
  m.rows_added = 0;
  return true;
}

Status SqliteLedger::add_cost(const CostRecord& r) {
  return impl_->add(impl_->insert_cost,
                       "INSERT OR IGNORE INTO costs(import_id, row_key, unix_seconds_start, unix_seconds_end, "
                       "usd_billed, usd_effective, resource_id, service_name, sku_id, tags, job) "
                       "VALUES(?,?,?,?,?,?,?,?,?,?,?)",
                       impl_->import_id, r.row_key, r.unix_seconds_start, r.unix_seconds_end, r.usd_billed,
                       r.usd_effective, r.resource_id, r.service_name, r.sku_id, r.tags_json, r.job);
}

Status SqliteLedger::add_gpu_sample(const GpuSample& g) {
  return impl_->add(impl_->insert_sample,
                       "INSERT OR IGNORE INTO gpu_samples(import_id, host, gpu, unix_seconds, percent_utilization, "
                       "watts_power, bytes_memory_used, job) VALUES(?,?,?,?,?,?,?,?)",
                       impl_->import_id, g.host, g.gpu, g.unix_seconds, g.percent_utilization, g.watts_power,
                       g.bytes_memory_used, g.job);
}

Status SqliteLedger::add_progress(const ProgressRecord& p) {
  return impl_->add(impl_->insert_progress,
                       "INSERT OR IGNORE INTO progress(import_id, job, step, tokens, seconds, flops_model, "
                       "unix_seconds) VALUES(?,?,?,?,?,?,?)",
                       impl_->import_id, p.job, p.step, p.tokens, p.seconds, p.flops_model, p.unix_seconds);
}

Status SqliteLedger::put_job(const JobMeta& j) {
  auto r = impl_->insert(impl_->upsert_job,
                         "INSERT OR REPLACE INTO jobs(job, model, hardware, gpus, micro_batch, seq, dtype) "
                         "VALUES(?,?,?,?,?,?,?)",
                         j.job, j.model, j.hardware, j.gpus, j.micro_batch, j.seq, j.dtype);
  if (!r) return r.error();
  return {};
}

Result<int64_t> SqliteLedger::commit_import() {
  Impl& m = *impl_;
  if (!m.in_import) return failure(m.path + ": no import is open");
  Stmt st;
  if (sqlite3_prepare_v2(m.db, "UPDATE imports SET rows_added = ? WHERE id = ?", -1, &st.s, nullptr) != SQLITE_OK) {
    return m.err("prepare");
  }
  sqlite3_bind_int64(st.s, 1, m.rows_added);
  sqlite3_bind_int64(st.s, 2, m.import_id);
  if (sqlite3_step(st.s) != SQLITE_DONE) return m.err("update import");
  st.reset();
  if (auto c = m.exec("COMMIT"); !c) return c.error();
  m.in_import = false;
  return m.rows_added;
}

void SqliteLedger::rollback_import() {
  Impl& m = *impl_;
  if (!m.in_import) return;
  (void)m.exec("ROLLBACK");
  m.in_import = false;
}

Result<LedgerCounts> SqliteLedger::counts() {
  Impl& m = *impl_;
  Stmt st;
  const char* sql =
      "SELECT (SELECT count(*) FROM imports), (SELECT count(*) FROM costs), (SELECT count(*) FROM gpu_samples), "
      "(SELECT count(*) FROM progress), (SELECT count(*) FROM jobs)";
  if (sqlite3_prepare_v2(m.db, sql, -1, &st.s, nullptr) != SQLITE_OK) return m.err("count");
  if (sqlite3_step(st.s) != SQLITE_ROW) return m.err("count");
  return LedgerCounts{sqlite3_column_int64(st.s, 0), sqlite3_column_int64(st.s, 1), sqlite3_column_int64(st.s, 2),
                      sqlite3_column_int64(st.s, 3), sqlite3_column_int64(st.s, 4)};
}

Result<std::vector<DailySpend>> SqliteLedger::daily_spend() {
  return impl_->rows<DailySpend>(
      "SELECT date(unix_seconds_start, 'unixepoch') AS day, job, sum(usd_effective), sum(usd_billed) "
      "FROM costs GROUP BY day, job ORDER BY day, job",
      "query spend", spend_row<DailySpend>);
}

Result<std::vector<TagSpend>> SqliteLedger::tag_spend() {
  // json_each is built into SQLite >= 3.38; tags are stored as validated JSON objects.
  return impl_->rows<TagSpend>(
      "SELECT t.key, CAST(t.value AS TEXT), sum(c.usd_effective), sum(c.usd_billed) "
      "FROM costs c, json_each(c.tags) t GROUP BY 1, 2 ORDER BY 1, 2",
      "query tags", spend_row<TagSpend>);
}

Result<std::vector<GpuSample>> SqliteLedger::gpu_samples() {
  return impl_->rows<GpuSample>(
      "SELECT host, gpu, unix_seconds, percent_utilization, watts_power, bytes_memory_used, job "
      "FROM gpu_samples ORDER BY host, gpu, unix_seconds",
      "query samples", [](sqlite3_stmt* s) {
        GpuSample g;
        g.host = column_text(s, 0);
        g.gpu = column_text(s, 1);
        g.unix_seconds = sqlite3_column_double(s, 2);
        g.percent_utilization = column_opt(s, 3);
        g.watts_power = column_opt(s, 4);
        g.bytes_memory_used = column_opt(s, 5);
        g.job = column_text(s, 6);
        return g;
      });
}

Result<std::vector<ProgressTotal>> SqliteLedger::progress_totals() {
  return impl_->rows<ProgressTotal>(
      "SELECT job, count(*), sum(tokens), sum(seconds), total(flops_model), "
      "total(CASE WHEN flops_model IS NULL THEN 0 ELSE seconds END) FROM progress GROUP BY job ORDER BY job",
      "query progress", [](sqlite3_stmt* s) {
        return ProgressTotal{column_text(s, 0),           sqlite3_column_int64(s, 1),  sqlite3_column_double(s, 2),
                             sqlite3_column_double(s, 3), sqlite3_column_double(s, 4), sqlite3_column_double(s, 5)};
      });
}

Result<std::vector<JobMeta>> SqliteLedger::jobs() {
  return impl_->rows<JobMeta>(
      "SELECT job, model, hardware, gpus, micro_batch, seq, dtype FROM jobs ORDER BY job", "query jobs",
      [](sqlite3_stmt* s) {
        JobMeta j;
        j.job = column_text(s, 0);
        j.model = column_text(s, 1);
        j.hardware = column_text(s, 2);
        j.gpus = sqlite3_column_int64(s, 3);
        j.micro_batch = sqlite3_column_int64(s, 4);
        j.seq = sqlite3_column_int64(s, 5);
        j.dtype = column_text(s, 6);
        return j;
      });
}

}  // namespace flopscope
