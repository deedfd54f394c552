// What both back ends of the ledger do alike (ledger_store.h): schema versions and migrations.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include "flopscope/ledger/import.h"
#include "flopscope/ledger/ledger_schema.h"
#include "flopscope/ledger/open_ledger.h"
#include "flopscope/ledger/postgres_ledger.h"
#include "ledger_test_util.h"

namespace flopscope {
namespace {

using testing_ledger::Backend;
using testing_ledger::fixture;
using testing_ledger::fresh_ledger;

// Writes schema version `v` into the ledger behind the back end's back.
void set_schema_version(Backend b, const std::string& where, int v) {
  if (b == Backend::kPostgres) {
    EXPECT_EQ(testing_ledger::pg_exec(where, "UPDATE ledger_schema SET version = " + std::to_string(v)), "");
    return;
  }
  sqlite3* raw = nullptr;
  sqlite3_open(where.c_str(), &raw);
  sqlite3_exec(raw, ("PRAGMA user_version=" + std::to_string(v)).c_str(), nullptr, nullptr, nullptr);
  sqlite3_close(raw);
}

class LedgerStoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override { LEDGER_REQUIRE_BACKEND(GetParam()); }
};
INSTANTIATE_TEST_SUITE_P(Backends, LedgerStoreTest, testing_ledger::all_backends(), testing_ledger::backend_param_name);

TEST_P(LedgerStoreTest, NewLedgerIsMigratedToTheCurrentVersion) {
  auto db = open_ledger(fresh_ledger(GetParam()));
  ASSERT_TRUE(db) << db.error().message;
  EXPECT_EQ(*(*db)->schema_version(), kLedgerSchemaVersion);
  auto c = (*db)->counts();
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->imports + c->costs + c->gpu_samples + c->progress + c->jobs, 0);
}

TEST_P(LedgerStoreTest, VersionOneLedgerIsMigratedKeepingItsRows) {
  const std::string where = fresh_ledger(GetParam(), "v1.db");
  {
    LedgerOpenOptions o;
    o.migrate_to = 1;
    auto db = open_ledger(where, o);
    ASSERT_TRUE(db) << db.error().message;
    EXPECT_EQ(*(*db)->schema_version(), 1);
    auto r = import_file(**db, fixture("focus_small.csv"), {});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_FALSE((*db)->jobs().ok());  // version 1 has no jobs table
  }
  {
    LedgerOpenOptions o;
    o.migrate_to = 1;  // opening at the version it has changes nothing
    EXPECT_EQ(*(*open_ledger(where, o))->schema_version(), 1);
  }
  auto db = open_ledger(where);
  ASSERT_TRUE(db) << db.error().message;
  EXPECT_EQ(*(*db)->schema_version(), 2);
  EXPECT_EQ((*db)->counts()->costs, 10);
  EXPECT_TRUE((*db)->jobs().ok());
  // The migrated ledger takes the version-2 rows (a JSONL header writes the jobs table).
  auto r = import_file(**db, fixture("progress.jsonl"), {});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ((*db)->counts()->jobs, 1);
}

TEST_P(LedgerStoreTest, NewerSchemaIsRefused) {
  const std::string where = fresh_ledger(GetParam(), "future.db");
  { ASSERT_TRUE(open_ledger(where)); }
  set_schema_version(GetParam(), where, 9);
  auto db = open_ledger(where);
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().kind, ErrorKind::kBadInput);
  EXPECT_EQ(db.error().message, where + ": schema version 9 is newer than this flopscope (2); upgrade flopscope");
}

TEST_P(LedgerStoreTest, OpeningForAReportCreatesNothing) {
  const std::string where = fresh_ledger(GetParam(), "absent.db");
  LedgerOpenOptions existing;
  existing.create = false;
  auto db = open_ledger(where, existing);
  ASSERT_FALSE(db);
  EXPECT_EQ(db.error().kind, ErrorKind::kNotFound);
  const std::string expected = GetParam() == Backend::kSqlite
                                   ? where + ": cannot open ledger: no such file (create it with flopscope ledger import --db " + where + ")"
                                   : where + ": no ledger in this database (create it with flopscope ledger import --db " + where + ")";
  EXPECT_EQ(db.error().message, expected);
  // Still nothing there: a new open creates the ledger at version 0 -> current.
  auto created = open_ledger(where);
  ASSERT_TRUE(created);
  EXPECT_EQ((*created)->counts()->imports, 0);
}

