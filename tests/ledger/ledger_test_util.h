// Helpers shared by the ledger tests: fixture paths, fresh ledgers on either back end, and
// generated billing files.
//
// The same store, import and report tests run on SQLite and on PostgreSQL (TEST_P over
// Backend). PostgreSQL tests use the server ctest's fixture ledger_pg starts
// (tests/ledger/pg_server.sh), whose URL is in FLOPSCOPE_TEST_PG_URL; each test gets a schema
// of its own. Without server binaries they skip, except when CI is set, where they fail.
#pragma once

#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>

#include "flopscope/hw/hardware.h"
#include "flopscope/model/load.h"
#include "flopscope/perf/predict.h"

namespace flopscope::testing_ledger {

/// The step the report predicts for the jobs fixture's llama-8b-pt: Llama-3.1-8B on one
/// H100 SXM, micro-batch 1 of 8192 tokens, the training defaults.
inline Result<Prediction> predicted_llama8b_step() {
  auto spec = load_model("llama-3.1-8b");
  if (!spec) return spec.error();
  const Hardware* hw = *HardwareCatalog::builtin().find("h100-sxm");
  Workload w;
  w.phase = Phase::kTrainStep;
  w.batch = 1;
  w.seq = 8192;
  w.modules = default_modules(Phase::kTrainStep);
  TimingEngine engine(*hw, nullptr, default_software(Phase::kTrainStep));
  return predict(*spec, w, *hw, engine);
}

inline std::string fixture(const std::string& name) { return std::string(FLOPSCOPE_TEST_DATA) + "/ledger/" + name; }

/// A path in a fresh folder of the temp directory, removed with its WAL and SHM files first.
inline std::string fresh_db(const std::string& name) {
  static std::atomic<int> counter{0};
  std::filesystem::path dir = std::filesystem::temp_directory_path() /
                              ("flopscope-ledger-test-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return (dir / name).string();
}

enum class Backend { kSqlite, kPostgres };

inline std::string backend_name(Backend b) { return b == Backend::kSqlite ? "Sqlite" : "Postgres"; }

/// For INSTANTIATE_TEST_SUITE_P: one instance per back end, named after it.
inline auto all_backends() { return ::testing::Values(Backend::kSqlite, Backend::kPostgres); }
inline std::string backend_param_name(const ::testing::TestParamInfo<Backend>& info) { return backend_name(info.param); }

/// Why the PostgreSQL tests cannot run here, when they cannot.
struct PostgresAbsence {
  std::string why;
  bool skip = false;  ///< true: skip (no server binaries, or no URL outside ctest); false: a failure
};

inline bool postgres_binaries_installed() {
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator("/usr/lib/postgresql", ec)) {
    if (std::filesystem::exists(e.path() / "bin" / "postgres", ec)) return true;
  }
  return false;
}

/// Runs one statement on `url`; the error message, or "" when it worked.
inline std::string pg_exec(const std::string& url, const std::string& sql) {
  PGconn* c = PQconnectdb(url.c_str());
  std::string error;
  if (PQstatus(c) != CONNECTION_OK) {
    error = PQerrorMessage(c);
  } else {
    PQsetNoticeProcessor(c, [](void*, const char*) {}, nullptr);  // "schema ... does not exist, skipping"
    PGresult* r = PQexec(c, sql.c_str());
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) error = PQresultErrorMessage(r);
    PQclear(r);
  }
  PQfinish(c);
  return error;
}

/// The test server's URL (FLOPSCOPE_TEST_PG_URL), or why there is none.
inline const std::optional<PostgresAbsence>& postgres_absence() {
  static const std::optional<PostgresAbsence> absence = []() -> std::optional<PostgresAbsence> {
    const bool installed = postgres_binaries_installed();
    if (!installed) {
      return PostgresAbsence{"no PostgreSQL server binaries under /usr/lib/postgresql/*/bin (install postgresql: "
                             "scripts/install-deps.sh)", true};
    }
    const char* url = std::getenv("FLOPSCOPE_TEST_PG_URL");
    if (!url || !*url) {
      return PostgresAbsence{"FLOPSCOPE_TEST_PG_URL is not set: run the PostgreSQL tests through ctest, whose fixture "
                             "ledger_pg starts a server (tests/ledger/pg_server.sh)", true};
    }
    if (std::string e = pg_exec(url, "SELECT 1"); !e.empty()) {
      return PostgresAbsence{"the test server at " + std::string(url) + " does not answer: " + e, false};
    }
    return std::nullopt;
  }();
  return absence;
}

/// Skips (or, with CI set or a server that should be there, fails) a PostgreSQL test that
/// cannot run here. A macro: GTEST_SKIP and FAIL return from the test.
#define LEDGER_REQUIRE_BACKEND(backend)                                                         \
  if ((backend) == ::flopscope::testing_ledger::Backend::kPostgres &&                           \
      ::flopscope::testing_ledger::postgres_absence()) {                                        \
    const auto& absent = *::flopscope::testing_ledger::postgres_absence();                      \
    if (absent.skip && !std::getenv("CI")) GTEST_SKIP() << absent.why;                          \
    FAIL() << absent.why << (absent.skip ? " (CI is set: the PostgreSQL tests must run)" : ""); \
  }

/// Where a new, empty ledger lives: a file path (SQLite), or the test server's URL with a new
/// schema of its own as search_path (PostgreSQL).
inline std::string fresh_ledger(Backend b, const std::string& name = "ledger.db") {
  if (b == Backend::kSqlite) return fresh_db(name);
  static std::atomic<int> counter{0};
  const std::string base = std::getenv("FLOPSCOPE_TEST_PG_URL");
  const std::string schema = "t" + std::to_string(getpid()) + "_" + std::to_string(counter++);
  const std::string error = pg_exec(base, "DROP SCHEMA IF EXISTS " + schema + " CASCADE; CREATE SCHEMA " + schema);
  EXPECT_EQ(error, "") << "creating schema " << schema;
  return base + (base.find('?') == std::string::npos ? "?" : "&") + "options=-c%20search_path%3D" + schema;
}

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void spill(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
}

/// A FOCUS export of `rows` rows (one job tag, one cent apart so every row differs).
inline std::string generated_focus(int64_t rows, const std::string& job = "big-job") {
  std::string s = "BilledCost,EffectiveCost,ChargePeriodStart,ChargePeriodEnd,ResourceId,ServiceName,SkuId,Tags\n";
  s.reserve(static_cast<size_t>(rows) * 160);
  for (int64_t i = 0; i < rows; ++i) {
    int day = 1 + static_cast<int>(i % 28);
    char buf[320];
    std::snprintf(buf, sizeof buf,
                  "%lld.%02lld,%lld.%02lld,2024-09-%02dT00:00:00Z,2024-09-%02dT01:00:00Z,i-%012lld,"
                  "\"Compute, GPU\",p5.48xlarge,\"{\"\"job\"\":\"\"%s\"\"}\"\n",
                  static_cast<long long>(i / 100), static_cast<long long>(i % 100), static_cast<long long>(i / 100),
                  static_cast<long long>(i % 100), day, day, static_cast<long long>(i), job.c_str());
    s += buf;
  }
  return s;
}

}  // namespace flopscope::testing_ledger
