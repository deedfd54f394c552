#include "flopscope/ledger/postgres_ledger.h"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <utility>

#include "flopscope/ledger/ledger_schema.h"
#include "flopscope/util/shared_library.h"

namespace flopscope {
namespace {

// libpq, opened when a PostgreSQL ledger is (util/shared_library.h says why not linked).
#define FLOPSCOPE_PQ_FUNCTIONS(X) X(PQclear) X(PQcmdStatus) X(PQcmdTuples) X(PQconnectdbParams) X(PQconninfoFree) X(PQconninfoParse) X(PQerrorMessage) X(PQexec) X(PQexecParams) X(PQfinish) X(PQfreemem) X(PQgetResult) X(PQgetisnull) X(PQgetlength) X(PQgetvalue) X(PQntuples) X(PQputCopyData) X(PQputCopyEnd) X(PQresultErrorField) X(PQresultStatus) X(PQsetNoticeProcessor) X(PQstatus)
struct Pq {
#define FLOPSCOPE_PQ_MEMBER(name) decltype(&::name) name = nullptr;
  FLOPSCOPE_PQ_FUNCTIONS(FLOPSCOPE_PQ_MEMBER)
#undef FLOPSCOPE_PQ_MEMBER
  std::string error;
};

const Pq& pq() {
  static const Pq api = [] {
    Pq q;
    SharedLibrary lib({"libpq.so.5", FLOPSCOPE_LIBPQ_LIBRARY}, "libpq (the PostgreSQL client; Debian package libpq5)");
#define FLOPSCOPE_PQ_BIND(name) lib.bind(q.name, #name);
    FLOPSCOPE_PQ_FUNCTIONS(FLOPSCOPE_PQ_BIND)
#undef FLOPSCOPE_PQ_BIND
    q.error = lib.error();
    return q;
  }();
  return api;
}

// pg_advisory_xact_lock key of migrations ("flop"): one client migrates, the others wait.
constexpr int64_t kMigrationLock = 0x666c6f70;
// Rows are sent to the server once a table's buffer holds this many bytes (~60k billing rows).
constexpr size_t kBatchBytes = size_t{8} << 20;
// PQputCopyData takes an int length: a row longer than that (a 2 GiB field) goes in pieces.
constexpr size_t kCopyChunkBytes = size_t{1} << 20;
// libpq's connect_timeout unless the URL sets one: an unreachable host fails instead of hanging.
constexpr const char* kConnectSeconds = "10";

// A libpq message on one line: the lines joined, tabs and trailing whitespace gone.
std::string one_line(const char* message) {
  std::string out;
  for (const char* p = message ? message : ""; *p; ++p) {
    char c = (*p == '\n' || *p == '\t' || *p == '\r') ? ' ' : *p;
    if (c == ' ' && (out.empty() || out.back() == ' ')) continue;
    out += c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out.empty() ? "unknown error" : out;
}

// Owns one PGresult; reads its fields as text, numbers and optional numbers.
class PgResult {
 public:
  explicit PgResult(PGresult* r) : r_(r) {}
  PgResult(PgResult&& o) noexcept : r_(std::exchange(o.r_, nullptr)) {}
  PgResult& operator=(PgResult&&) = delete;
  ~PgResult() { pq().PQclear(r_); }
  PGresult* get() const { return r_; }
  int rows() const { return pq().PQntuples(r_); }
  std::string text(int row, int col) const {
    return std::string(pq().PQgetvalue(r_, row, col), static_cast<size_t>(pq().PQgetlength(r_, row, col)));
  }
  template <typename T>
  T number(int row, int col) const {
    T v{};
    const char* s = pq().PQgetvalue(r_, row, col);
    std::from_chars(s, s + pq().PQgetlength(r_, row, col), v);
    return v;
  }
  double real(int row, int col) const { return number<double>(row, col); }
  int64_t integer(int row, int col) const { return number<int64_t>(row, col); }
  std::optional<double> optional(int row, int col) const {
    if (pq().PQgetisnull(r_, row, col)) return std::nullopt;
    return real(row, col);
  }

 private:
  PGresult* r_;
};

// One query parameter as text (PostgreSQL converts it to the column's type); nullopt is NULL.
using Param = std::optional<std::string>;
Param param(const std::string& v) { return v; }
Param param(int64_t v) { return std::to_string(v); }

// COPY's text format (https://www.postgresql.org/docs/current/sql-copy.html): fields split by
// tabs, rows by newlines, backslash escapes for those and for itself, \N for NULL.
void copy_field(std::string& out, const std::string& v) {
  for (char c : v) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\t': out += "\\t"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      default: out += c;
    }
  }
}
void copy_field(std::string& out, int64_t v) { fmt::format_to(std::back_inserter(out), "{}", v); }
void copy_field(std::string& out, double v) { fmt::format_to(std::back_inserter(out), "{}", v); }
void copy_field(std::string& out, const std::optional<double>& v) {
  if (v) copy_field(out, *v); else out += "\\N";
}
template <typename... V>
void copy_row(std::string& out, const V&... values) {
  size_t i = 0;
  ((copy_field(out, values), out += (++i == sizeof...(V) ? '\n' : '\t')), ...);
}

// A row of spend grouped by two keys (day and job, or tag key and value): the keys, then
// effective and billed US dollars.
template <typename T>
T spend_row(const PgResult& r, int i) {
  return T{r.text(i, 0), r.text(i, 1), r.real(i, 2), r.real(i, 3)};
}

// A table whose rows an import buffers (as COPY text) and sends in batches through a
// temporary table stage_<name> of the same columns, less import_id.
struct StagedTable {
  const char* name;
  const char* columns;
  std::string rows;
};

}  // namespace