TEST_P(LedgerStoreTest, KeysAndQuantitiesKeepTheirFullRange) {
  auto db = open_ledger(fresh_ledger(GetParam()));
  ASSERT_TRUE(db) << db.error().message;
  LedgerStore& s = **db;
  ASSERT_TRUE(*s.begin_import({"hash", "test", "focus"}));
  CostRecord big;
  big.row_key = INT64_MIN + 7;  // row keys are 64-bit hashes
  big.usd_effective = 0.1 + 0.2;  // every bit of the double comes back
  big.usd_billed = 123456789.123456789;
  big.unix_seconds_start = 1725148800.25;
  big.resource_id = "tab\there, newline\nthere, back\\slash";
  big.tags_json = R"({"job":"j\"1","team":"ré"})";
  big.job = "j\"1";
  ASSERT_TRUE(s.add_cost(big));
  CostRecord same_key = big;
  same_key.usd_effective = 5;
  ASSERT_TRUE(s.add_cost(same_key));  // skipped: its key is there
  GpuSample g{"h", "0", 1.5, std::nullopt, 300.25, 8e10, "j"};
  ASSERT_TRUE(s.add_gpu_sample(g));
  ProgressRecord p{"j", INT64_MAX, 1e12, 0.5, std::nullopt, 1.75};
  ASSERT_TRUE(s.add_progress(p));
  auto added = s.commit_import();
  ASSERT_TRUE(added) << added.error().message;
  EXPECT_EQ(*added, 3);
  auto spend = *s.daily_spend();
  ASSERT_EQ(spend.size(), 1u);
  EXPECT_EQ(spend[0].day, "2024-09-01");
  EXPECT_EQ(spend[0].job, "j\"1");
  EXPECT_EQ(spend[0].usd_effective, 0.1 + 0.2);
  EXPECT_EQ(spend[0].usd_billed, 123456789.123456789);
  auto tags = *s.tag_spend();
  ASSERT_EQ(tags.size(), 2u);
  EXPECT_EQ(tags[0].key, "job");
  EXPECT_EQ(tags[0].value, "j\"1");
  EXPECT_EQ(tags[1].value, "ré");
  auto samples = *s.gpu_samples();
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_FALSE(samples[0].percent_utilization);
  EXPECT_EQ(*samples[0].watts_power, 300.25);
  auto progress = *s.progress_totals();
  ASSERT_EQ(progress.size(), 1u);
  EXPECT_EQ(progress[0].tokens, 1e12);
  EXPECT_EQ(progress[0].flops_model, 0);
  EXPECT_EQ(progress[0].seconds_with_flops, 0);
}

TEST_P(LedgerStoreTest, RolledBackImportLeavesNothingAndTheLedgerTakesTheNext) {
  auto db = open_ledger(fresh_ledger(GetParam()));
  ASSERT_TRUE(db) << db.error().message;
  LedgerStore& s = **db;
  ASSERT_TRUE(*s.begin_import({"first", "a.csv", "focus"}));
  for (int i = 0; i < 70000; ++i) {  // more than one batch of a buffering back end
    CostRecord r;
    r.row_key = i;
    ASSERT_TRUE(s.add_cost(r));
  }
  s.rollback_import();
  EXPECT_EQ(s.counts()->costs, 0);
  EXPECT_EQ(s.counts()->imports, 0);
  ASSERT_TRUE(*s.begin_import({"first", "a.csv", "focus"}));  // the hash was not kept either
  CostRecord r;
  ASSERT_TRUE(s.add_cost(r));
  EXPECT_EQ(*s.commit_import(), 1);
  EXPECT_FALSE(*s.begin_import({"first", "a.csv", "focus"}));
}

}  // namespace
}  // namespace flopscope
