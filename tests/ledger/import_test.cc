#include "flopscope/ledger/import.h"

#include <gtest/gtest.h>

#include <thread>

#include "flopscope/ledger/sqlite_ledger.h"
#include "ledger_test_util.h"

namespace flopscope {
namespace {

using testing_ledger::fixture;
using testing_ledger::fresh_db;
using testing_ledger::generated_focus;
using testing_ledger::slurp;
using testing_ledger::spill;

class LedgerImport : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = fresh_db("ledger.db");
    auto db = SqliteLedger::open(path_);
    ASSERT_TRUE(db) << db.error().message;
    db_ = std::move(*db);
  }
  ImportOutcome ok(const std::string& name, const ImportOptions& o = {}) {
    auto r = import_file(*db_, fixture(name), o);
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    return r ? *r : ImportOutcome{};
  }
  LedgerCounts counts() { return *db_->counts(); }
  std::string path_;
  std::unique_ptr<SqliteLedger> db_;
};

bool same(const LedgerCounts& a, const LedgerCounts& b) {
  return a.imports == b.imports && a.costs == b.costs && a.gpu_samples == b.gpu_samples && a.progress == b.progress &&
         a.jobs == b.jobs;
}

TEST_F(LedgerImport, DetectsEachFormatAndImportsItsRows) {
  auto focus = ok("focus_small.csv");
  EXPECT_EQ(focus.format, LedgerFormat::kFocus);
  EXPECT_EQ(focus.rows_added, 10);
  auto smi = ok("nvidia_smi.csv");
  EXPECT_EQ(smi.format, LedgerFormat::kNvidiaSmi);
  EXPECT_EQ(smi.rows_added, 12);
  ImportOptions at;
  at.unix_seconds_scrape = 1725357600;
  auto dcgm = ok("dcgm_scrape.prom", at);
  EXPECT_EQ(dcgm.format, LedgerFormat::kDcgm);
  EXPECT_EQ(dcgm.rows_added, 2);  // two GPUs, three metrics each folded into one sample
  EXPECT_EQ(ok("dcgm_timestamped.prom").rows_added, 2);
  auto jsonl = ok("progress.jsonl");
  EXPECT_EQ(jsonl.format, LedgerFormat::kProgressJsonl);
  EXPECT_EQ(jsonl.rows_added, 4);
  auto hf = ok("hf-run/checkpoint-500/trainer_state.json");
  EXPECT_EQ(hf.format, LedgerFormat::kTrainerState);
  EXPECT_EQ(hf.rows_added, 1);
  LedgerCounts c = counts();
  EXPECT_EQ(c.imports, 6);
  EXPECT_EQ(c.costs, 10);
  EXPECT_EQ(c.gpu_samples, 16);
  EXPECT_EQ(c.progress, 5);
  EXPECT_EQ(c.jobs, 1);  // the JSONL header
  auto progress = *db_->progress_totals();
  ASSERT_EQ(progress.size(), 2u);
  EXPECT_EQ(progress[0].job, "hf-run");  // named after the folder above checkpoint-500
  EXPECT_DOUBLE_EQ(progress[0].tokens, 20480000);
  EXPECT_DOUBLE_EQ(progress[0].seconds, 1800);
  EXPECT_DOUBLE_EQ(progress[0].flops_model, 1.515e17);
  EXPECT_EQ(progress[1].job, "llama-8b-pt");
  EXPECT_DOUBLE_EQ(progress[1].tokens, 4 * 655360.0);
}

