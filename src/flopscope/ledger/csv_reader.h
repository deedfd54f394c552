// CsvReader: RFC 4180 records, one at a time, over a file held in memory.
//
// Fields are separated by commas and records by CRLF or LF. A field may be quoted: inside
// quotes, commas and line breaks are data and "" is one quote. A quote inside an unquoted
// field, text after a closing quote and a quote left open at the end of the file are
// errors, reported as "ORIGIN: line L, column C: <what>" (C counts bytes from 1). A UTF-8
// byte-order mark before the first record is skipped. Spaces are kept (callers trim).
//
// Unlike util/csv_table.h (small tables read whole), this reader streams: the ledger reads
// billing exports of millions of rows.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "flopscope/util/result.h"

namespace flopscope {

struct CsvRecord {
  int64_t line = 0;                 ///< 1-based line of the record's first byte
  std::vector<std::string> fields;  ///< reused between records (keeps capacity)
  std::vector<int64_t> columns;     ///< 1-based byte column where each field starts
  std::string_view raw;             ///< the record's bytes as in the file (without its line break)
};

class CsvReader {
 public:
  CsvReader(std::string_view text, std::string origin);
  /// Reads the next record into `out`; false at the end of the file. A blank line is a
  /// record with one empty field.
  Result<bool> next(CsvRecord& out);

 private:
  std::string_view text_;
  std::string origin_;
  size_t pos_ = 0;
  int64_t line_ = 1;
  size_t line_start_ = 0;
};

}  // namespace flopscope
