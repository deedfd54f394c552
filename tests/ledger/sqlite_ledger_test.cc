#include "flopscope/ledger/sqlite_ledger.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "flopscope/ledger/import.h"
#include "ledger_test_util.h"

namespace flopscope {
namespace {

using testing_ledger::fixture;
using testing_ledger::fresh_db;
using testing_ledger::spill;

int user_version(const std::string& path) {
  sqlite3* db = nullptr;
  sqlite3_open(path.c_str(), &db);
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, nullptr);
  sqlite3_step(st);
  int v = sqlite3_column_int(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

TEST(SqliteLedger, NewFileIsMigratedFromVersionZero) {
  std::string path = fresh_db("new.db");
  spill(path, "");  // an empty file is a database at user_version 0
  EXPECT_EQ(user_version(path), 0);
  auto db = SqliteLedger::open(path);
  ASSERT_TRUE(db) << db.error().message;
  EXPECT_EQ(*(*db)->schema_version(), kLedgerSchemaVersion);
  auto c = (*db)->counts();
  ASSERT_TRUE(c);
  EXPECT_EQ(c->imports + c->costs + c->gpu_samples + c->progress + c->jobs, 0);
}

TEST(SqliteLedger, VersionOneFileIsMigratedKeepingItsRows) {
  std::string path = fresh_db("v1.db");
  {
    SqliteOptions o;
    o.migrate_to = 1;
    auto db = SqliteLedger::open(path, o);
    ASSERT_TRUE(db);
    EXPECT_EQ(*(*db)->schema_version(), 1);
    auto r = import_file(**db, fixture("focus_small.csv"), {});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_FALSE((*db)->jobs().ok());  // version 1 has no jobs table
  }
  EXPECT_EQ(user_version(path), 1);
  auto db = SqliteLedger::open(path);
  ASSERT_TRUE(db) << db.error().message;
  EXPECT_EQ(*(*db)->schema_version(), 2);
  EXPECT_EQ((*db)->counts()->costs, 10);
  EXPECT_TRUE((*db)->jobs().ok());
  // The migrated file takes the version-2 rows (a JSONL header writes the jobs table).
  auto r = import_file(**db, fixture("progress.jsonl"), {});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ((*db)->counts()->jobs, 1);
}

TEST(SqliteLedger, NewerSchemaIsRefused) {
  std::string path = fresh_db("future.db");
  {
    auto db = SqliteLedger::open(path);
    ASSERT_TRUE(db);
  }
  sqlite3* raw = nullptr;
  sqlite3_open(path.c_str(), &raw);
  sqlite3_exec(raw, "PRAGMA user_version=9", nullptr, nullptr, nullptr);
  sqlite3_close(raw);
  auto db = SqliteLedger::open(path);
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().message, path + ": schema version 9 is newer than this flopscope (2); upgrade flopscope");
}

TEST(SqliteLedger, NonDatabaseFileIsRefused) {
  std::string path = fresh_db("text.db");
  spill(path, std::string(4096, 'x'));
  auto db = SqliteLedger::open(path);
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().message, path + ": not a ledger database: file is not a database");
}

}  // namespace
}  // namespace flopscope