TEST_F(LedgerImport, NvidiaSmiValuesKeepTheirUnitsAndGaps) {
  ImportOptions o;
  o.host = "node-1";
  o.job = "llama-8b-pt";
  ok("nvidia_smi.csv", o);
  auto s = *db_->gpu_samples();
  ASSERT_EQ(s.size(), 12u);
  EXPECT_EQ(s[0].host, "node-1");
  EXPECT_EQ(s[0].gpu, "0");
  EXPECT_EQ(s[0].job, "llama-8b-pt");
  EXPECT_DOUBLE_EQ(*s[0].percent_utilization, 95);
  EXPECT_DOUBLE_EQ(*s[0].watts_power, 652.10);
  EXPECT_DOUBLE_EQ(*s[0].bytes_memory_used, 71234.0 * 1048576);
  EXPECT_FALSE(s[2].watts_power.has_value());  // [N/A]
  EXPECT_DOUBLE_EQ(s[1].unix_seconds - s[0].unix_seconds, 60);
}

TEST_F(LedgerImport, ReimportingAFileAddsNothing) {
  ok("focus_small.csv");
  ok("progress.jsonl");
  LedgerCounts before = counts();
  auto again = ok("focus_small.csv");
  EXPECT_TRUE(again.already_imported);
  EXPECT_EQ(again.rows_added, 0);
  EXPECT_TRUE(ok("progress.jsonl").already_imported);
  EXPECT_TRUE(same(before, counts()));
}

TEST_F(LedgerImport, OverlappingExportAddsOnlyItsNewRows) {
  ok("focus_small.csv");
  auto next = ok("focus_small_next_day.csv");
  EXPECT_FALSE(next.already_imported);
  EXPECT_EQ(next.rows_read, 11);
  EXPECT_EQ(next.rows_added, 1);
  EXPECT_EQ(counts().costs, 11);
}

TEST_F(LedgerImport, IdenticalRowsInOneFileAreTwoCharges) {
  std::string csv = "BilledCost,EffectiveCost,ChargePeriodStart,ChargePeriodEnd\n"
                    "5,5,2024-09-01,2024-09-02\n5,5,2024-09-01,2024-09-02\n";
  auto r = import_text(*db_, csv, "dup.csv", {});
  ASSERT_TRUE(r);
  EXPECT_EQ(r->rows_added, 2);
}

struct BadFile {
  const char* name;
  const char* message;  // after "<fixture path>: "
};

class LedgerRefusal : public LedgerImport, public ::testing::WithParamInterface<BadFile> {};

