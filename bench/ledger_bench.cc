// Importing a FOCUS billing export into the SQLite ledger (ledger/import.h): a generated
// 1,000,000-row CSV (~120 MB, every row distinct, quoted fields and a JSON Tags column as
// cloud exports write them) into a fresh ledger file, in one transaction, on one core: CSV
// parsing, range checks, tag JSON, row keys and the inserts with their unique index. The
// target (issue 14) is < 30 s. CsvParse times the RFC 4180 reader alone.
//
// ImportFocus1MPostgres imports the same file into a PostgreSQL ledger (a fresh schema
// flopscope_bench of the database at FLOPSCOPE_BENCH_PG_URL; skipped when it is unset):
//   bash tests/ledger/pg_server.sh start /tmp/pgbench
//   export FLOPSCOPE_BENCH_PG_URL=$(bash tests/ledger/pg_server.sh url /tmp/pgbench)
//   build/dev/bench/ledger_bench --benchmark_filter=Postgres
//   bash tests/ledger/pg_server.sh stop /tmp/pgbench
#include <benchmark/benchmark.h>
#include <libpq-fe.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "flopscope/ledger/csv_reader.h"
#include "flopscope/ledger/import.h"
#include "flopscope/ledger/open_ledger.h"

namespace flopscope {
namespace {

constexpr int64_t kRows = 1'000'000;

const std::string& focus_csv() {
  static const std::string csv = [] {
    std::string s =
        "BilledCost,BillingCurrency,ChargeCategory,ChargePeriodEnd,ChargePeriodStart,EffectiveCost,ListCost,"
        "ProviderName,RegionId,ResourceId,ServiceName,SkuId,Tags\n";
    s.reserve(static_cast<size_t>(kRows) * 260);
    char buf[512];
    for (int64_t i = 0; i < kRows; ++i) {
      const int day = 1 + static_cast<int>(i % 30);
      const int hour = static_cast<int>(i % 24);
      const long long cents = 9832 + i % 5000;
      std::snprintf(buf, sizeof buf,
                    "%lld.%02lld,USD,Usage,2024-09-%02dT%02d:59:59Z,2024-09-%02dT%02d:00:00Z,%lld.%02lld,%lld.%02lld,AWS,"
                    "us-east-1,arn:aws:ec2:us-east-1:123456789012:instance/i-%017lld,\"Amazon Elastic Compute Cloud, "
                    "GPU\",p5.48xlarge,\"{\"\"job\"\":\"\"job-%lld\"\",\"\"team\"\":\"\"research\"\"}\"\n",
                    cents / 100, cents % 100, day, hour, day, hour, cents * 8 / 1000, (cents * 8 / 10) % 100,
                    cents * 13 / 1000, (cents * 13 / 10) % 100, static_cast<long long>(i), static_cast<long long>(i % 40));
      s += buf;
    }
    return s;
  }();
  return csv;
}

// Rows added by the last iteration, rows per second and bytes of CSV per second.
void report_rows(benchmark::State& state, int64_t rows) {
  state.counters["rows"] = static_cast<double>(rows);
  state.counters["rows_per_second"] = benchmark::Counter(static_cast<double>(rows) * static_cast<double>(state.iterations()),
                                                         benchmark::Counter::kIsRate);
  state.SetBytesProcessed(static_cast<int64_t>(focus_csv().size()) * state.iterations());
}

// Times the import of the 1M-row file into a fresh ledger each iteration; `fresh(&error)`
// (untimed) makes it and says where it is (a path or URL), or "" with the error.
template <typename Fresh>
void time_import(benchmark::State& state, Fresh fresh) {
  int64_t rows = 0;
  for (auto _ : state) {
    state.PauseTiming();
    std::string error;
    const std::string where = fresh(&error);
    auto db = where.empty() ? Result<std::unique_ptr<LedgerStore>>(failure(error)) : open_ledger(where);
    if (!db) {
      state.SkipWithError(db.error().message.c_str());
      return;
    }
    state.ResumeTiming();
    auto r = import_text(**db, focus_csv(), "focus-1m.csv", {});
    if (!r) {
      state.SkipWithError(r.error().message.c_str());
      return;
    }
    rows = r->rows_added;
  }
  report_rows(state, rows);
}

void ImportFocus1M(benchmark::State& state) {
  const std::string path = (std::filesystem::temp_directory_path() / "flopscope-ledger-bench.db").string();
  auto remove = [&path] {
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  };
  time_import(state, [&](std::string*) {
    remove();
    return path;
  });
  remove();
}
BENCHMARK(ImportFocus1M)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();

// The URL of an empty ledger in the schema flopscope_bench (dropped and created again), or "".
std::string fresh_postgres_schema(const std::string& url, std::string* error) {
  PGconn* c = PQconnectdb(url.c_str());
  PQsetNoticeProcessor(c, [](void*, const char*) {}, nullptr);  // "schema ... does not exist, skipping"
  PGresult* r = PQstatus(c) == CONNECTION_OK
                    ? PQexec(c, "DROP SCHEMA IF EXISTS flopscope_bench CASCADE; CREATE SCHEMA flopscope_bench")
                    : nullptr;
  const bool ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
  if (!ok) *error = PQerrorMessage(c);
  PQclear(r);
  PQfinish(c);
  if (!ok) return "";
  return url + (url.find('?') == std::string::npos ? "?" : "&") + "options=-c%20search_path%3Dflopscope_bench";
}

void ImportFocus1MPostgres(benchmark::State& state) {
  const char* base = std::getenv("FLOPSCOPE_BENCH_PG_URL");
  if (!base || !*base) {
    state.SkipWithError("FLOPSCOPE_BENCH_PG_URL is not set (a PostgreSQL database to import into)");
    return;
  }
  time_import(state, [base](std::string* error) { return fresh_postgres_schema(base, error); });
}
BENCHMARK(ImportFocus1MPostgres)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();

void CsvParse1M(benchmark::State& state) {
  const std::string& csv = focus_csv();
  for (auto _ : state) {
    CsvReader reader(csv, "focus-1m.csv");
    CsvRecord rec;
    int64_t n = 0;
    while (true) {
      auto more = reader.next(rec);
      if (!more || !*more) break;
      ++n;
    }
    benchmark::DoNotOptimize(n);
  }
  state.SetBytesProcessed(static_cast<int64_t>(csv.size()) * state.iterations());
}
BENCHMARK(CsvParse1M)->Unit(benchmark::kMillisecond)->Iterations(2);

}  // namespace
}  // namespace flopscope
