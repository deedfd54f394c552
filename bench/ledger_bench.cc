// Importing a FOCUS billing export into the SQLite ledger (ledger/import.h): a generated
// 1,000,000-row CSV (~120 MB, every row distinct, quoted fields and a JSON Tags column as
// cloud exports write them) into a fresh ledger file, in one transaction, on one core: CSV
// parsing, range checks, tag JSON, row keys and the inserts with their unique index. The
// target (issue 14) is < 30 s. CsvParse times the RFC 4180 reader alone.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <filesystem>
#include <string>

#include "flopscope/ledger/csv_reader.h"
#include "flopscope/ledger/import.h"
#include "flopscope/ledger/sqlite_ledger.h"

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

void ImportFocus1M(benchmark::State& state) {
  const std::string& csv = focus_csv();
  const std::string path = (std::filesystem::temp_directory_path() / "flopscope-ledger-bench.db").string();
  int64_t rows = 0;
  for (auto _ : state) {
    state.PauseTiming();
    for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
    auto db = SqliteLedger::open(path);
    if (!db) {
      state.SkipWithError(db.error().message.c_str());
      return;
    }
    state.ResumeTiming();
    auto r = import_text(**db, csv, "focus-1m.csv", {});
    if (!r) {
      state.SkipWithError(r.error().message.c_str());
      return;
    }
    rows = r->rows_added;
  }
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix);
  state.counters["rows"] = static_cast<double>(rows);
  state.counters["rows_per_second"] = benchmark::Counter(static_cast<double>(rows) * static_cast<double>(state.iterations()),
                                                         benchmark::Counter::kIsRate);
  state.SetBytesProcessed(static_cast<int64_t>(csv.size()) * state.iterations());
}
BENCHMARK(ImportFocus1M)->Unit(benchmark::kSecond)->Iterations(1)->UseRealTime();

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