TEST_P(LedgerRefusal, MalformedRowRefusesTheWholeFileAndLeavesTheLedgerAsItWas) {
  ok("focus_small.csv");  // something already there must survive untouched
  LedgerCounts before = counts();
  const std::string file = fixture(std::string("bad/") + GetParam().name);
  auto r = import_file(*db_, file, {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kBadInput);
  EXPECT_EQ(r.error().message, file + ": " + GetParam().message);
  EXPECT_TRUE(same(before, counts()));
  // The ledger still takes writes: the refused file left no transaction open.
  EXPECT_EQ(ok("nvidia_smi.csv").rows_added, 12);
}

INSTANTIATE_TEST_SUITE_P(
    CorruptionMatrix, LedgerRefusal,
    ::testing::Values(
        BadFile{"focus_bad_cost.csv",
                "line 5, column 1 (BilledCost): expected a number in [-1e+12, 1e+12], got '12OO.00'"},
        BadFile{"focus_nan_cost.csv",
                "line 7, column 6 (EffectiveCost): expected a number in [-1e+12, 1e+12], got 'NaN'"},
        BadFile{"focus_negative_usage.csv",
                "line 4, column 1 (BilledCost): expected a cost >= 0 (negative only on ChargeCategory Credit or "
                "Adjustment rows), got '-1200.00'"},
        BadFile{"focus_unclosed_quote.csv", "line 4, column 95: quoted field is never closed"},
        BadFile{"focus_bad_date.csv",
                "line 5, column 5 (ChargePeriodStart): expected an ISO 8601 date and time, got '2024-09-31T00:00:00Z'"},
        BadFile{"nvidia_smi_bad_util.csv", "line 6, column 4 (utilization.gpu): expected a number in [0, 100], got '120'"},
        BadFile{"progress_negative_seconds.jsonl", "line 4, column 'seconds': expected a number in (0, 1e+09], got -1"},
        BadFile{"dcgm_bad_label.prom", "line 7, column 170: expected label=\"value\""},
        BadFile{"unknown_format.txt",
                "cannot tell the format (expected a FOCUS CSV, an nvidia-smi CSV, a DCGM scrape, a progress JSONL or a "
                "trainer_state.json); pass --format"}),
    [](const auto& param_info) {
      std::string n = param_info.param.name;
      for (char& c : n) {
        if (!isalnum(static_cast<unsigned char>(c))) c = '_';
      }
      return n;
    });

TEST_F(LedgerImport, BadRowAfterManyGoodOnesLeavesNoneOfThem) {
  std::string csv = generated_focus(5000);
  csv += "oops,1,2024-09-01,2024-09-02,,,,\n";
  auto r = import_text(*db_, csv, "late.csv", {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "late.csv: line 5002, column 1 (BilledCost): expected a number in [-1e+12, 1e+12], got 'oops'");
  EXPECT_EQ(counts().costs, 0);
  EXPECT_EQ(counts().imports, 0);
}

TEST_F(LedgerImport, DcgmWithoutTimestampNeedsTime) {
  auto r = import_file(*db_, fixture("dcgm_scrape.prom"), {});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("line 7, column 183: DCGM_FI_DEV_GPU_UTIL: the sample has no timestamp; pass --time"),
            std::string::npos)
      << r.error().message;
}

TEST_F(LedgerImport, SameFileUnderAnotherJobIsAnotherImport) {
  ImportOptions a, b;
  a.job = "run-a";
  b.job = "run-b";
  ok("nvidia_smi.csv", a);
  auto second = ok("nvidia_smi.csv", b);
  EXPECT_FALSE(second.already_imported);
  // The samples are the same GPUs at the same times: the ledger keeps the first job's rows.
  EXPECT_EQ(second.rows_added, 0);
}

TEST(LedgerConcurrency, TwoImportersIntoOneLedgerBothSucceed) {
  const std::string path = fresh_db("shared.db");
  const std::string a = path + ".a.csv", b = path + ".b.csv";
  spill(a, generated_focus(40000, "job-a"));
  spill(b, generated_focus(40000, "job-b"));
  { ASSERT_TRUE(SqliteLedger::open(path)); }
  Result<ImportOutcome> ra = failure("not run"), rb = failure("not run");
  auto worker = [&path](const std::string& file, Result<ImportOutcome>& out) {
    auto db = SqliteLedger::open(path);
    if (!db) {
      out = db.error();
      return;
    }
    out = import_file(**db, file, {});
  };
  std::thread ta(worker, a, std::ref(ra));
  std::thread tb(worker, b, std::ref(rb));
  ta.join();
  tb.join();
  ASSERT_TRUE(ra) << ra.error().message;
  ASSERT_TRUE(rb) << rb.error().message;
  EXPECT_EQ(ra->rows_added, 40000);
  // job-b's rows differ from job-a's only in the tag: all of them are new.
  EXPECT_EQ(rb->rows_added, 40000);
  auto db = SqliteLedger::open(path);
  ASSERT_TRUE(db);
  EXPECT_EQ((*db)->counts()->costs, 80000);
  EXPECT_EQ((*db)->counts()->imports, 2);
}

TEST(LedgerFormats, NamesRoundTripAndTyposGetASuggestion) {
  for (int i = 0; i < static_cast<int>(LedgerFormat::kCount); ++i) {
    auto f = static_cast<LedgerFormat>(i);
    EXPECT_EQ(*parse_ledger_format(ledger_format_name(f)), f);
  }
  EXPECT_EQ(parse_ledger_format("fokus").error().message,
            "--format: unknown format 'fokus', did you mean 'focus'? (expected one of focus, nvidia-smi, dcgm, jsonl, "
            "trainer-state)");
}

}  // namespace
}  // namespace flopscope