bool is_postgres_url(std::string_view db) { return db.starts_with("postgresql://") || db.starts_with("postgres://"); }

std::string redact_postgres_url(std::string_view url) {
  std::string out(url);
  const size_t scheme = out.find("://");
  if (scheme == std::string::npos) return out;
  const size_t authority = scheme + 3;
  const size_t end = std::min(out.find_first_of("/?", authority), out.size());
  const size_t at = out.rfind('@', end);
  if (at != std::string::npos && at >= authority) {
    const size_t colon = out.find(':', authority);
    if (colon < at) out.erase(colon, at - colon);
  }
  // password=... among the parameters.
  const size_t query = out.find('?');
  if (query == std::string::npos) return out;
  std::string kept;
  size_t from = query + 1;
  while (from <= out.size()) {
    size_t amp = std::min(out.find('&', from), out.size());
    std::string_view item(out.data() + from, amp - from);
    if (!item.starts_with("password=") && !item.empty()) kept += (kept.empty() ? "" : "&") + std::string(item);
    from = amp + 1;
  }
  return out.substr(0, query) + (kept.empty() ? "" : "?" + kept);
}

struct PostgresLedger::Impl {
  PGconn* conn = nullptr;
  std::string url;  // without the password
  bool staging_ready = false;
  bool in_import = false;
  int64_t import_id = 0;
  int64_t rows_added = 0;  // by the open import
  std::array<StagedTable, 3> staged = {{
      {"costs",
       "row_key, unix_seconds_start, unix_seconds_end, usd_billed, usd_effective, resource_id, service_name, sku_id, "
       "tags, job",
       {}},
      {"gpu_samples", "host, gpu, unix_seconds, percent_utilization, watts_power, bytes_memory_used, job", {}},
      {"progress", "job, step, tokens, seconds, flops_model, unix_seconds", {}},
  }};
  StagedTable& costs() { return staged[0]; }
  StagedTable& samples() { return staged[1]; }
  StagedTable& progress() { return staged[2]; }

  ~Impl() { pq().PQfinish(conn); }

