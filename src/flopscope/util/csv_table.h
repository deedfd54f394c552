// A small CSV reader for the tables `flopscope fit` and `flopscope frontier` read: a header
// row, then one row per record. Commas separate fields; a field may be "quoted" (with ""
// for a quote); blank lines and lines starting with '#' are skipped; \r\n is accepted.
// Every error names the file and line: "runs.csv:7: column 'loss': expected a positive
// number, got 'abc'".
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "flopscope/util/result.h"

namespace flopscope {

struct CsvRow {
  int line = 0;  ///< 1-based line number in the file
  std::vector<std::string> fields;
};

class CsvTable {
 public:
  /// Parses `text`; `origin` (the path as the user gave it) prefixes every message.
  static Result<CsvTable> parse(std::string_view text, std::string_view origin);

  const std::string& origin() const { return origin_; }
  const std::vector<std::string>& header() const { return header_; }
  const std::vector<CsvRow>& rows() const { return rows_; }

  /// Index of the first column whose name matches one of `names` (case-insensitive).
  std::optional<size_t> column(std::initializer_list<std::string_view> names) const;

  /// The field as a finite number > 0 (or >= 0 with allow_zero); the error is
  /// "ORIGIN:LINE: column 'NAME': expected a positive number, got 'TEXT'".
  Result<double> number(const CsvRow& row, size_t col, bool allow_zero = false) const;
  /// The field, trimmed.
  const std::string& text(const CsvRow& row, size_t col) const;

 private:
  std::string origin_;
  std::vector<std::string> header_;
  std::vector<CsvRow> rows_;
};

}  // namespace flopscope
