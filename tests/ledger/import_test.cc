#include "flopscope/ledger/import.h"

#include <gtest/gtest.h>

#include <thread>
#include <tuple>

#include "flopscope/ledger/fields.h"
#include "flopscope/ledger/open_ledger.h"
#include "ledger_test_util.h"

namespace flopscope {
namespace {

using testing_ledger::Backend;
using testing_ledger::fixture;
using testing_ledger::fresh_ledger;
using testing_ledger::generated_focus;
using testing_ledger::slurp;
using testing_ledger::spill;

// A fresh ledger on one back end; the same tests run on each (ledger_test_util.h).
class LedgerFixture : public ::testing::Test {
 protected:
  void open(Backend backend) {
    where_ = fresh_ledger(backend);
    auto db = open_ledger(where_);
    ASSERT_TRUE(db) << db.error().message;
    db_ = std::move(*db);
  }
  ImportOutcome ok(const std::string& name, const ImportOptions& o = {}) {
    auto r = import_file(*db_, fixture(name), o);
    EXPECT_TRUE(r) << (r ? "" : r.error().message);
    return r ? *r : ImportOutcome{};
  }
  LedgerCounts counts() { return *db_->counts(); }
  std::string where_;
  std::unique_ptr<LedgerStore> db_;
};

class LedgerImport : public LedgerFixture, public ::testing::WithParamInterface<Backend> {
 protected:
  void SetUp() override {
    LEDGER_REQUIRE_BACKEND(GetParam());
    open(GetParam());
  }
};
INSTANTIATE_TEST_SUITE_P(Backends, LedgerImport, testing_ledger::all_backends(), testing_ledger::backend_param_name);

bool same(const LedgerCounts& a, const LedgerCounts& b) {
  return a.imports == b.imports && a.costs == b.costs && a.gpu_samples == b.gpu_samples && a.progress == b.progress &&
         a.jobs == b.jobs;
}

TEST_P(LedgerImport, DetectsEachFormatAndImportsItsRows) {
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

TEST_P(LedgerImport, NvidiaSmiValuesKeepTheirUnitsAndGaps) {
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

TEST_P(LedgerImport, ReimportingAFileAddsNothing) {
  ok("focus_small.csv");
  ok("progress.jsonl");
  LedgerCounts before = counts();
  auto again = ok("focus_small.csv");
  EXPECT_TRUE(again.already_imported);
  EXPECT_EQ(again.rows_added, 0);
  EXPECT_TRUE(ok("progress.jsonl").already_imported);
  EXPECT_TRUE(same(before, counts()));
}

TEST_P(LedgerImport, OverlappingExportAddsOnlyItsNewRows) {
  ok("focus_small.csv");
  auto next = ok("focus_small_next_day.csv");
  EXPECT_FALSE(next.already_imported);
  EXPECT_EQ(next.rows_read, 11);
  EXPECT_EQ(next.rows_added, 1);
  EXPECT_EQ(counts().costs, 11);
}

TEST_P(LedgerImport, IdenticalRowsInOneFileAreTwoCharges) {
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

class LedgerRefusal : public LedgerFixture, public ::testing::WithParamInterface<std::tuple<Backend, BadFile>> {
 protected:
  void SetUp() override {
    LEDGER_REQUIRE_BACKEND(std::get<0>(GetParam()));
    open(std::get<0>(GetParam()));
  }
  const BadFile& bad() const { return std::get<1>(GetParam()); }
};

TEST_P(LedgerRefusal, MalformedRowRefusesTheWholeFileAndLeavesTheLedgerAsItWas) {
  ok("focus_small.csv");  // something already there must survive untouched
  LedgerCounts before = counts();
  const std::string file = fixture(std::string("bad/") + bad().name);
  auto r = import_file(*db_, file, {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kBadInput);
  EXPECT_EQ(r.error().message, file + ": " + bad().message);
  EXPECT_TRUE(same(before, counts()));
  // The ledger still takes writes: the refused file left no transaction open.
  EXPECT_EQ(ok("nvidia_smi.csv").rows_added, 12);
}

INSTANTIATE_TEST_SUITE_P(
    CorruptionMatrix, LedgerRefusal,
    ::testing::Combine(testing_ledger::all_backends(), ::testing::Values(
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
                "trainer_state.json); pass --format"})),
    [](const auto& param_info) {
      std::string n = testing_ledger::backend_name(std::get<0>(param_info.param)) + "_" + std::get<1>(param_info.param).name;
      for (char& c : n) {
        if (!isalnum(static_cast<unsigned char>(c))) c = '_';
      }
      return n;
    });

TEST_P(LedgerImport, BadRowAfterManyGoodOnesLeavesNoneOfThem) {
  std::string csv = generated_focus(5000);
  csv += "oops,1,2024-09-01,2024-09-02,,,,\n";
  auto r = import_text(*db_, csv, "late.csv", {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message, "late.csv: line 5002, column 1 (BilledCost): expected a number in [-1e+12, 1e+12], got 'oops'");
  EXPECT_EQ(counts().costs, 0);
  EXPECT_EQ(counts().imports, 0);
}

TEST_P(LedgerImport, TextThatIsNotUtf8IsRefusedWithItsLineAndColumn) {
  // Neither a NUL byte nor a byte outside UTF-8 can be held by both back ends (PostgreSQL's
  // text refuses them): the file is refused before anything is written.
  std::string csv = "BilledCost,EffectiveCost,ChargePeriodStart,ChargePeriodEnd,ResourceId\n1,1,2024-09-01,2024-09-02,i-1\n";
  std::string nul = csv + "2,2,2024-09-01,2024-09-02,i-" + std::string(1, '\0') + "2\n";
  auto r = import_text(*db_, nul, "nul.csv", {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().kind, ErrorKind::kBadInput);
  EXPECT_EQ(r.error().message, "nul.csv: line 3, column 29: expected UTF-8 text, got a NUL byte");
  auto latin1 = import_text(*db_, csv + "2,2,2024-09-01,2024-09-02,caf\xE9\n", "latin1.csv", {});
  ASSERT_FALSE(latin1);
  EXPECT_EQ(latin1.error().message, "latin1.csv: line 3, column 30: expected UTF-8 text, got byte 0xE9");
  EXPECT_EQ(counts().imports, 0);
  EXPECT_EQ(counts().costs, 0);
  // UTF-8 goes through, and comes back byte for byte.
  auto ok = import_text(*db_, csv + "2,2,2024-09-01,2024-09-02,caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x9A\x80\n", "utf8.csv", {});
  ASSERT_TRUE(ok) << ok.error().message;
  EXPECT_EQ(ok->rows_added, 2);
}

TEST_P(LedgerImport, JsonEscapedNulInANameIsRefused) {
  // \u0000 is valid JSON and passes the UTF-8 check of the file; the name it makes would not.
  auto r = import_text(*db_, "{\"job\": \"a\\u0000b\", \"step\": 1, \"tokens\": 10, \"seconds\": 1}\n", "nul.jsonl", {});
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().message,
            "nul.jsonl: line 1, column 'job': expected a string without NUL characters, got \"a\\u0000b\"");
  EXPECT_EQ(counts().progress, 0);
}

TEST_P(LedgerImport, TrainerStateInAFolderWhoseNameIsNotUtf8) {
  // The job is named after the folder; a name in Latin-1 is made UTF-8 (U+FFFD for the byte).
  const std::string dir = testing_ledger::fresh_db("run") + "-caf\xE9";
  std::filesystem::create_directories(dir);
  spill(dir + "/trainer_state.json", slurp(fixture("hf-run/checkpoint-500/trainer_state.json")));
  auto r = import_file(*db_, dir + "/trainer_state.json", {});
  ASSERT_TRUE(r) << r.error().message;
  auto progress = *db_->progress_totals();
  ASSERT_EQ(progress.size(), 1u);
  EXPECT_EQ(progress[0].job.substr(progress[0].job.size() - 6), "caf\xEF\xBF\xBD");
}

// Found by fuzz_ledger: nlohmann::json throws out_of_range (not parse_error) on a number
// beyond a double, which ended the import as an "internal error".
TEST_P(LedgerImport, JsonNumberBeyondADoubleIsBadInput) {
  auto jsonl = import_text(*db_, "{\"step\": 1, \"tokens\": 1e999, \"seconds\": 1}\n", "big.jsonl", {});
  ASSERT_FALSE(jsonl);
  EXPECT_EQ(jsonl.error().kind, ErrorKind::kBadInput);
  EXPECT_EQ(jsonl.error().message, "big.jsonl: line 1: expected a JSON object, got a number beyond a double");
  std::string state = slurp(fixture("hf-run/checkpoint-500/trainer_state.json"));
  state.replace(state.find("\"total_flos\": "), 14, "\"total_flos\": 1.51e517, \"x\": ");
  auto hf = import_text(*db_, state, "run/trainer_state.json", {});
  ASSERT_FALSE(hf);
  EXPECT_EQ(hf.error().message, "run/trainer_state.json: expected valid JSON, got a number beyond a double");
  EXPECT_EQ(counts().imports, 0);
}

TEST(LedgerText, FirstNonTextByte) {
  EXPECT_EQ(first_non_text_byte("plain ascii\n"), std::string_view::npos);
  EXPECT_EQ(first_non_text_byte("\xEF\xBB\xBF" "caf\xC3\xA9"), std::string_view::npos);  // BOM, é
  EXPECT_EQ(first_non_text_byte(std::string_view("ab\0c", 4)), 2u);
  EXPECT_EQ(first_non_text_byte("ab\xC3"), 2u);           // truncated sequence
  EXPECT_EQ(first_non_text_byte("\xC0\xAF"), 0u);         // overlong '/'
  EXPECT_EQ(first_non_text_byte("x\xED\xA0\x80"), 1u);     // a UTF-16 surrogate
  EXPECT_EQ(first_non_text_byte("\xF4\x90\x80\x80"), 0u);  // above U+10FFFF
  EXPECT_EQ(first_non_text_byte("\x80"), 0u);              // a continuation byte alone
}

TEST_P(LedgerImport, DcgmWithoutTimestampNeedsTime) {
  auto r = import_file(*db_, fixture("dcgm_scrape.prom"), {});
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("line 7, column 183: DCGM_FI_DEV_GPU_UTIL: the sample has no timestamp; pass --time"),
            std::string::npos)
      << r.error().message;
}

TEST_P(LedgerImport, SameFileUnderAnotherJobIsAnotherImport) {
  ImportOptions a, b;
  a.job = "run-a";
  b.job = "run-b";
  ok("nvidia_smi.csv", a);
  auto second = ok("nvidia_smi.csv", b);
  EXPECT_FALSE(second.already_imported);
  // The samples are the same GPUs at the same times: the ledger keeps the first job's rows.
  EXPECT_EQ(second.rows_added, 0);
}

class LedgerConcurrency : public ::testing::TestWithParam<Backend> {};
INSTANTIATE_TEST_SUITE_P(Backends, LedgerConcurrency, testing_ledger::all_backends(), testing_ledger::backend_param_name);

TEST_P(LedgerConcurrency, TwoImportersIntoOneLedgerBothSucceed) {
  LEDGER_REQUIRE_BACKEND(GetParam());
  const std::string where = fresh_ledger(GetParam(), "shared.db");
  const std::string dir = testing_ledger::fresh_db("files");
  const std::string a = dir + ".a.csv", b = dir + ".b.csv";
  spill(a, generated_focus(40000, "job-a"));
  spill(b, generated_focus(40000, "job-b"));
  { ASSERT_TRUE(open_ledger(where)); }
  // Each importer takes its file twice: the second import of each must find the first's
  // hash whichever order the four transactions ran in.
  Result<ImportOutcome> ra = failure("not run"), rb = failure("not run"), ra2 = failure("not run"),
                        rb2 = failure("not run");
  auto worker = [&where](const std::string& file, Result<ImportOutcome>& out, Result<ImportOutcome>& again) {
    auto db = open_ledger(where);
    if (!db) {
      out = db.error();
      return;
    }
    out = import_file(**db, file, {});
    again = import_file(**db, file, {});
  };
  std::thread ta(worker, a, std::ref(ra), std::ref(ra2));
  std::thread tb(worker, b, std::ref(rb), std::ref(rb2));
  ta.join();
  tb.join();
  ASSERT_TRUE(ra) << ra.error().message;
  ASSERT_TRUE(rb) << rb.error().message;
  EXPECT_EQ(ra->rows_added, 40000);
  // job-b's rows differ from job-a's only in the tag: all of them are new.
  EXPECT_EQ(rb->rows_added, 40000);
  ASSERT_TRUE(ra2 && rb2);
  EXPECT_TRUE(ra2->already_imported);
  EXPECT_TRUE(rb2->already_imported);
  auto db = open_ledger(where);
  ASSERT_TRUE(db);
  EXPECT_EQ((*db)->counts()->costs, 80000);
  EXPECT_EQ((*db)->counts()->imports, 2);
}

TEST_P(LedgerConcurrency, SameFileFromTwoImportersIsImportedOnce) {
  LEDGER_REQUIRE_BACKEND(GetParam());
  const std::string where = fresh_ledger(GetParam(), "same.db");
  const std::string file = testing_ledger::fresh_db("files") + ".csv";
  spill(file, generated_focus(20000, "job-a"));
  { ASSERT_TRUE(open_ledger(where)); }
  Result<ImportOutcome> r1 = failure("not run"), r2 = failure("not run");
  auto worker = [&where, &file](Result<ImportOutcome>& out) {
    auto db = open_ledger(where);
    out = db ? import_file(**db, file, {}) : Result<ImportOutcome>(db.error());
  };
  std::thread t1(worker, std::ref(r1));
  std::thread t2(worker, std::ref(r2));
  t1.join();
  t2.join();
  ASSERT_TRUE(r1) << r1.error().message;
  ASSERT_TRUE(r2) << r2.error().message;
  // One of them imported it, the other waited for its commit and then found its hash.
  EXPECT_NE(r1->already_imported, r2->already_imported);
  EXPECT_EQ(r1->rows_added + r2->rows_added, 20000);
  auto db = open_ledger(where);
  ASSERT_TRUE(db);
  EXPECT_EQ((*db)->counts()->costs, 20000);
  EXPECT_EQ((*db)->counts()->imports, 1);
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