  // "URL: WHAT: <the server's message>"; data errors (SQLSTATE class 22: bad encoding, a
  // value out of range) are bad input, the rest failures.
  Error err(std::string_view what, const PGresult* r) const {
    const char* primary = r ? pq().PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
    const char* state = r ? pq().PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
    std::string message = url + ": " + std::string(what) + ": " + one_line(primary ? primary : pq().PQerrorMessage(conn));
    if (state && std::string_view(state).starts_with("22")) return bad_input(std::move(message));
    return failure(std::move(message));
  }
  // Runs `sql` with the parameters `values` ($1, $2, ...); `what` names it in errors.
  template <typename... V>
  Result<PgResult> query(const std::string& sql, std::string_view what, const V&... values) {
    std::array<Param, sizeof...(V)> params = {param(values)...};
    std::array<const char*, sizeof...(V) + 1> texts{};
    for (size_t i = 0; i < params.size(); ++i) texts[i] = params[i] ? params[i]->c_str() : nullptr;
    PgResult r(pq().PQexecParams(conn, sql.c_str(), static_cast<int>(params.size()), nullptr, texts.data(), nullptr,
                            nullptr, 0));
    const ExecStatusType status = pq().PQresultStatus(r.get());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return err(what, r.get());
    return r;
  }
  // Runs `sql`, which may hold several statements (a migration), without parameters.
  Status exec(const std::string& sql, std::string_view what) {
    PgResult r(pq().PQexec(conn, sql.c_str()));
    const ExecStatusType status = pq().PQresultStatus(r.get());
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) return err(what, r.get());
    return {};
  }
  // Runs a read-only query and makes each row a T with `row(result, i)`.
  template <typename T, typename RowFn>
  Result<std::vector<T>> rows(const char* sql, std::string_view what, RowFn row) {
    auto r = query(sql, what);
    if (!r) return r.error();
    std::vector<T> out;
    out.reserve(static_cast<size_t>(r->rows()));
    for (int i = 0; i < r->rows(); ++i) out.push_back(row(*r, i));
    return out;
  }

  Result<int> version() {
    auto exists = query("SELECT to_regclass('ledger_schema') IS NOT NULL", "read the schema version");
    if (!exists) return exists.error();
    if (exists->text(0, 0) != "t") return 0;
    auto v = query("SELECT coalesce(max(version), 0) FROM ledger_schema", "read the schema version");
    if (!v) return v.error();
    return static_cast<int>(v->integer(0, 0));
  }
  Status refuse_newer(int version) const {
    if (version <= kLedgerSchemaVersion) return {};
    return bad_input(url + ": schema version " + std::to_string(version) + " is newer than this flopscope (" +
                     std::to_string(kLedgerSchemaVersion) + "); upgrade flopscope");
  }
  // Applies the missing migrations up to `target` in one transaction under the migration lock.
  Status migrate(int target) {
    if (auto st = exec("BEGIN", "migrate"); !st) return st;
    auto fail = [this](Error e) {
      (void)exec("ROLLBACK", "rollback");
      return e;
    };
    auto locked = query("SELECT pg_advisory_xact_lock($1)", "migrate", kMigrationLock);
    if (!locked) return fail(locked.error());
    if (auto st = exec("CREATE TABLE IF NOT EXISTS ledger_schema(version INTEGER NOT NULL)", "migrate"); !st) {
      return fail(st.error());
    }
    auto v = version();  // another client may have migrated while this one waited
    if (!v) return fail(v.error());
    if (auto st = refuse_newer(*v); !st) return fail(st.error());
    for (int n = *v + 1; n <= target; ++n) {
      const std::string what = "migration to schema version " + std::to_string(n) + " failed";
      if (auto st = exec(ledger_migration(n, SqlDialect::kPostgres), what); !st) return fail(st.error());
    }
    if (*v < target) {
      if (auto st = exec("DELETE FROM ledger_schema", "migrate"); !st) return fail(st.error());
      auto set = query("INSERT INTO ledger_schema(version) VALUES($1)", "migrate", int64_t{target});
      if (!set) return fail(set.error());
    }
    return exec("COMMIT", "migrate");
  }
  // The temporary staging tables live as long as the connection.
  Status prepare_staging() {
    if (staging_ready) return {};
    for (const StagedTable& t : staged) {
      auto sql = fmt::format("CREATE TEMPORARY TABLE IF NOT EXISTS stage_{0} AS SELECT {1} FROM {0} WITH NO DATA", t.name,
                             t.columns);
      if (auto st = exec(sql, "create staging table"); !st) return st;
    }
    staging_ready = true;
    return {};
  }
  // Sends the buffered rows of `t` to its staging table with COPY, moves the new ones into
  // the ledger's table and counts them.
  Status flush(StagedTable& t) {
    if (t.rows.empty()) return {};
    {
      PgResult start(pq().PQexec(conn, fmt::format("COPY stage_{} ({}) FROM STDIN", t.name, t.columns).c_str()));
      if (pq().PQresultStatus(start.get()) != PGRES_COPY_IN) return err("copy", start.get());
    }
    bool sent = true;
    for (size_t at = 0; sent && at < t.rows.size(); at += kCopyChunkBytes) {
      const size_t n = std::min(kCopyChunkBytes, t.rows.size() - at);
      sent = pq().PQputCopyData(conn, t.rows.data() + at, static_cast<int>(n)) == 1;
    }
    const bool ended = pq().PQputCopyEnd(conn, sent ? nullptr : "client failed to send the rows") == 1;
    Status copied;
    for (PGresult* r; (r = pq().PQgetResult(conn)) != nullptr;) {
      PgResult res(r);
      if (copied && pq().PQresultStatus(r) != PGRES_COMMAND_OK) copied = err("copy", r);
    }
    if (copied && !(sent && ended)) copied = err("copy", nullptr);
    t.rows.clear();
    if (!copied) return copied;
    auto moved = query(fmt::format("INSERT INTO {0} (import_id, {1}) SELECT $1::bigint, {1} FROM stage_{0} "
                                   "ON CONFLICT DO NOTHING",
                                   t.name, t.columns),
                       "insert", import_id);
    if (!moved) return moved.error();
    rows_added += std::atoll(pq().PQcmdTuples(moved->get()));
    return exec(fmt::format("TRUNCATE stage_{}", t.name), "insert");
  }
  template <typename... V>
  Status buffer(StagedTable& t, const V&... values) {
    if (!in_import) return failure(url + ": no import is open");
    copy_row(t.rows, values...);
    return t.rows.size() >= kBatchBytes ? flush(t) : Status{};
  }
};

