#include "flopscope/ledger/csv_reader.h"

#include <gtest/gtest.h>

#include "flopscope/ledger/fields.h"
#include "flopscope/ledger/sha256.h"

namespace flopscope {
namespace {

std::vector<std::vector<std::string>> read_all(std::string_view text, std::string* err = nullptr) {
  CsvReader r(text, "t.csv");
  CsvRecord rec;
  std::vector<std::vector<std::string>> out;
  for (;;) {
    auto more = r.next(rec);
    if (!more) {
      if (err) *err = more.error().message;
      return out;
    }
    if (!*more) return out;
    out.push_back(rec.fields);
  }
}

TEST(CsvReader, ReadsQuotedCommasLineBreaksAndDoubledQuotes) {
  auto rows = read_all("a,b,c\r\n\"x, y\",\"he said \"\"hi\"\"\",\"two\nlines\"\nlast,,\n");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[1], (std::vector<std::string>{"x, y", "he said \"hi\"", "two\nlines"}));
  EXPECT_EQ(rows[2], (std::vector<std::string>{"last", "", ""}));
}

TEST(CsvReader, CountsLinesInsideQuotedFields) {
  CsvReader r("h\n\"a\nb\"\nc\n", "t.csv");
  CsvRecord rec;
  ASSERT_TRUE(*r.next(rec));
  ASSERT_TRUE(*r.next(rec));
  EXPECT_EQ(rec.line, 2);
  ASSERT_TRUE(*r.next(rec));
  EXPECT_EQ(rec.line, 4);
  EXPECT_EQ(rec.raw, "c");
}

TEST(CsvReader, SkipsByteOrderMark) {
  auto rows = read_all("\xEF\xBB\xBFname\nv\n");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0][0], "name");
}

TEST(CsvReader, UnclosedQuoteNamesWhereItOpened) {
  std::string err;
  read_all("a,b\n1,\"open\n2,3\n", &err);
  EXPECT_EQ(err, "t.csv: line 2, column 3: quoted field is never closed");
}

TEST(CsvReader, QuoteInsideUnquotedFieldIsRefused) {
  std::string err;
  read_all("a,b\n1,x\"y\n", &err);
  EXPECT_EQ(err, "t.csv: line 2, column 4: a quote inside an unquoted field (quote the whole field)");
}

TEST(CsvReader, TextAfterClosingQuoteIsRefused) {
  std::string err;
  read_all("a\n\"x\"y\n", &err);
  EXPECT_EQ(err, "t.csv: line 2, column 4: expected a comma or the end of the line after a closing quote");
}

TEST(LedgerFields, NumbersRefuseNanInfinityHexAndOutOfRange) {
  EXPECT_DOUBLE_EQ(*parse_bounded(" 12.5 ", 0, 100), 12.5);
  EXPECT_DOUBLE_EQ(*parse_bounded("1e3", 0, 1e4), 1000);
  for (const char* bad : {"NaN", "nan", "inf", "-inf", "Infinity", "0x10", "", "1,5", "12OO", "101", "-1"}) {
    EXPECT_FALSE(parse_bounded(bad, 0, 100).ok()) << bad;
  }
  EXPECT_EQ(parse_bounded("1e999", 0, 1e12).error().message, "expected a number in [0, 1e+12], got '1e999'");
}

TEST(LedgerFields, ParsesIso8601AndNvidiaSmiTimes) {
  const double sept1 = 1725148800;  // 2024-09-01T00:00:00Z
  EXPECT_DOUBLE_EQ(*parse_utc_time("2024-09-01T00:00:00Z"), sept1);
  EXPECT_DOUBLE_EQ(*parse_utc_time("2024-09-01"), sept1);
  EXPECT_DOUBLE_EQ(*parse_utc_time("2024-09-01T02:30:00+02:30"), sept1);
  EXPECT_DOUBLE_EQ(*parse_utc_time("2024-08-31T20:00:00-04:00"), sept1);
  EXPECT_DOUBLE_EQ(*parse_utc_time("2024/09/01 00:00:00.500"), sept1 + 0.5);
  EXPECT_DOUBLE_EQ(*parse_utc_time("2024-09-01 00:01"), sept1 + 60);
  for (const char* bad : {"2024-02-30", "2023-02-29T00:00:00Z", "2024-13-01", "2024-09-01T25:00:00Z", "yesterday",
                          "2024-09-01T00:00:00Zjunk", "1960-01-01"}) {
    EXPECT_FALSE(parse_utc_time(bad).ok()) << bad;
  }
  EXPECT_TRUE(parse_utc_time("2024-02-29").ok());
  EXPECT_EQ(utc_day(sept1 + 86399), "2024-09-01");
  EXPECT_EQ(utc_day(sept1 - 1), "2024-08-31");
}

TEST(Sha256, MatchesFips180Vectors) {
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(sha256_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  EXPECT_EQ(sha256_hex(std::string(1000000, 'a')), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

}  // namespace
}  // namespace flopscope
