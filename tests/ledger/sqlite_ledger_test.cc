// SQLite-only behaviour; what both back ends do is in store_test.cc.
#include "flopscope/ledger/sqlite_ledger.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "ledger_test_util.h"

namespace flopscope {
namespace {

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

TEST(SqliteLedger, NonDatabaseFileIsRefused) {
  std::string path = fresh_db("text.db");
  spill(path, std::string(4096, 'x'));
  auto db = SqliteLedger::open(path);
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().message, path + ": not a ledger database: file is not a database");
}

}  // namespace
}  // namespace flopscope