PostgresLedger::PostgresLedger(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PostgresLedger::~PostgresLedger() {
  if (impl_ && impl_->in_import) rollback_import();
}

Result<std::unique_ptr<PostgresLedger>> PostgresLedger::open(const std::string& url, const LedgerOpenOptions& options) {
  if (!pq().error.empty()) return failure(redact_postgres_url(url) + ": " + pq().error);
  auto impl = std::make_unique<Impl>();
  impl->url = redact_postgres_url(url);
  char* parse_error = nullptr;
  PQconninfoOption* parsed = pq().PQconninfoParse(url.c_str(), &parse_error);
  if (!parsed) {
    std::string m = one_line(parse_error ? parse_error : "out of memory");
    pq().PQfreemem(parse_error);
    return bad_input(impl->url + ": not a PostgreSQL URL: " + m);
  }
  pq().PQconninfoFree(parsed);
  // Keywords after the URL (expanded in dbname's place) override it; those before are defaults.
  const std::array<const char*, 5> keys = {"connect_timeout", "fallback_application_name", "dbname", "client_encoding",
                                           nullptr};
  const std::array<const char*, 5> values = {kConnectSeconds, "flopscope", url.c_str(), "UTF8", nullptr};
  impl->conn = pq().PQconnectdbParams(keys.data(), values.data(), 1);
  if (!impl->conn) return failure(impl->url + ": cannot connect: out of memory");
  if (pq().PQstatus(impl->conn) != CONNECTION_OK) {
    return failure(impl->url + ": cannot connect: " + one_line(pq().PQerrorMessage(impl->conn)));
  }
  // NOTICEs ("relation already exists, skipping") are not the user's business.
  pq().PQsetNoticeProcessor(impl->conn, [](void*, const char*) {}, nullptr);
  // Doubles come back as text: ask for every digit (servers before 12 round otherwise).
  if (auto st = impl->exec("SET extra_float_digits = 3", "configure the session"); !st) return st.error();
  auto version = impl->version();
  if (!version) return version.error();
  if (auto st = impl->refuse_newer(*version); !st) return st.error();
  if (*version == 0 && !options.create) {
    return not_found(impl->url + ": no ledger in this database (create it with flopscope ledger import --db " +
                     impl->url + ")");
  }
  const int target = options.migrate_to < 0 ? kLedgerSchemaVersion : std::min(options.migrate_to, kLedgerSchemaVersion);
  if (*version < target) {
    if (auto st = impl->migrate(target); !st) return st.error();
  }
  return std::unique_ptr<PostgresLedger>(new PostgresLedger(std::move(impl)));
}

Result<int> PostgresLedger::schema_version() { return impl_->version(); }

Result<bool> PostgresLedger::begin_import(const ImportHeader& header) {
  Impl& m = *impl_;
  if (m.in_import) return failure(m.url + ": an import is already open");
  if (auto st = m.prepare_staging(); !st) return st.error();
  if (auto st = m.exec("BEGIN", "begin import"); !st) return st.error();
  m.in_import = true;
  auto fail = [this](Error e) -> Result<bool> {
    rollback_import();
    return e;
  };
  // EXCLUSIVE: reports (ACCESS SHARE) go on; another importer waits here until this one ends.
  if (auto st = m.exec("LOCK TABLE imports IN EXCLUSIVE MODE", "lock the ledger"); !st) return fail(st.error());
  auto seen = m.query("SELECT id FROM imports WHERE sha256 = $1", "read imports", header.sha256);
  if (!seen) return fail(seen.error());
  if (seen->rows() > 0) {
    rollback_import();
    return false;
  }
  auto added = m.query(
      "INSERT INTO imports(sha256, path, format, imported_at) "
      "VALUES($1, $2, $3, to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')) RETURNING id",
      "insert import", header.sha256, header.path, header.format);
  if (!added) return fail(added.error());
  m.import_id = added->integer(0, 0);
  m.rows_added = 0;
  return true;
}

Status PostgresLedger::add_cost(const CostRecord& r) {
  return impl_->buffer(impl_->costs(), r.row_key, r.unix_seconds_start, r.unix_seconds_end, r.usd_billed,
                       r.usd_effective, r.resource_id, r.service_name, r.sku_id, r.tags_json, r.job);
}

Status PostgresLedger::add_gpu_sample(const GpuSample& g) {
  return impl_->buffer(impl_->samples(), g.host, g.gpu, g.unix_seconds, g.percent_utilization, g.watts_power,
                       g.bytes_memory_used, g.job);
}

Status PostgresLedger::add_progress(const ProgressRecord& p) {
  return impl_->buffer(impl_->progress(), p.job, p.step, p.tokens, p.seconds, p.flops_model, p.unix_seconds);
}

Status PostgresLedger::put_job(const JobMeta& j) {
  auto r = impl_->query(
      "INSERT INTO jobs(job, model, hardware, gpus, micro_batch, seq, dtype) VALUES($1, $2, $3, $4, $5, $6, $7) "
      "ON CONFLICT (job) DO UPDATE SET model = EXCLUDED.model, hardware = EXCLUDED.hardware, gpus = EXCLUDED.gpus, "
      "micro_batch = EXCLUDED.micro_batch, seq = EXCLUDED.seq, dtype = EXCLUDED.dtype",
      "insert job", j.job, j.model, j.hardware, j.gpus, j.micro_batch, j.seq, j.dtype);
  if (!r) return r.error();
  return {};
}

Result<int64_t> PostgresLedger::commit_import() {
  Impl& m = *impl_;
  if (!m.in_import) return failure(m.url + ": no import is open");
  for (StagedTable& t : m.staged) {
    if (auto st = m.flush(t); !st) return st.error();
  }
  auto updated = m.query("UPDATE imports SET rows_added = $1 WHERE id = $2", "update import", m.rows_added, m.import_id);
  if (!updated) return updated.error();
  auto committed = m.query("COMMIT", "commit");
  if (!committed) return committed.error();
  // COMMIT of a transaction that failed earlier answers ROLLBACK without an error.
  if (std::string_view(pq().PQcmdStatus(committed->get())) != "COMMIT") return failure(m.url + ": commit: rolled back");
  m.in_import = false;
  return m.rows_added;
}

void PostgresLedger::rollback_import() {
  Impl& m = *impl_;
  if (!m.in_import) return;
  for (StagedTable& t : m.staged) t.rows.clear();
  (void)m.exec("ROLLBACK", "rollback");
  m.in_import = false;
}

Result<LedgerCounts> PostgresLedger::counts() {
  auto r = impl_->query(
      "SELECT (SELECT count(*) FROM imports), (SELECT count(*) FROM costs), (SELECT count(*) FROM gpu_samples), "
      "(SELECT count(*) FROM progress), (SELECT count(*) FROM jobs)",
      "count");
  if (!r) return r.error();
  return LedgerCounts{r->integer(0, 0), r->integer(0, 1), r->integer(0, 2), r->integer(0, 3), r->integer(0, 4)};
}

// Text is ordered by its bytes (COLLATE "C"), as SQLite orders it, whatever the database's locale.
Result<std::vector<DailySpend>> PostgresLedger::daily_spend() {
  return impl_->rows<DailySpend>(
      "SELECT to_char(to_timestamp(unix_seconds_start) AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS day, job, "
      "sum(usd_effective), sum(usd_billed) FROM costs GROUP BY day, job ORDER BY 1, job COLLATE \"C\"",
      "query spend", spend_row<DailySpend>);
}

Result<std::vector<TagSpend>> PostgresLedger::tag_spend() {
  return impl_->rows<TagSpend>(
      "SELECT t.key, t.value, sum(c.usd_effective), sum(c.usd_billed) "
      "FROM costs c CROSS JOIN LATERAL jsonb_each_text(c.tags::jsonb) t "
      "GROUP BY 1, 2 ORDER BY t.key COLLATE \"C\", t.value COLLATE \"C\"",
      "query tags", spend_row<TagSpend>);
}

Result<std::vector<GpuSample>> PostgresLedger::gpu_samples() {
  return impl_->rows<GpuSample>(
      "SELECT host, gpu, unix_seconds, percent_utilization, watts_power, bytes_memory_used, job "
      "FROM gpu_samples ORDER BY host COLLATE \"C\", gpu COLLATE \"C\", unix_seconds",
      "query samples", [](const PgResult& r, int i) {
        GpuSample g;
        g.host = r.text(i, 0);
        g.gpu = r.text(i, 1);
        g.unix_seconds = r.real(i, 2);
        g.percent_utilization = r.optional(i, 3);
        g.watts_power = r.optional(i, 4);
        g.bytes_memory_used = r.optional(i, 5);
        g.job = r.text(i, 6);
        return g;
      });
}

Result<std::vector<ProgressTotal>> PostgresLedger::progress_totals() {
  return impl_->rows<ProgressTotal>(
      "SELECT job, count(*), sum(tokens), sum(seconds), coalesce(sum(flops_model), 0), "
      "coalesce(sum(CASE WHEN flops_model IS NULL THEN 0 ELSE seconds END), 0) FROM progress GROUP BY job "
      "ORDER BY job COLLATE \"C\"",
      "query progress", [](const PgResult& r, int i) {
        return ProgressTotal{r.text(i, 0), r.integer(i, 1), r.real(i, 2), r.real(i, 3), r.real(i, 4), r.real(i, 5)};
      });
}

Result<std::vector<JobMeta>> PostgresLedger::jobs() {
  return impl_->rows<JobMeta>(
      "SELECT job, model, hardware, gpus, micro_batch, seq, dtype FROM jobs ORDER BY job COLLATE \"C\"", "query jobs",
      [](const PgResult& r, int i) {
        JobMeta j;
        j.job = r.text(i, 0);
        j.model = r.text(i, 1);
        j.hardware = r.text(i, 2);
        j.gpus = r.integer(i, 3);
        j.micro_batch = r.integer(i, 4);
        j.seq = r.integer(i, 5);
        j.dtype = r.text(i, 6);
        return j;
      });
}

}  // namespace flopscope
